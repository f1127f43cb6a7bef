"""Telegram Bot API: the request the bot API receives, and how its error answers classify."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from sitewatch.core.errors import PermanentSendError, RetryableSendError
from sitewatch.notify.model import MessageKind
from tests.notify.cases import ACK_URL, SITE, VIETNAMESE, open_notifier, page
from tests.notify.receivers import CaptureServer

TOKEN = "123456789:AAF-t0ken_never-shown"
CHAT = "-1001234567890"
OK = {"ok": True, "result": {"message_id": 42, "chat": {"id": -1001234567890}}}


async def send(capture: CaptureServer, delivery: Any = None, **settings: Any) -> dict[str, Any]:
    capture.reply(json=OK)
    async with open_notifier("telegram", {"api_url": capture.url, **settings}, {"bot_token": TOKEN}) as n:
        await n.send(delivery or page(CHAT))
    r = capture.requests[-1]
    assert r.method == "POST" and r.path == f"/bot{TOKEN}/sendMessage"
    body: dict[str, Any] = r.json()
    return body


async def test_page_with_an_acknowledge_button_in_the_recipients_language(capture: CaptureServer) -> None:
    body = await send(capture)
    assert body["chat_id"] == CHAT and body["parse_mode"] == "HTML"
    assert body["text"].startswith(f"<b>[SỰ CỐ] {SITE}: {VIETNAMESE}</b>\n\n")
    assert body["reply_markup"] == {"inline_keyboard": [[{"text": "Xác nhận", "url": ACK_URL}]]}
    english = page(CHAT)
    english = dataclasses.replace(english, message=dataclasses.replace(english.message, language="en"))
    body = await send(capture, english)
    assert body["reply_markup"]["inline_keyboard"][0][0] == {"text": "Acknowledge", "url": ACK_URL}


async def test_html_is_escaped_and_plain_mode_sends_no_parse_mode(capture: CaptureServer) -> None:
    d = page(CHAT)
    resolved = dataclasses.replace(d.message, kind=MessageKind.RESOLVED, ack_url=None, subject="Đã khôi phục <GL-1>",
                                   text="Điện lưới & máy phát: bình thường")
    body = await send(capture, dataclasses.replace(d, message=resolved))
    assert body["text"] == "<b>Đã khôi phục &lt;GL-1&gt;</b>\n\nĐiện lưới &amp; máy phát: bình thường"
    assert "reply_markup" not in body  # nothing to acknowledge
    body = await send(capture, dataclasses.replace(d, message=resolved), parse_mode="plain", silent=True)
    assert body["text"] == "Đã khôi phục <GL-1>\n\nĐiện lưới & máy phát: bình thường"
    assert "parse_mode" not in body and body["disable_notification"] is True


async def test_a_long_text_is_cut_to_fit_telegrams_limit(capture: CaptureServer) -> None:
    d = page(CHAT)
    long = dataclasses.replace(d.message, text="Trạm mất điện. " * 400)
    body = await send(capture, dataclasses.replace(d, message=long), parse_mode="plain")
    assert len(body["text"]) <= 4096 and body["text"].endswith("…")


@pytest.mark.parametrize(("status", "answer", "error", "retry_after", "reason"), [
    (429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 13",
           "parameters": {"retry_after": 13}}, RetryableSendError, 13.0, "Telegram error 429"),
    (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
     PermanentSendError, None, "chat not found"),
    (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
     PermanentSendError, None, "bot was blocked by the user"),
    (400, {"ok": False, "error_code": 400, "description": "Bad Request: group chat was upgraded to a supergroup chat",
           "parameters": {"migrate_to_chat_id": -1009876543210}},
     PermanentSendError, None, "the group is now chat -1009876543210: update the contact"),
    (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}, RetryableSendError, None, "Bad Gateway"),
    (401, {"ok": False, "error_code": 401, "description": "Unauthorized"}, PermanentSendError, None, "Unauthorized"),
])
async def test_telegram_error_answers(capture: CaptureServer, status: int, answer: dict[str, Any],
                                      error: type[Exception], retry_after: float | None, reason: str) -> None:
    capture.fail_with(status, count=1, json=answer)
    async with open_notifier("telegram", {"api_url": capture.url}, {"bot_token": TOKEN}) as n:
        with pytest.raises(error) as info:
            await n.send(page(CHAT))
    assert getattr(info.value, "retry_after", None) == retry_after
    assert reason in str(info.value) and TOKEN not in str(info.value)


async def test_a_contact_without_a_chat_id_is_permanent(capture: CaptureServer) -> None:
    async with open_notifier("telegram", {"api_url": capture.url}, {"bot_token": TOKEN}) as n:
        with pytest.raises(PermanentSendError, match="no Telegram chat id"):
            await n.send(page(""))
    assert capture.requests == []
