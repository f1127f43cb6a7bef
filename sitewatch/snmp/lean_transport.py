"""One UDP socket shared by every request of the lean SNMP client, and the guard at its door.

Why a single socket with a request-id map: a socket per request or per site costs a file
descriptor, a bind and a transport each; one socket with a 4 MiB receive buffer carries
thousands of requests per second. Because anyone can send to that socket, a reply completes a
request only if it decodes, is a Response, carries a pending request-id, and comes from the
address, port, version and community the request went to. Everything else is dropped and
counted by reason (``DROP_REASONS``); nothing a datagram holds can raise out of here.

A reply that matches its request but is broken after the request-id (a value or an OID that
does not decode) is dropped as ``malformed`` too, and the request keeps waiting: whoever
guessed a request-id must not be able to fail a site's poll. If no good reply comes, the
request times out like any unanswered one (its message says how many were dropped).

Timeouts: requests with the same per-try timeout expire in the order they were sent, so each
timeout value keeps a FIFO of deadlines swept every ``SWEEP_SECONDS`` — no timer object per
request, and nothing to cancel when a reply arrives.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import socket
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, cast

from sitewatch.core.errors import PollError
from sitewatch.core.model import PollErrorKind, SnmpValue
from sitewatch.snmp.ber import (
    REQUEST_ID_RANGE,
    DecodeError,
    parse_envelope,
    parse_expected_varbinds,
    parse_named_varbinds,
    parse_pdu,
    parse_varbinds,
)

__all__ = ["DROP_REASONS", "SWEEP_SECONDS", "Endpoint", "Reply", "open_endpoint"]

#: Why an incoming datagram was dropped (labels of ``sitewatch_snmp_packets_dropped_total``).
DROP_REASONS = ("malformed", "unknown_request_id", "wrong_source", "wrong_community", "wrong_version",
                "not_response", "oversized")

#: How late a timeout may fire, at most.
SWEEP_SECONDS = 0.02

#: (error-status, error-index, [(dotted OID if names were given else OID content octets, value)]);
#: the list is ``None`` when an ``expect``-ing exchange got other OIDs than the expected ones
Reply = tuple[int, int, list[tuple[Any, SnmpValue]] | None]

_RID_LOW = REQUEST_ID_RANGE[0]
_RESPONSE = 0xA2


class _Pending:
    """One request in flight (mutable: retries count down)."""

    __slots__ = ("community", "corrupted", "data", "decode_error", "expect", "future", "host", "names", "port",
                 "seq", "tlvs", "tries_left", "version")

    def __init__(self, seq: int, future: asyncio.Future[Reply], host: str, port: int, version: int,
                 community: bytes, data: bytes, retries: int, names: Sequence[str], tlvs: Sequence[bytes],
                 expect: bool) -> None:
        self.seq = seq  # tells this request from a later one that drew the same request-id
        self.future = future
        self.host = host
        self.port = port
        self.version = version
        self.community = community
        self.data = data
        self.tries_left = retries
        self.names = names
        self.tlvs = tlvs
        self.expect = expect
        self.corrupted = 0  # matching replies dropped because they do not decode
        self.decode_error = ""  # why the last of them did not


class Endpoint(asyncio.DatagramProtocol):
    """A bound UDP socket, its pending requests by request-id, and the drop counters."""

    def __init__(self, sock: socket.socket, dropped: dict[str, int], max_response_size: int,
                 oid_name: Callable[[bytes], str]) -> None:
        self._sock = sock
        self._oid_name = oid_name  # validates (and names) the OIDs of a walk answer; DecodeError if bad
        self._dropped = dropped
        self._max_size = max_response_size
        self._loop = asyncio.get_running_loop()
        self._pending: dict[int, _Pending] = {}
        self._rand = random.Random(os.urandom(16)).getrandbits  # request-ids an off-path host cannot guess
        # (deadline, request-id, seq): no reference to the request, so an answered one is freed at once
        self._deadlines: dict[float, deque[tuple[float, int, int]]] = {}
        self._seq = itertools.count()
        self._sweeper: asyncio.TimerHandle | None = None
        self.transport: asyncio.DatagramTransport | None = None
        self.closed = False
        self.drain = 64  #: datagrams read directly after one asyncio hands over

    @property
    def local_port(self) -> int:
        return int(self._sock.getsockname()[1])

    # ------------------------------------------------------------ requests

    async def exchange(self, host: str, port: int, version: int, community: bytes, prefix: bytes,
                       suffix: bytes, wait: float, retries: int, names: Sequence[str] = (),
                       tlvs: Sequence[bytes] = (), expect: bool = False) -> Reply:
        """Send ``prefix + request-id + suffix`` to (host, port); the reply, or ``PollError``.

        Each try waits ``wait`` seconds; ``retries`` more tries resend the same bytes (same
        request-id, so a late answer to an earlier try still counts). With ``names``/``tlvs``
        (a GET's OIDs) the reply's varbinds come keyed by dotted OID, else by raw OID. With
        ``expect`` the reply must carry exactly the OIDs ``tlvs``, in order; if it does not, its
        varbind list comes back as ``None`` (a well-formed reply all the same).
        """
        if self.closed:
            raise PollError(PollErrorKind.NETWORK, "client closed")
        pending = self._pending
        rid = self._rand(31) | _RID_LOW
        while rid in pending:
            rid = self._rand(31) | _RID_LOW
        data = prefix + rid.to_bytes(4, "big") + suffix
        p = _Pending(next(self._seq), self._loop.create_future(), host, port, version, community, data, retries,
                     names, tlvs, expect)
        pending[rid] = p
        try:
            self._send(data, (host, port))
            self._expire_at(wait, rid, p)
            return await p.future
        finally:
            if pending.get(rid) is p:
                del pending[rid]

    def _send(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            self._sock.sendto(data, addr)
        except (BlockingIOError, InterruptedError):
            if self.transport is None:
                raise PollError(PollErrorKind.NETWORK, "socket not ready") from None
            self.transport.sendto(data, addr)  # queued by the transport until the socket drains
        except OSError as e:
            raise PollError(PollErrorKind.NETWORK, f"send to {addr[0]}:{addr[1]} failed: {e.strerror}") from None

    def _expire_at(self, wait: float, rid: int, p: _Pending) -> None:
        queue = self._deadlines.get(wait)
        if queue is None:
            queue = self._deadlines[wait] = deque()
        queue.append((self._loop.time() + wait, rid, p.seq))
        if self._sweeper is None:
            self._sweeper = self._loop.call_later(SWEEP_SECONDS, self._sweep)

    def _sweep(self) -> None:
        self._sweeper = None
        now = self._loop.time()
        pending = self._pending
        for wait, queue in list(self._deadlines.items()):
            while queue and queue[0][0] <= now:
                _, rid, seq = queue.popleft()
                p = pending.get(rid)
                if p is not None and p.seq == seq and not p.future.done():
                    self._expired(wait, rid, p)
            if not queue:
                del self._deadlines[wait]
        if self._deadlines and self._sweeper is None and not self.closed:
            self._sweeper = self._loop.call_later(SWEEP_SECONDS, self._sweep)

    def _expired(self, wait: float, rid: int, p: _Pending) -> None:
        if p.tries_left > 0:
            p.tries_left -= 1
            try:
                self._send(p.data, (p.host, p.port))
            except PollError as e:
                p.future.set_exception(e)
                return
            self._expire_at(wait, rid, p)
        elif p.corrupted:
            n = p.corrupted
            p.future.set_exception(PollError(
                PollErrorKind.TIMEOUT, f"no valid reply from {p.host}:{p.port} ({n} corrupted "
                f"{'reply' if n == 1 else 'replies'} dropped, the last one: {p.decode_error})"))
        else:
            p.future.set_exception(PollError(PollErrorKind.TIMEOUT, f"no reply from {p.host}:{p.port}"))

    # ------------------------------------------------------------ replies

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._reply(data, addr)
        # asyncio reads one datagram per turn of the loop; under load many more are waiting, and
        # reading them here saves a turn (a select and its bookkeeping) for each
        sock, size = self._sock, self._max_size + 1  # one byte more: an oversized one shows as such
        for _ in range(self.drain):
            try:
                data, addr = sock.recvfrom(size)
            except OSError:  # BlockingIOError: nothing more waiting; others are the transport's to see
                return
            self._reply(data, addr)

    def _reply(self, data: bytes, addr: Any) -> None:
        dropped = self._dropped
        if len(data) > self._max_size:
            dropped["oversized"] += 1
            return
        try:
            version, community, tag, start, end = parse_envelope(data)
            if tag != _RESPONSE:
                dropped["not_response"] += 1
                return
            rid, status, index, i, j = parse_pdu(data, start, end)
        except DecodeError as e:
            dropped["wrong_version" if e.reason == "unsupported_version" else "malformed"] += 1
            return
        p = self._pending.get(rid)
        if p is None or p.future.done():
            dropped["unknown_request_id"] += 1
            return
        if addr[1] != p.port or addr[0] != p.host:
            dropped["wrong_source"] += 1
            return
        if version != p.version:
            dropped["wrong_version"] += 1
            return
        if community != p.community:
            dropped["wrong_community"] += 1
            return
        try:
            varbinds: list[tuple[Any, SnmpValue]] | None
            if p.names:
                varbinds = (parse_expected_varbinds if p.expect else parse_named_varbinds)(
                    data, i, j, p.names, p.tlvs)
            else:
                varbinds = parse_varbinds(data, i, j)
                name = self._oid_name
                for raw, _ in varbinds:
                    name(raw)
        except DecodeError as e:
            # keep waiting: the genuine reply may still come; if none does, the request times out
            dropped["malformed"] += 1
            p.corrupted += 1
            p.decode_error = e.reason
            return
        del self._pending[rid]
        p.future.set_result((status, index, varbinds))

    def error_received(self, exc: Exception) -> None:
        # ICMP errors on an unconnected socket cannot be tied to a request: the request times out
        pass

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        self._deadlines.clear()
        for p in list(self._pending.values()):
            if not p.future.done():
                p.future.set_exception(PollError(PollErrorKind.NETWORK, "client closed"))
        self._pending.clear()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()
        else:
            self._sock.close()


async def open_endpoint(family: int, dropped: dict[str, int], *, receive_buffer: int,
                        max_response_size: int, bind_host: str, oid_name: Callable[[bytes], str]) -> Endpoint:
    """Bind a UDP socket with a large receive buffer and wrap it in an ``Endpoint``.

    ``oid_name`` gives the dotted form of an OID's content octets, ``DecodeError`` if they are
    not a valid OID: a walk answer holding one is dropped as corrupted."""
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        force = getattr(socket, "SO_RCVBUFFORCE", None)
        try:
            # beyond net.core.rmem_max only with CAP_NET_ADMIN; otherwise the kernel's cap applies
            sock.setsockopt(socket.SOL_SOCKET, force if force is not None else socket.SO_RCVBUF, receive_buffer)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.bind((bind_host, 0))
        sock.setblocking(False)
        endpoint = Endpoint(sock, dropped, max_response_size, oid_name)
        await asyncio.get_running_loop().create_datagram_endpoint(lambda: endpoint, sock=sock)
    except BaseException:
        sock.close()
        raise
    return endpoint
