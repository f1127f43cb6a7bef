"""The loopback receivers other tests count on: failures for a number of requests or for a
while of an injected clock, per path; holding without an answer; prompt shutdown."""

from __future__ import annotations

import asyncio
import ssl
import time

import aiosmtplib
import httpx
import pytest

from tests.notify.receivers import CaptureServer, SmtpCapture, TlsFiles


async def statuses(server: CaptureServer, n: int, path: str = "/") -> list[int]:
    async with httpx.AsyncClient() as client:
        return [(await client.post(server.url + path, content=b"x")).status_code for _ in range(n)]


async def test_fail_for_a_duration_of_an_injected_clock_then_recover() -> None:
    now = [1000.0]
    async with CaptureServer(clock=lambda: now[0]) as server:
        server.fail_with(500, duration=600)  # the gateway is down for 10 minutes
        assert await statuses(server, 2) == [500, 500]
        now[0] += 599
        assert await statuses(server, 1) == [500]
        now[0] += 1
        assert await statuses(server, 2) == [200, 200]
        assert [r.at for r in server.requests] == [1000.0, 1000.0, 1599.0, 1600.0, 1600.0]
        assert len(server.delivered()) == 2


async def test_fail_a_number_of_times_on_one_path_only(capture: CaptureServer) -> None:
    capture.fail_with(429, count=2, path="/sms", headers={"Retry-After": "3"}, json={"error": "slow down"})
    capture.reply(json={"ok": True}, path="/bot")
    assert await statuses(capture, 1, "/hook") == [200]
    assert await statuses(capture, 3, "/sms/send") == [429, 429, 200]
    async with httpx.AsyncClient() as client:
        answer = await client.post(capture.url + "/bot1:x/sendMessage")
    assert answer.json() == {"ok": True}
    assert [r.path for r in capture.delivered("/sms")] == ["/sms/send"]
    with pytest.raises(ValueError, match="count or duration"):
        capture.fail_with(500, count=1, duration=1)


async def test_wait_for_and_a_held_request_released_at_stop() -> None:
    server = CaptureServer()
    await server.start()
    server.fail_with("timeout", count=1)
    async with httpx.AsyncClient(timeout=10) as client:
        held = asyncio.create_task(client.post(server.url + "/a"))
        await server.wait_received(1)  # /a has arrived, and is held, before /b goes
        sent = asyncio.create_task(client.post(server.url + "/b"))
        [got] = await server.wait_for(1, within=2)
        assert got.path == "/b" and server.requests[0].status is None
        started = time.monotonic()
        await server.stop()
        assert time.monotonic() - started < 2
        await sent
        with pytest.raises(httpx.HTTPError):
            (await held).raise_for_status()


async def test_smtp_requires_starttls_and_auth(smtp: SmtpCapture, tls: TlsFiles) -> None:
    message = "Subject: x\r\n\r\nbody"
    with pytest.raises(aiosmtplib.SMTPException):  # in clear: refused
        await aiosmtplib.send(message, sender="a@x.vn", recipients=["b@x.vn"], hostname="127.0.0.1", port=smtp.port,
                              start_tls=False, timeout=2)
    context = ssl.create_default_context(cafile=str(tls.ca))
    with pytest.raises(aiosmtplib.SMTPException):  # encrypted but anonymous: refused
        await aiosmtplib.send(message, sender="a@x.vn", recipients=["b@x.vn"], hostname="127.0.0.1", port=smtp.port,
                              start_tls=True, tls_context=context, timeout=2)
    assert smtp.messages == []
    smtp.fail_with(452, count=1, text="4.3.1 Insufficient system storage")
    with pytest.raises(aiosmtplib.SMTPDataError, match="Insufficient"):
        await aiosmtplib.send(message, sender="a@x.vn", recipients=["b@x.vn"], hostname="127.0.0.1", port=smtp.port,
                              start_tls=True, tls_context=context, username="noc",
                              password="smtp-Passw0rd-never-shown", timeout=2)
    assert smtp.rejected == 1 and smtp.messages == []
