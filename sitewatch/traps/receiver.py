"""The SNMP trap and inform receiver: authenticated notifications in, ``TrapEvent`` out.

    UDP datagram ──source known?──▶ pysnmp (community / USM via ``security``) ──▶ trap map ──▶ on_event

Accepts SNMPv1 traps, v2c traps and informs (pysnmp acknowledges informs before we see them),
and SNMPv3 traps and informs (see ``security`` for how v3 keys and engine ids are handled).
Every datagram ends in exactly one result, counted in ``counts``:

- ``accepted``         a notification from a known site that a trap map knows
- ``unknown_trap``     the same, but no map knows the trap (still delivered, with no asserts)
- ``unknown_source``   the source address is no site's SNMP target host
- ``bad_community``    v1/v2c community not accepted for the site at that address
- ``ambiguous_source`` the credentials fit several sites at that address (see ``sources``)
- ``bad_auth``         v3: unknown user for that site, wrong key, or a lower security level
- ``malformed``        not a readable notification (undecodable, wrong version, not a trap PDU)

v3 engine discovery and time synchronisation exchanges are protocol traffic, not counted.

``on_event`` may be a plain function or a coroutine function. A plain one is called inline,
in arrival order, while the datagram is handled (keep it quick: hand the event to a queue).
A coroutine is started as a task per event, in arrival order; ``stop()`` waits a few seconds
for running ones, then cancels them. An exception in ``on_event`` is logged, never raised.
The listen address is fixed for the receiver's life; ``update()`` swaps the sites and
credentials on a configuration reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.entity import config
from pysnmp.entity.engine import SnmpEngine
from pysnmp.entity.rfc3413 import ntfrcv
from pysnmp.proto import rfc1902

from sitewatch.config.schema import Config
from sitewatch.core.clock import Clock, SystemClock
from sitewatch.core.conditions import TrapEvent
from sitewatch.core.devicetext import device_text
from sitewatch.core.errors import PollError
from sitewatch.core.model import SnmpException
from sitewatch.snmp.pysnmp_values import to_snmp_value
from sitewatch.snmp.values import render
from sitewatch.traps.catalog import TrapCatalog
from sitewatch.traps.security import IGNORED, Datagram, Screen, install_security
from sitewatch.traps.sources import TrapSources, normalize_address

__all__ = ["RESULTS", "OnEvent", "TrapReceiver", "parse_listen", "printable"]

log = logging.getLogger(__name__)

RESULTS: Final = ("accepted", "unknown_trap", "unknown_source", "bad_community", "ambiguous_source", "bad_auth",
                  "malformed")
OnEvent = Callable[[TrapEvent], "Awaitable[None] | None"]

_SNMP_TRAP_OID: Final = "1.3.6.1.6.3.1.1.4.1.0"
#: never shown: the v1 → v2 translation (RFC 3584) copies the community into this varbind
_SNMP_TRAP_COMMUNITY: Final = "1.3.6.1.6.3.18.1.4.0"
_STOP_GRACE = 5.0
_WARN_LIMIT = 1000
#: a province-wide outage sends thousands of traps at once; pysnmp handles ~1000/s on one core
_RCVBUF = 4 << 20


def parse_listen(listen: str) -> tuple[str, int]:
    """``"0.0.0.0:162"`` / ``"[::]:162"`` → (host, port)."""
    host, _, port = listen.rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def printable(value: Any) -> str:
    """A varbind value as text: numbers, dotted OIDs, dotted-quad IpAddress, text, or 0x-hex
    (``device_text``: capped, nothing unprintable)."""
    if value.tagSet == rfc1902.IpAddress.tagSet:
        return ".".join(str(b) for b in bytes(value.asOctets()))
    try:
        raw = to_snmp_value(value, "")
    except PollError:
        return device_text(str(value.prettyPrint()))
    if isinstance(raw, bytes):
        text = raw.rstrip(b"\x00")
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError:
            decoded = ""
        return device_text(decoded if decoded.isprintable() else "0x" + raw.hex())
    return render(raw) if raw is None or isinstance(raw, SnmpException) else device_text(str(raw))


class TrapReceiver:
    """Receives notifications on one UDP address; see the module docstring for the results."""

    def __init__(self, *, sources: TrapSources, on_event: OnEvent, listen: str = "0.0.0.0:162",
                 catalog: TrapCatalog | None = None, clock: Clock | None = None, max_engine_ids: int = 4) -> None:
        self.listen = listen  #: the address asked for (``address`` is where it is bound)
        self._listen = parse_listen(listen)
        self._on_event = on_event
        self._catalog = catalog if catalog is not None else TrapCatalog.shipped()
        self._clock = clock or SystemClock()
        self._screen = Screen(sources, max_engine_ids=max_engine_ids)
        self._counts = dict.fromkeys(RESULTS, 0)
        self._engine: SnmpEngine | None = None
        self._sock: socket.socket | None = None
        self._transport: Any = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._warned: set[tuple[str, str]] = set()
        self.address: tuple[str, int] | None = None  #: where it listens, once started
        for w in sources.warnings:
            log.warning("traps: %s", w)

    @classmethod
    def from_config(cls, config_: Config, *, on_event: OnEvent, catalog: TrapCatalog | None = None,
                    clock: Clock | None = None) -> TrapReceiver:
        """A receiver for ``config_.traps.listen`` and the configured sites (secrets resolved)."""
        return cls(sources=TrapSources.from_config(config_), on_event=on_event, listen=config_.traps.listen,
                   catalog=catalog, clock=clock)

    @property
    def counts(self) -> Mapping[str, int]:
        """Datagrams by result (every result present, 0 until seen); a live read-only view."""
        return MappingProxyType(self._counts)

    def update(self, sources: TrapSources) -> None:
        """Use new sites and credentials from now on (configuration reload)."""
        for w in sources.warnings:
            log.warning("traps: %s", w)
        self._screen.sources = sources
        if self._engine is not None:
            self._screen.reset_keys(self._engine)

    async def start(self) -> None:
        """Bind the UDP port (OSError if taken or not permitted) and start receiving."""
        if self._engine is not None:
            return
        host, port = self._listen
        v6 = ":" in host
        sock = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
        try:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
            sock.setblocking(False)
            sock.bind((host, port))
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self.address = sock.getsockname()[:2]
        # Linux caps the buffer at net.core.rmem_max (and reports twice the usable size)
        log.info("traps: UDP receive buffer %d bytes", sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
        engine = SnmpEngine()
        install_security(engine, self._screen)
        transport = (udp6.Udp6AsyncioTransport() if v6 else udp.UdpAsyncioTransport()).open_server_mode(sock=sock)
        config.add_transport(engine, udp6.DOMAIN_NAME if v6 else udp.DOMAIN_NAME, transport)
        # Our receive callback wraps pysnmp's: it sees each datagram before and after pysnmp.
        dispatcher = engine.transport_dispatcher
        dispatcher.unregister_recv_callback()
        dispatcher.register_recv_callback(self._datagram)
        ntfrcv.NotificationReceiver(engine, self._notification)
        self._engine, self._transport = engine, transport
        for _ in range(100):  # the endpoint is created by a task: let it run
            if transport.transport is not None:
                break
            await asyncio.sleep(0)
        log.info("traps: listening on %s:%d", *self.address)

    async def stop(self) -> None:
        """Close the socket; wait briefly for running ``on_event`` tasks, then cancel them."""
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.close_dispatcher()
            if self._transport.transport is None and self._sock is not None:  # asyncio never took it over
                self._sock.close()
        self._sock = self._transport = None
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=_STOP_GRACE)
            for t in pending:
                t.cancel()
            if pending:
                await asyncio.wait(pending)

    # -- per datagram -----------------------------------------------------------------------

    def _datagram(self, dispatcher: Any, domain: Any, address: Any, message: bytes) -> None:
        received_at = self._clock.time()
        try:
            source = normalize_address(str(address[0]))
        except ValueError:
            source = str(address[0])
        engine = self._engine
        if engine is None:
            return
        d = Datagram(address=source, port=int(address[1]), received_at=received_at)
        if not self._screen.sources.knows(source):
            d.outcome = "unknown_source"
        else:
            self._screen.current = d
            try:
                engine.message_dispatcher.receive_message(engine, domain, address, message)
            except Exception as e:  # pysnmp may raise on hostile input: the receiver keeps going
                log.debug("traps: %s:%d: pysnmp failed on a datagram: %s", source, d.port, type(e).__name__)
            finally:
                self._screen.current = None
        outcome = d.outcome or "malformed"
        if outcome == IGNORED:
            return
        self._counts[outcome] += 1
        if outcome not in ("accepted", "unknown_trap") and len(self._warned) < _WARN_LIMIT \
                and (source, outcome) not in self._warned:
            self._warned.add((source, outcome))
            log.warning("traps: dropping datagrams from %s (%s); later ones are only counted", source, outcome)

    def _notification(self, engine: Any, state_ref: Any, context_engine_id: Any, context_name: Any,
                      var_binds: Any, cb_ctx: Any) -> None:
        d = self._screen.current
        if d is None or d.site_id is None:
            return
        raw: list[tuple[str, Any]] = []
        shown: dict[str, str] = {}
        trap_oid = None
        for name, value in var_binds:
            oid = str(name)
            if oid == _SNMP_TRAP_OID:
                trap_oid = str(value)
                continue
            if oid == _SNMP_TRAP_COMMUNITY:
                continue
            with contextlib.suppress(PollError):  # a type SNMP does not define: shown, not interpreted
                raw.append((oid, to_snmp_value(value, oid)))
            shown[oid] = printable(value)
        if trap_oid is None:
            return  # no snmpTrapOID.0: counted malformed
        meaning = self._catalog.interpret(trap_oid, raw)
        d.outcome = "accepted" if meaning.known else "unknown_trap"
        event = TrapEvent(site_id=d.site_id, received_at=d.received_at, trap_oid=trap_oid, name=meaning.name,
                          source=_host_port(d.address, d.port), asserts=meaning.asserts, varbinds=shown)
        self._deliver(event)

    def _deliver(self, event: TrapEvent) -> None:
        try:
            result = self._on_event(event)
        except Exception:
            log.exception("traps: on_event failed for %s from site %s", event.name, event.site_id,
                          extra={"site": event.site_id})
            return
        if isinstance(result, Awaitable):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("traps: on_event failed", exc_info=task.exception())
