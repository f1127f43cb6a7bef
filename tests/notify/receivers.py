"""Real receivers on 127.0.0.1 for notification tests: an HTTP capture server and an SMTP one.

    async with CaptureServer() as http:              # webhook, SMS gateway, Telegram API, Slack...
        http.reply(json={"ok": True})                # the normal answer (default: 200 "ok")
        http.fail_with(500, count=3)                 # the next 3 requests get 500
        http.fail_with(429, duration=600, headers={"Retry-After": "30"})   # for 10 min of ``clock``
        http.fail_with("timeout", count=1)           # hold the next request without answering
        ... http.url, http.requests, http.delivered(), await http.wait_for(2)

    async with SmtpCapture(tls=tls_files(tmp_path), users={"noc": "pw"}) as smtp:   # STARTTLS + AUTH
        smtp.fail_with(451, count=1); ... smtp.messages, await smtp.wait_for(1)

Both record every request with what they answered, so a test counts at the receiver ("each
delivered exactly once"). ``clock`` lets an end-to-end test with an injected clock decide when
a ``duration`` is over. Both run inside the test's event loop (no threads) and stop promptly,
releasing held requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import json
import socket
import ssl
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import parse_qsl

import uvicorn
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from sitewatch.web.server import EmbeddedServer
from tests.notify import certs

__all__ = ["CaptureServer", "CapturedMail", "CapturedRequest", "SmtpCapture", "TlsFiles", "closed_port", "tls_files"]

Clock = Callable[[], float]
#: how long a "timeout" failure holds a request at most (the client gives up long before)
HOLD = 30.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CapturedRequest:
    """One HTTP request as received, and the status answered (None: held without answer)."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]  #: lower-case names
    body: bytes
    status: int | None
    at: float  #: ``clock()`` on arrival

    @property
    def params(self) -> dict[str, str]:
        return dict(self.query)

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


@dataclass(slots=True, kw_only=True)
class _Rule:
    status: int | Literal["timeout"]
    count: int | None
    until: float | None
    headers: Mapping[str, str]
    body: bytes
    path: str

    def active(self, now: float) -> bool:
        return (self.count is None or self.count > 0) and (self.until is None or now < self.until)


def _body(body: bytes | str | None, json_body: Any) -> tuple[bytes, dict[str, str]]:
    if json_body is not None:
        return json.dumps(json_body, ensure_ascii=False).encode(), {"content-type": "application/json"}
    return (body.encode() if isinstance(body, str) else body or b""), {}


class _Failures:
    """Failure rules shared by both receivers: the first active one matching a request wins."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.rules: list[_Rule] = []

    def add(self, rule: _Rule) -> None:
        self.rules.append(rule)

    def take(self, path: str = "") -> _Rule | None:
        now = self.clock()
        for rule in self.rules:
            if rule.active(now) and path.startswith(rule.path):
                if rule.count is not None:
                    rule.count -= 1
                return rule
        return None


def _until(clock: Clock, count: int | None, duration: float | None) -> float | None:
    if count is not None and duration is not None:
        raise ValueError("give count or duration, not both")
    return clock() + duration if duration is not None else None


class CaptureServer:
    """An HTTP server on 127.0.0.1 that records every request (see module docstring)."""

    def __init__(self, *, clock: Clock = time.monotonic) -> None:
        self.requests: list[CapturedRequest] = []
        self._failures = _Failures(clock)
        self._replies: list[tuple[str, int, bytes, dict[str, str]]] = []
        self._holds: list[tuple[str, asyncio.Event]] = []
        self._closing = asyncio.Event()
        self._arrived = asyncio.Condition()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.port = int(self._sock.getsockname()[1])
        self._server = EmbeddedServer(uvicorn.Config(self._app, log_config=None, log_level="warning",
                                                     access_log=False, lifespan="off", ws="none",
                                                     interface="asgi3"))
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reply(self, status: int = 200, *, body: bytes | str | None = None, json: Any = None,
              headers: Mapping[str, str] | None = None, path: str = "") -> None:
        """The answer to requests under ``path`` when no failure applies (latest wins)."""
        content, ctype = _body(body if body is not None or json is not None else b"ok", json)
        self._replies.insert(0, (path, status, content, {**ctype, **(headers or {})}))

    def fail_with(self, status: int | Literal["timeout"], *, count: int | None = None, duration: float | None = None,
                  headers: Mapping[str, str] | None = None, body: bytes | str | None = None, json: Any = None,
                  path: str = "") -> None:
        """Answer ``status`` (or hold the request: "timeout") to the next ``count`` requests, or
        for ``duration`` seconds of the clock, or until ``clear_failures``; only under ``path``."""
        content, ctype = _body(body, json)
        self._failures.add(_Rule(status=status, count=count, until=_until(self._failures.clock, count, duration),
                                 headers={**ctype, **(headers or {})}, body=content, path=path))

    def clear_failures(self) -> None:
        self._failures.rules.clear()

    def hold(self, path: str = "") -> asyncio.Event:
        """Hold requests under ``path`` (recorded as they arrive) until the returned event is
        set, then answer as usual: a send that is on the wire for as long as the test wants."""
        gate = asyncio.Event()
        self._holds.append((path, gate))
        return gate

    def delivered(self, path: str = "") -> list[CapturedRequest]:
        """Requests under ``path`` answered with a 2xx."""
        return [r for r in self.requests if r.path.startswith(path) and r.status is not None and r.status < 300]

    async def wait_for(self, n: int, *, within: float = 5.0, path: str = "") -> list[CapturedRequest]:
        """Wait until ``n`` requests under ``path`` were delivered (2xx); return them."""
        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(lambda: len(self.delivered(path)) >= n)
        return self.delivered(path)

    async def wait_received(self, n: int, *, within: float = 5.0) -> list[CapturedRequest]:
        """Wait until ``n`` requests arrived, answered or still held; return them."""
        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(lambda: len(self.requests) >= n)
        return self.requests

    async def _app(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        body = await request.body()
        path = request.url.path
        rule = self._failures.take(path)
        if rule is not None:
            status: int | None = None if rule.status == "timeout" else rule.status
            content, headers = rule.body, dict(rule.headers)
        else:
            _, status, content, headers = next((r for r in self._replies if path.startswith(r[0])),
                                               ("", 200, b"ok", {}))
        self.requests.append(CapturedRequest(
            method=request.method, path=path, query=tuple(parse_qsl(request.url.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in request.headers.items()}, body=body, status=status,
            at=self._failures.clock()))
        async with self._arrived:
            self._arrived.notify_all()
        for held, gate in self._holds:
            if path.startswith(held):
                await gate.wait()
        if status is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), HOLD)
            status = 504
        await Response(content, status_code=status, headers=headers)(scope, receive, send)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]), name="capture-server")
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        self._closing.set()
        self._server.should_exit = True
        if self._task is not None:
            await self._task
        self._sock.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- TLS and SMTP ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class TlsFiles:
    """A private CA and a server certificate it signed for localhost and 127.0.0.1."""

    ca: Path
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx


def tls_files(directory: Path) -> TlsFiles:
    """Generate a CA and a server certificate in ``directory`` (cryptography, else openssl)."""
    write = certs.write_with_cryptography if certs.HAVE_CRYPTOGRAPHY else certs.write_with_openssl
    ca, cert, key = write(directory)
    return TlsFiles(ca=ca, cert=cert, key=key)


@dataclass(frozen=True, slots=True, kw_only=True)
class CapturedMail:
    """One message accepted by ``SmtpCapture``."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage
    login: str | None  #: the AUTH user, if the client authenticated
    tls: bool  #: whether the session was encrypted (STARTTLS or implicit TLS)


class SmtpCapture:
    """An SMTP server (aiosmtpd) on 127.0.0.1 that records every accepted message.

    ``tls`` enables STARTTLS (required when given) or, with ``implicit_tls``, TLS from the
    first byte; ``users`` enables AUTH (PLAIN/LOGIN) and, with STARTTLS, requires it."""

    def __init__(self, *, tls: TlsFiles | None = None, implicit_tls: bool = False,
                 users: Mapping[str, str] | None = None, clock: Clock = time.monotonic) -> None:
        if implicit_tls and tls is None:
            raise ValueError("implicit_tls needs tls")
        self.messages: list[CapturedMail] = []
        self.rejected = 0
        self._tls, self._implicit, self._users = tls, implicit_tls, dict(users or {})
        self._failures = _Failures(clock)
        self._closing = asyncio.Event()
        self._arrived = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()
        self.port = 0
        self.host = "127.0.0.1"

    def fail_with(self, code: int | Literal["timeout"], *, count: int | None = None,
                  duration: float | None = None, text: str = "Try again later") -> None:
        """Answer DATA with ``code`` (4xx, 5xx) or hold it ("timeout"), like ``CaptureServer``."""
        self._failures.add(_Rule(status=code, count=count, until=_until(self._failures.clock, count, duration),
                                 headers={}, body=text.encode(), path=""))

    async def wait_for(self, n: int, *, within: float = 5.0) -> list[CapturedMail]:
        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(lambda: len(self.messages) >= n)
        return self.messages

    # aiosmtpd handler hooks
    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        rule = self._failures.take()
        if rule is not None:
            self.rejected += 1
            if rule.status == "timeout":
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), HOLD)
                return "421 4.3.0 Closing"
            return f"{rule.status} {rule.body.decode()}"
        raw = bytes(envelope.original_content or envelope.content)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(CapturedMail(
            mail_from=envelope.mail_from, rcpt_tos=tuple(envelope.rcpt_tos), raw=raw, message=message,
            login=session.auth_data, tls=session.ssl is not None or self._implicit))
        async with self._arrived:
            self._arrived.notify_all()
        return "250 2.0.0 Message accepted"

    def _authenticate(self, server: SMTP, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            if self._users.get(login) == password:
                return AuthResult(success=True, auth_data=login)
        return AuthResult(success=False, handled=False)

    def _protocol(self) -> SMTP:
        context = self._tls.server_context() if self._tls is not None else None
        starttls = context is not None and not self._implicit
        auth: dict[str, Any] = {}
        if self._users:
            # implicit TLS is encrypted from the start, which aiosmtpd's auth_require_tls cannot see
            auth = {"authenticator": self._authenticate, "auth_required": starttls, "auth_require_tls": starttls}
        protocol = SMTP(self, hostname="localhost", tls_context=context if starttls else None,
                        require_starttls=starttls, loop=asyncio.get_running_loop(), **auth)
        self._sessions.add(protocol)
        return protocol

    async def start(self) -> None:
        ssl_context = self._tls.server_context() if self._tls is not None and self._implicit else None
        self._server = await asyncio.get_running_loop().create_server(self._protocol, self.host, 0, ssl=ssl_context)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening and drop the sessions still open (asyncio's ``Server.close`` leaves
        them to leak past the event loop)."""
        self._closing.set()
        if self._server is not None:
            self._server.close()
            for session in self._sessions:
                if session.transport is not None:
                    session.transport.close()
            await asyncio.sleep(0)  # let the transports finish closing
            await self._server.wait_closed()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

