"""Telegram Bot API: ``sendMessage`` to the contact's chat, with an acknowledge button.

    POST {api_url}/bot<token>/sendMessage
    {"chat_id": <contact address>, "text": "<b>subject</b>\\n\\ntext", "parse_mode": "HTML",
     "link_preview_options": {"is_disabled": true},
     "reply_markup": {"inline_keyboard": [[{"text": "Xác nhận", "url": <ack_url>}]]}}

The bot token is part of the URL, so it is a secret everywhere: reasons give only the origin,
and httpx's request log lines are redacted (``redact.py``). Telegram answers
``{"ok": false, "error_code": 429, "parameters": {"retry_after": N}}`` when flooded; that and
its 5xx are retryable, its other errors ("chat not found", "bot was blocked by the user") are
permanent. A URL button opens the signed acknowledge page, which asks for a confirmation: a
prefetching client cannot acknowledge.
"""

from __future__ import annotations

import html
import re
from typing import Any, Literal

import httpx

from sitewatch.core.errors import PermanentSendError, SendError
from sitewatch.notify.channel import Address, ChannelSettings, ChannelType, Secrets, ack_label
from sitewatch.notify.http import HttpNotifier, excerpt, retry_after, status_error
from sitewatch.notify.model import Delivery, Message

__all__ = ["CHANNEL", "TelegramNotifier", "TelegramSettings", "request_body"]
#: Telegram refuses messages longer than 4096 characters (after entity parsing)
_MAX_TEXT = 4000


class TelegramSettings(ChannelSettings):
    #: the Bot API's base URL (a local Bot API server, a proxy)
    api_url: str = "https://api.telegram.org"
    #: ``HTML`` formatting or ``plain`` text
    parse_mode: Literal["HTML", "plain"] = "HTML"
    #: send without sound (the on-call's phone still shows it)
    silent: bool = False


def request_body(message: Message, chat_id: str, settings: TelegramSettings) -> dict[str, Any]:
    """The ``sendMessage`` parameters for one message."""
    text = message.text if len(message.text) <= _MAX_TEXT else message.text[: _MAX_TEXT - 1] + "…"
    body: dict[str, Any] = {"chat_id": chat_id, "link_preview_options": {"is_disabled": True}}
    if settings.parse_mode == "HTML":
        body["text"] = f"<b>{html.escape(message.subject)}</b>\n\n{html.escape(text)}"
        body["parse_mode"] = "HTML"
    else:
        body["text"] = f"{message.subject}\n\n{text}"
    if settings.silent:
        body["disable_notification"] = True
    if message.ack_url:
        body["reply_markup"] = {"inline_keyboard": [[{"text": ack_label(message.language), "url": message.ack_url}]]}
    return body


class TelegramNotifier(HttpNotifier):
    def __init__(self, name: str, settings: TelegramSettings, secrets: Secrets) -> None:
        super().__init__(name, timeout=settings.timeout, secrets=secrets.values())
        self._s = settings
        self._url = f"{settings.api_url.rstrip('/')}/bot{secrets['bot_token']}/sendMessage"

    async def send(self, delivery: Delivery) -> None:
        if not delivery.contact.address:
            raise PermanentSendError(f"{self.name}: the contact has no Telegram chat id")
        body = request_body(delivery.message, delivery.contact.address, self._s)
        response = await self.request("POST", self._url, json=body)
        answer = _json(response)
        if response.is_success and answer.get("ok") is True:
            return
        if not isinstance(answer.get("error_code"), int):
            self.raise_for_status(response)  # not Telegram talking (a proxy's error page)
            raise self.fail(PermanentSendError, self._url, f"unexpected answer: {excerpt(response.text)}")
        raise self._api_error(answer, response)

    def _api_error(self, answer: dict[str, Any], response: httpx.Response) -> SendError:
        code: int = answer["error_code"]
        description = str(answer.get("description", ""))
        params = answer.get("parameters")
        if not isinstance(params, dict):
            params = {}
        after = params.get("retry_after")
        delay = float(after) if isinstance(after, int | float) else retry_after(response)
        if "migrate_to_chat_id" in params:
            description += f" (the group is now chat {params['migrate_to_chat_id']}: update the contact)"
        cls, delay = status_error(code, delay)
        return self.fail(cls, self._url, f"Telegram error {code}: {excerpt(description)}", retry_after=delay)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        doc = response.json()
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def chat_id_problem(address: str) -> str | None:
    """The Bot API's ``chat_id``: a chat's number (negative for groups) or ``@channelusername``."""
    if re.fullmatch(r"-?[0-9]+|@[A-Za-z][A-Za-z0-9_]{4,}", address):
        return None
    return "give the chat's number (-1001234567890) or @channelusername"


CHANNEL = ChannelType(name="telegram", settings=TelegramSettings, build=TelegramNotifier,
                      secrets=frozenset({"bot_token"}), required_secrets=frozenset({"bot_token"}),
                      address=Address(what="a Telegram chat id", check=chat_id_problem))
