"""One pysnmp ``SnmpEngine`` set up for a fleet: a large receive buffer and indexed communities.

Why: pysnmp opens one UDP socket per engine with the kernel's default receive buffer
(~208 KiB here). With 200-500 requests in flight the replies arrive faster than the loop reads
them and the kernel drops some; each drop costs a full timeout. We open the socket ourselves
with a 4 MiB ``SO_RCVBUF`` and register it as the engine's transport, so pysnmp's own client
transport is never created. The engine must be built inside the running event loop, because
pysnmp's asyncio dispatcher binds to the loop it finds.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.entity import config
from pysnmp.entity.engine import SnmpEngine

from sitewatch.snmp.pysnmp_hlapi import prepare_engine
from sitewatch.snmp.pysnmp_security import CommunityRegistry, install_direct_usm

__all__ = ["FleetEngine"]

log = logging.getLogger(__name__)

_IPV4 = (socket.AF_INET, "0.0.0.0", udp.DOMAIN_NAME, udp.UdpAsyncioTransport)
_IPV6 = (socket.AF_INET6, "::", udp6.DOMAIN_NAME, udp6.Udp6AsyncioTransport)


def _open_socket(family: int, wildcard: str, rcvbuf: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        # Linux caps SO_RCVBUF at net.core.rmem_max; SO_RCVBUFFORCE passes the cap when privileged.
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) < rcvbuf and hasattr(socket, "SO_RCVBUFFORCE"):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUFFORCE, rcvbuf)
        got = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        if got < rcvbuf:
            log.warning("UDP receive buffer is %d bytes, not the %d asked for (raise net.core.rmem_max); "
                        "replies may be dropped under load", got, rcvbuf)
        sock.setblocking(False)
        sock.bind((wildcard, 0))
    except BaseException:
        sock.close()
        raise
    return sock


class FleetEngine:
    """A pysnmp engine shared by many targets, with its sockets and community registry."""

    def __init__(self, *, rcvbuf: int) -> None:
        self.snmp_engine = SnmpEngine()
        prepare_engine(self.snmp_engine)
        self.communities = CommunityRegistry(self.snmp_engine)
        install_direct_usm(self.snmp_engine)
        self._rcvbuf = rcvbuf
        self._sockets: dict[int, tuple[socket.socket, Any]] = {}
        self._add_transport(*_IPV4)

    def _add_transport(self, family: int, wildcard: str, domain: tuple[int, ...], kind: Any) -> None:
        sock = _open_socket(family, wildcard, self._rcvbuf)
        transport = kind().open_server_mode(sock=sock)
        config.add_transport(self.snmp_engine, domain, transport)
        self._sockets[family] = (sock, transport)

    def ensure_ipv6(self) -> None:
        """Open the IPv6 socket the first time an IPv6 target is used."""
        if socket.AF_INET6 not in self._sockets:
            self._add_transport(*_IPV6)

    def receive_buffer_bytes(self, family: int = socket.AF_INET) -> int:
        """The kernel's SO_RCVBUF for this engine's socket (Linux reports twice the usable size)."""
        return int(self._sockets[family][0].getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))

    def close(self) -> None:
        """Stop the dispatcher and close the sockets."""
        self.snmp_engine.close_dispatcher()
        for sock, transport in self._sockets.values():
            if transport.transport is None:  # the endpoint never came up: asyncio does not own it
                sock.close()
        self._sockets.clear()
