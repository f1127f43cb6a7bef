"""uvicorn inside an asyncio program that owns its own signals, with limits for a listener
that on-call phones reach over the internet.

- a request head (request line and headers) larger than ``MAX_HEAD_BYTES`` gets
  ``431 Request Header Fields Too Large``; the rest of what the client sends is read and
  dropped for a moment before the close, so the client reads the 431 rather than a reset;
- a client must send a whole request head within the request timeout after connecting or
  after its previous response (slow-header clients are closed), and then its body within the
  same time again (``408``);
- an idle keep-alive connection is closed after ``KEEP_ALIVE_SECONDS``;
- beyond ``MAX_CONNECTIONS`` concurrent connections and requests uvicorn answers ``503``;
- a request body larger than the app's limit gets ``413``;
- a client that hangs up in the middle of its body is a normal event, not a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator

import uvicorn
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["KEEP_ALIVE_SECONDS", "MAX_CONNECTIONS", "MAX_HEAD_BYTES", "EmbeddedServer", "LimitedH11Protocol",
           "RequestLimits", "server_config"]

MAX_HEAD_BYTES = 32 * 1024
KEEP_ALIVE_SECONDS = 5
MAX_CONNECTIONS = 256
_LINGER_SECONDS = 2.0
_HEAD_431 = (b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
             b"connection: close\r\ncontent-length: %d\r\n\r\n")
_BODY_431 = b'{"error": "request head larger than %d bytes"}' % MAX_HEAD_BYTES


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server run as one task of a larger program: it leaves signal handling to the
    program (uvicorn would otherwise replace SIGINT/SIGTERM handlers while it serves)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class LimitedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request-head size limit answered by 431 and a deadline
    for the request head. uvicorn itself has neither: it times out only idle keep-alive
    connections (and any byte restarts that), and h11's own buffer limit answers 400 and
    closes at once, which the client sees as a connection reset while it is still sending."""

    @staticmethod
    def request_timeout() -> float:
        """Seconds a client has for its request head (the configuration's, read each time)."""
        return 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_bytes = 0
        self._dropping = False
        self._await_head()

    def _await_head(self) -> None:
        """Arm the head deadline: the next request must start within the request timeout."""
        self._head_bytes = 0
        self._waiting_since = self.cycle
        self._head_timer = self.loop.call_later(self.request_timeout(), self._head_deadline)

    def _head_deadline(self) -> None:
        if self.cycle is self._waiting_since and not self.transport.is_closing():
            self.transport.close()  # nothing to answer: h11 cannot respond before a request

    def data_received(self, data: bytes) -> None:
        if self._dropping:
            return
        waiting = self.cycle is self._waiting_since
        super().data_received(data)
        if waiting and self.cycle is self._waiting_since:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
                self._refuse_head()
        elif self.cycle is not self._waiting_since:
            self._head_timer.cancel()

    def _refuse_head(self) -> None:
        self._dropping = True
        self._head_timer.cancel()
        self.transport.write(_HEAD_431 % len(_BODY_431) + _BODY_431)
        with contextlib.suppress(OSError, NotImplementedError):
            self.transport.write_eof()
        self.loop.call_later(_LINGER_SECONDS, self.transport.close)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.cycle is not None and self.cycle.response_complete:
            self._head_timer.cancel()
            self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_timer.cancel()
        super().connection_lost(exc)


def server_config(app: ASGIApp, host: str, port: int, *, request_timeout: Callable[[], float]) -> uvicorn.Config:
    """The listener's uvicorn configuration with the limits above; ``request_timeout()`` is the
    current configuration's."""
    class Protocol(LimitedH11Protocol):
        pass

    Protocol.request_timeout = staticmethod(request_timeout)  # type: ignore[method-assign]
    # log_config=None: uvicorn's lines go through sitewatch's handler and format (JSON or text)
    return uvicorn.Config(app, host=host, port=port, log_level="warning", log_config=None, access_log=False,
                          lifespan="off", http=Protocol, timeout_keep_alive=KEEP_ALIVE_SECONDS,
                          limit_concurrency=MAX_CONNECTIONS,
                          # h11's own limit only backs ours up: it would answer 400 and reset
                          h11_max_incomplete_event_size=8 * MAX_HEAD_BYTES + 256 * 1024)


class RequestLimits:
    """ASGI middleware: a request body may hold at most ``max_body`` bytes (413, before it is
    read when Content-Length says so) and must arrive within ``timeout()`` seconds (408); a
    client that hangs up before its body is complete ends the request quietly. Errors are
    raised as ``HTTPException`` for the app's own error responses."""

    def __init__(self, app: ASGIApp, max_body: int, timeout: Callable[[], float]) -> None:
        self.app = app
        self.max_body = max_body
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = HTTPException(413, f"the request body is larger than {self.max_body} bytes")
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            # uvicorn reads and drops the rest of the body: the client reads the 413, not a reset
            await JSONResponse({"error": too_large.detail}, status_code=413)(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout()
        body_done = False
        received = 0

        async def timed_receive() -> Message:
            nonlocal body_done, received
            if body_done:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise HTTPException(408, "the request body did not arrive in time") from None
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise too_large
            return message

        with contextlib.suppress(ClientDisconnect):
            await self.app(scope, timed_receive, send)
