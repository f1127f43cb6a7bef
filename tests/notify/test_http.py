"""Shared HTTP classification, seen through the plainest channel (webhook)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from sitewatch.core.errors import PermanentSendError, RetryableSendError
from sitewatch.notify.redact import Redactor, register, unregister
from tests.notify.cases import open_notifier, page
from tests.notify.receivers import CaptureServer, TlsFiles


@pytest.mark.parametrize(("status", "headers", "error", "retry_after"), [
    (503, {"Retry-After": "120"}, RetryableSendError, 120.0),
    (503, {}, RetryableSendError, None),
    (429, {"Retry-After": "soon"}, RetryableSendError, None),  # unparseable: the outbox's own backoff
    (408, {}, RetryableSendError, None),
    (301, {"Location": "https://127.0.0.1/moved"}, PermanentSendError, None),  # redirects are not followed
    (410, {"Retry-After": "5"}, PermanentSendError, None),
])
async def test_status_classification(capture: CaptureServer, status: int, headers: dict[str, str],
                                     error: type[Exception], retry_after: float | None) -> None:
    capture.fail_with(status, count=1, headers=headers)
    async with open_notifier("webhook", {"url": capture.url}) as n:
        with pytest.raises(error) as info:
            await n.send(page())
    assert getattr(info.value, "retry_after", None) == retry_after
    assert f"HTTP {status}" in str(info.value)
    assert len(capture.requests) == 1  # one attempt: retries are the outbox's job


async def test_retry_after_as_an_http_date(capture: CaptureServer) -> None:
    when = datetime.now(UTC) + timedelta(seconds=90)
    capture.fail_with(503, count=1, headers={"Retry-After": format_datetime(when, usegmt=True)})
    async with open_notifier("webhook", {"url": capture.url}) as n:
        with pytest.raises(RetryableSendError) as info:
            await n.send(page())
    assert info.value.retry_after is not None and 85 <= info.value.retry_after <= 91


async def test_a_bad_scheme_is_permanent() -> None:
    async with open_notifier("webhook", {"url": "ftp://127.0.0.1/hook"}) as n:
        with pytest.raises(PermanentSendError, match="unsupported URL scheme"):
            await n.send(page())


async def test_an_untrusted_certificate_is_permanent(tls: TlsFiles) -> None:
    async def handshake_only(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(handshake_only, "127.0.0.1", 0, ssl=tls.server_context())
    port = server.sockets[0].getsockname()[1]
    try:
        async with open_notifier("webhook", {"url": f"https://127.0.0.1:{port}/hook"}) as n:
            with pytest.raises(PermanentSendError, match="TLS certificate not trusted"):
                await n.send(page())
    finally:
        server.close()
        await server.wait_closed()


async def test_the_reason_quotes_a_short_excerpt_of_the_answer(capture: CaptureServer) -> None:
    capture.fail_with(400, count=1, body="invalid_payload\n" + "x" * 1000)
    async with open_notifier("webhook", {"url": capture.url + "/path/with/token"}) as n:
        with pytest.raises(PermanentSendError) as info:
            await n.send(page())
    text = str(info.value)
    assert text.startswith("chan: HTTP 400 Bad Request: invalid_payload xxx") and text.endswith(f"({capture.url})")
    assert len(text) < 300 and "/path/with/token" not in text


def test_redactor_masks_every_encoding_and_only_while_registered(caplog: pytest.LogCaptureFixture) -> None:
    r = Redactor(["a b+c/d&e", ""])
    assert r("x a b+c/d&e a%20b%2Bc%2Fd%26e a+b%2Bc%2Fd%26e y") == "x *** *** *** y"
    assert "a b" not in repr(r) and not Redactor([""])
    caplog.set_level(logging.INFO)
    log = logging.getLogger("httpx")
    register(r)
    log.info("HTTP Request: GET %s", "http://127.0.0.1/?k=a+b%2Bc%2Fd%26e")
    unregister(r)
    log.info("HTTP Request: GET %s", "http://127.0.0.1/?k=a+b%2Bc%2Fd%26e")
    assert caplog.messages == ["HTTP Request: GET http://127.0.0.1/?k=***",
                               "HTTP Request: GET http://127.0.0.1/?k=a+b%2Bc%2Fd%26e"]
