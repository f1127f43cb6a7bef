"""Per-site UDP ports in front of the one snmpsim backend.

Each simulated site gets its own 127.0.0.1 port, as a real fleet has its own address per site.
Requests are relayed to snmpsim unchanged (the site's community selects its data) and answers
relayed back; a site that is not ``answering`` drops every datagram, so it times out exactly
like an agent that lost power or its link, while every other site keeps answering.

One upstream socket per client address keeps replies apart without parsing SNMP; the least
recently used are closed beyond ``MAX_CLIENTS`` per site.
"""

from __future__ import annotations

import asyncio
import socket
from collections import OrderedDict
from typing import cast

__all__ = ["MAX_CLIENTS", "SiteProxy", "open_proxy"]

MAX_CLIENTS = 32


class SiteProxy(asyncio.DatagramProtocol):
    """The listening side of one site's port."""

    def __init__(self) -> None:
        #: where requests go; None (drop them) until the backend runs
        self.backend: tuple[str, int] | None = None
        self.answering = True
        self.transport: asyncio.DatagramTransport | None = None
        self._upstream: OrderedDict[tuple[str, int], socket.socket] = OrderedDict()
        self._loop = asyncio.get_running_loop()

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # 3.11's selector transport lacks the base

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if not self.answering or self.backend is None:
            return
        sock = self._upstream.get(addr)
        if sock is None:
            sock = self._open_upstream(addr)
        else:
            self._upstream.move_to_end(addr)
        try:
            sock.send(data)
        except OSError:
            self._close_upstream(addr)

    def _open_upstream(self, client: tuple[str, int]) -> socket.socket:
        assert self.backend is not None
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.connect(self.backend)
        self._loop.add_reader(sock.fileno(), self._relay_reply, sock, client)
        self._upstream[client] = sock
        while len(self._upstream) > MAX_CLIENTS:
            self._close_upstream(next(iter(self._upstream)))
        return sock

    def _relay_reply(self, sock: socket.socket, client: tuple[str, int]) -> None:
        try:
            data = sock.recv(65535)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # e.g. ICMP port unreachable while snmpsim restarts
            return
        if self.answering and self.transport is not None:
            self.transport.sendto(data, client)

    def _close_upstream(self, client: tuple[str, int]) -> None:
        sock = self._upstream.pop(client, None)
        if sock is not None:
            self._loop.remove_reader(sock.fileno())
            sock.close()

    def close(self) -> None:
        for client in list(self._upstream):
            self._close_upstream(client)
        if self.transport is not None:
            self.transport.close()


async def open_proxy(port: int) -> SiteProxy:
    """Listen on 127.0.0.1:``port`` (0 = any free port); set ``backend`` to start relaying."""
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_datagram_endpoint(SiteProxy, local_addr=("127.0.0.1", port))
    return protocol
