"""A lab inbox for the demo: stands in for the SMS gateway, the Telegram Bot API and an SMTP
relay on 127.0.0.1, and prints every message it receives, so a newcomer sees the pages
sitewatch sends (and can follow their ack links) with no provider accounts.

    python -m sitewatch.simulator.lab_inbox --sms 9800 --telegram 9801 --smtp 2525 [--log FILE]

The example configuration's channels (config/gialai/oncall.yaml) point at these ports.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import signal
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sitewatch.web.server import EmbeddedServer

__all__ = ["main"]


class Inbox:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.count = 0

    def show(self, channel: str, to: str, text: str) -> None:
        self.count += 1
        stamp = datetime.now().astimezone().strftime("%H:%M:%S")
        self.out.write(f"\n── {stamp} {channel} to {to} ──\n{text.strip()}\n")
        self.out.flush()


def sms_app(inbox: Inbox) -> Starlette:
    """The SMS gateway: ``/sms`` with a number and a text (query, JSON or form) is a message;
    anything else (a scanner, a stray ``/metrics``) is not found and prints nothing."""

    async def receive(request: Request) -> Response:
        data: dict[str, Any] = dict(request.query_params)
        body = await request.body()
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = dict((await request.form()).items())
            if isinstance(parsed, dict):
                data.update(parsed)
        to, text = data.get("to"), data.get("text")
        if not isinstance(to, str) or not isinstance(text, str) or not to or not text:
            return JSONResponse({"status": "rejected", "error": "an SMS needs 'to' and 'text'"}, status_code=400)
        inbox.show("SMS", to, text)
        return JSONResponse({"status": "queued"})

    async def not_found(request: Request) -> Response:
        return JSONResponse({"error": "not an SMS gateway path; send to /sms"}, status_code=404)

    return Starlette(routes=[Route("/sms", receive, methods=["GET", "POST"]),
                             Route("/{path:path}", not_found, methods=["GET", "POST", "PUT", "DELETE", "HEAD"])])


def telegram_app(inbox: Inbox) -> Starlette:
    async def send_message(request: Request) -> Response:
        data = await request.json()
        buttons = [b.get("url", "") for row in data.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
        inbox.show("Telegram", str(data.get("chat_id", "?")), data.get("text", "") + "".join(
            f"\n[button] {u}" for u in buttons if u))
        return JSONResponse({"ok": True, "result": {"message_id": inbox.count}})

    return Starlette(routes=[Route("/{bot}/sendMessage", send_message, methods=["POST"])])


class _SmtpHandler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",)) if hasattr(msg, "get_body") else None
        text = body.get_content() if body is not None else ""
        self.inbox.show("email", ", ".join(envelope.rcpt_tos), f"Subject: {msg['subject']}\n\n{text}")
        return "250 OK"


async def serve(sms: int, telegram: int, smtp: int, out: TextIO) -> None:
    inbox = Inbox(out)
    servers = [EmbeddedServer(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                             access_log=False, lifespan="off"))
               for app, port in ((sms_app(inbox), sms), (telegram_app(inbox), telegram))]
    tasks = [asyncio.create_task(s.serve()) for s in servers]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    smtp_server = None
    try:
        from aiosmtpd.smtp import SMTP

        handler = _SmtpHandler(inbox)
        factory: Callable[[], SMTP] = lambda: SMTP(handler, hostname="localhost")  # noqa: E731
        smtp_server = await loop.create_server(factory, "127.0.0.1", smtp)
    except ImportError:  # aiosmtpd comes with the test extras; without it email just fails to send
        out.write(f"demo inbox: no aiosmtpd, nothing listens for email on port {smtp}\n")
    out.write(f"demo inbox: SMS on 127.0.0.1:{sms}, Telegram API on 127.0.0.1:{telegram}, "
              f"SMTP on 127.0.0.1:{smtp}\n")
    out.flush()
    await stop.wait()
    for s in servers:
        s.should_exit = True
    await asyncio.gather(*tasks, return_exceptions=True)
    if smtp_server is not None:
        smtp_server.close()
        await smtp_server.wait_closed()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sitewatch.simulator.lab_inbox", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sms", type=int, default=9800)
    ap.add_argument("--telegram", type=int, default=9801)
    ap.add_argument("--smtp", type=int, default=2525)
    ap.add_argument("--log", help="also append every message to this file")
    args = ap.parse_args(argv)
    out: TextIO = sys.stdout
    if args.log:
        Path(args.log).parent.mkdir(parents=True, exist_ok=True)
        out = open(args.log, "a", encoding="utf-8")  # noqa: SIM115 - open for the process's life
    asyncio.run(serve(args.sms, args.telegram, args.smtp, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
