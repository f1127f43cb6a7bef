"""``Fleet``: the simulated fleet as one object — start it, change its sites, read their state.

    async with Fleet(config, workdir=tmp) as fleet:
        host, port = fleet.endpoint("BTS-001")        # community: fleet.community("BTS-001")
        fleet.set_mains("BTS-001", False)              # AC phases → 0 V, battery starts draining
        fleet.set_battery("BTS-001", drain_per_minute=0.02)
        fleet.advance(600)                             # ten simulated minutes later
        fleet.set_link("BTS-001", "eth0", up=False)
        fleet.set_agent("BTS-001", answering=False)    # the site times out; others answer
        fleet.set_alarm("NOC-01", "battery_bad", True)  # a row in upsAlarmTable
        fleet.set_bypass("NOC-01", True)               # upsOutputSource bypass(4)
        fleet.set_phase("BTS-001", 2, 0)               # one AC phase lost; set_voltage: every phase
        fleet.set_frequency("NOC-01", 45.5)
        fleet.set_temperature("BTS-001", 45)           # the room, on the site monitor
        fleet.set_door("BTS-001", True)                # door contact open
        fleet.set_smoke("BTS-001", True)               # smoke detector contact open

A change a site's device cannot show (a UPS alarm on a DC plant) raises ``ValueError`` saying
so; a value out of range or an unknown alarm name raises ``InvalidValue``. Every change is
written to the site's table at once; a background tick (``tick_seconds``) moves
time-driven values (battery, seconds on battery, uptime). Time comes from ``SimClock``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from pathlib import Path
from types import TracebackType
from typing import Any

from sitewatch.config.schema import Config
from sitewatch.simulator.mibs import (
    ELTEK,
    SITEMONITOR,
    SYS_UPTIME,
    UPS,
    UPS_ALARMS,
    Table,
    interface_names,
)
from sitewatch.simulator.overlay import render
from sitewatch.simulator.plan import FleetFile, SimulatedSite, plan_fleet
from sitewatch.simulator.proxy import SiteProxy, open_proxy
from sitewatch.simulator.responder import SnmpsimResponder
from sitewatch.simulator.site_state import SimClock, SiteState, settle

__all__ = ["Fleet", "InvalidValue", "probe_packet"]

log = logging.getLogger("sitewatch.simulator")


def _ber(tag: int, body: bytes) -> bytes:
    n = len(body)
    length = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes(
        (n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + length + body


def probe_packet(community: str, request_id: int = 1) -> bytes:
    """SNMPv2c GET sysUpTime.0 — enough to learn whether an agent answers."""
    oid = _ber(0x06, bytes([0x2B, 6, 1, 2, 1, 1, 3, 0]))
    varbinds = _ber(0x30, _ber(0x30, oid + b"\x05\x00"))
    pdu = _ber(0xA0, _ber(0x02, request_id.to_bytes(4, "big")) + b"\x02\x01\x00\x02\x01\x00" + varbinds)
    return _ber(0x30, b"\x02\x01\x01" + _ber(0x04, community.encode()) + pdu)


class _Probe(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.answered: set[tuple[str, int]] = set()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.answered.add((addr[0], addr[1]))


class InvalidValue(ValueError):
    """A change asked with a value no device could show (out of range, an unknown name)."""


def _within(name: str, value: float | None, low: float, high: float, unit: str) -> float | None:
    if value is not None and not low <= value <= high:
        raise InvalidValue(f"{name} must be within {low:g}..{high:g} {unit}, got {value:g}")
    return value


def input_phases(table: Table) -> tuple[int, ...]:
    """The AC input phases a device shows: UPS-MIB input lines, or Eltek acVoltage1-3."""
    column = f"{UPS}.3.3.1.3."
    lines = sorted(int(oid[len(column):]) for oid in table if oid.startswith(column) and oid[len(column):].isdigit())
    if lines:
        return tuple(lines)
    return tuple(p for p in (1, 2, 3) if f"{ELTEK}.6.{p}.0" in table)


class _PortTaken(Exception):
    """Another socket holds the port snmpsim was started on."""


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Fleet:
    """Every site of ``config`` served as an SNMP agent on 127.0.0.1, one port per site."""

    def __init__(self, config: Config, *, workdir: str | Path, fleet_file: FleetFile | None = None,
                 port_base: int = 0, clock: SimClock | None = None, tick_seconds: float = 1.0,
                 start_seconds: float = 60.0) -> None:
        self.config = config
        self.workdir = Path(workdir)
        self.clock = clock or SimClock()
        self.tick_seconds = tick_seconds
        self.port_base = port_base
        self.start_seconds = start_seconds
        self.sites: dict[str, SimulatedSite] = {s.site.id: s for s in plan_fleet(config, fleet_file)}
        self._tables = {site_id: f"site_{i}" for i, site_id in enumerate(self.sites)}
        self._states: dict[str, SiteState] = {}
        self._proxies: dict[str, SiteProxy] = {}
        self._responder = SnmpsimResponder(self.workdir)
        self._booted_at = 0.0
        self._ticker: asyncio.Task[None] | None = None

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        """Serve every site; returns once each one answers through its own port (at most
        ``start_seconds``, else TimeoutError)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._booted_at = self.clock.time()
        self._states = {site_id: SiteState(site_id=site_id, at=self._booted_at) for site_id in self.sites}
        self._responder.create({s.community: self._tables[i] for i, s in self.sites.items()}, self._render_all())
        try:
            # the site ports first, so that the backend's port cannot be one of them
            for n, site_id in enumerate(self.sites):
                self._proxies[site_id] = await open_proxy(self.port_base + n if self.port_base else 0)
            backend = await self._start_backend()
            for proxy in self._proxies.values():
                proxy.backend = backend
            await self._wait_answering({("127.0.0.1", self._proxies[i].port): s.community
                                        for i, s in self.sites.items()}, self.start_seconds)
        except BaseException:
            await self.stop()
            raise
        self._ticker = asyncio.create_task(self._tick(), name="simulator-tick")

    async def stop(self) -> None:
        """Stop serving: proxies closed, snmpsim terminated. Safe to call twice."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        for proxy in self._proxies.values():
            proxy.close()
        self._proxies.clear()
        self._responder.stop()

    async def __aenter__(self) -> Fleet:
        await self.start()
        return self

    async def __aexit__(self, t: type[BaseException] | None, e: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    async def _start_backend(self, attempts: int = 3) -> tuple[str, int]:
        """Start snmpsim on a free port and return its address once it answers. snmpsim does not
        report a port it failed to bind (another process took it meanwhile): it just never
        answers. So when its port is held by another socket, or it stays silent, it is started
        again on another port."""
        community = next(iter(self.sites.values())).community if self.sites else "public"
        deadline = asyncio.get_running_loop().time() + self.start_seconds
        for _ in range(attempts):
            backend = ("127.0.0.1", _free_udp_port())
            self._responder.start(backend[1])
            try:
                # a slow start (indexing many sites on a busy machine) is waited for; only a
                # port taken by another socket is a reason to start again elsewhere
                await self._wait_answering({backend: community},
                                           max(1.0, deadline - asyncio.get_running_loop().time()))
                return backend
            except _PortTaken:
                self._responder.stop_process()
            except TimeoutError:
                self._responder.stop_process()
                break
        raise TimeoutError(f"snmpsim did not answer in {attempts} tries:\n{self._responder.log_tail()}")

    async def _wait_answering(self, agents: dict[tuple[str, int], str], seconds: float) -> None:
        """Until every agent (address → community) has answered a GET."""
        loop = asyncio.get_running_loop()
        transport, probe = await loop.create_datagram_endpoint(_Probe, local_addr=("127.0.0.1", 0))
        pending = dict(agents)
        try:
            async with asyncio.timeout(seconds):
                while pending:
                    if (code := self._responder.exited()) is not None:
                        raise RuntimeError(f"snmpsim exited with code {code}:\n{self._responder.log_tail()}")
                    if self._responder.port_taken():
                        raise _PortTaken(self._responder.port)
                    for address, community in pending.items():
                        transport.sendto(probe_packet(community), address)
                    await asyncio.sleep(0.1)
                    for address in probe.answered & pending.keys():
                        del pending[address]
        except TimeoutError:
            raise TimeoutError(f"{len(pending)} of {len(agents)} simulated agents did not answer within "
                               f"{seconds:g}s") from None
        finally:
            transport.close()

    async def _tick(self) -> None:
        failing = False
        while True:
            await asyncio.sleep(self.tick_seconds)
            try:
                self.refresh()
                failing = False
            except Exception:  # keep ticking; log a run of failures once
                if not failing:
                    log.exception("simulator: serving the new state failed")
                failing = True

    # -- serving --------------------------------------------------------------------------
    def _render(self, site_id: str) -> Table:
        sim, state = self.sites[site_id], self._states[site_id]
        base_ticks = int(sim.table.get(SYS_UPTIME, ("67", "0"))[1] or 0)
        uptime = base_ticks + round((state.at - self._booted_at) * 100)
        return render(sim.table, state, sim.battery, uptime_ticks=uptime,
                      generator_installed=sim.site.backup.generator)

    def _render_all(self) -> dict[str, Table]:
        return {self._tables[i]: self._render(i) for i in self.sites}

    def refresh(self) -> None:
        """Bring every site to the clock's present and serve it."""
        now = self.clock.time()
        for site_id, state in self._states.items():
            self._states[site_id] = settle(state, self.sites[site_id].battery, now)
        self._responder.write(self._render_all())

    def _change(self, site_id: str, **fields: Any) -> dict[str, Any]:
        sim = self._site(site_id)
        self._states[site_id] = self._states[site_id].change(sim.battery, self.clock.time(), **fields)
        log.info("%s: %s", site_id, ", ".join(f"{k}={v}" for k, v in fields.items()))
        self._responder.write({self._tables[site_id]: self._render(site_id)})
        return self.status(site_id)

    def _site(self, site_id: str) -> SimulatedSite:
        try:
            return self.sites[site_id]
        except KeyError:
            raise LookupError(f"no simulated site {site_id!r}") from None

    # -- changing sites -------------------------------------------------------------------
    def set_mains(self, site_id: str, ok: bool) -> dict[str, Any]:
        """Mains present (``ok``) or failed at the site."""
        return self._change(site_id, mains_ok=ok)

    def set_generator(self, site_id: str, running: bool) -> dict[str, Any]:
        """Start or stop the site's generator (only where ``backup.generator`` is true)."""
        if running and not self._site(site_id).site.backup.generator:
            raise ValueError(f"site {site_id} has no generator (backup.generator is false)")
        return self._change(site_id, generator_running=running)

    def set_link(self, site_id: str, interface: str, up: bool) -> dict[str, Any]:
        """Interface ``interface`` (ifName/ifDescr) operationally up or down."""
        if interface not in interface_names(self._site(site_id).table):
            raise LookupError(f"site {site_id} has no interface {interface!r}")
        down = self._states[site_id].links_down
        return self._change(site_id, links_down=down - {interface} if up else down | {interface})

    def set_agent(self, site_id: str, answering: bool) -> dict[str, Any]:
        """The site's agent answers, or goes silent (every request times out)."""
        self._site(site_id)
        self._proxies[site_id].answering = answering
        return self._change(site_id, answering=answering)

    def set_battery(self, site_id: str, *, drain_per_minute: float | None = None, charge: float | None = None,
                    follow_load: bool = False) -> dict[str, Any]:
        """Drain rate while on battery (charge ratio per minute; ``follow_load`` goes back to the
        rate the load causes) and/or the charge right now (0..1)."""
        fields: dict[str, Any] = {}
        if drain_per_minute is not None:
            if not 0 < drain_per_minute <= 1:
                raise ValueError("drain_per_minute must be in (0, 1]")
            fields["drain_per_minute"] = drain_per_minute
        elif follow_load:
            fields["drain_per_minute"] = None
        if charge is not None:
            if not 0 <= charge <= 1:
                raise ValueError("charge must be in [0, 1]")
            fields["charge"] = charge
        return self._change(site_id, **fields)

    def _needs(self, site_id: str, oid: str, what: str) -> None:
        sim = self._site(site_id)
        if oid not in sim.table:
            raise ValueError(f"site {site_id} ({sim.source}) has no {what}")

    def set_alarm(self, site_id: str, alarm: str, active: bool) -> dict[str, Any]:
        """Raise or clear a UPS-MIB well-known alarm (a name of ``UPS_ALARMS``: ``battery_bad``,
        ``output_overload``, ``general_fault``...) in the site's upsAlarmTable. Alarms the power
        state raises (on_battery...) stay while it lasts."""
        if alarm not in UPS_ALARMS:
            raise InvalidValue(f"unknown UPS alarm {alarm!r}: one of {', '.join(UPS_ALARMS)}")
        self._needs(site_id, f"{UPS}.6.1.0", "UPS-MIB alarm table (upsAlarmsPresent)")
        injected = self._states[site_id].injected_alarms
        return self._change(site_id, injected_alarms=injected | {alarm} if active else injected - {alarm})

    def set_bypass(self, site_id: str, on: bool) -> dict[str, Any]:
        """The UPS feeds its output through its bypass (upsOutputSource bypass(4), upsAlarmOnBypass)
        while AC is present, or through the inverter again."""
        self._needs(site_id, f"{UPS}.4.1.0", "UPS-MIB output source (upsOutputSource)")
        return self._change(site_id, bypass=on)

    def set_phase(self, site_id: str, phase: int, volts: float | None) -> dict[str, Any]:
        """One AC input phase at ``volts`` while mains is present (None: as the device has it)."""
        phases = input_phases(self._site(site_id).table)
        if not phases:
            raise ValueError(f"site {site_id} ({self._site(site_id).source}) shows no AC input voltage")
        if phase not in phases:
            raise InvalidValue(f"site {site_id} has input phases {', '.join(map(str, phases))}, not {phase}")
        _within("volts", volts, 0, 500, "V")
        kept = tuple((p, v) for p, v in self._states[site_id].phase_volts if p != phase)
        return self._change(site_id, phase_volts=tuple(sorted(kept + (((phase, volts),) if volts is not None
                                                                       else ()))))

    def set_voltage(self, site_id: str, volts: float | None) -> dict[str, Any]:
        """Every AC input phase at ``volts`` while mains is present (None: as the device has it)."""
        phases = input_phases(self._site(site_id).table)
        if not phases:
            raise ValueError(f"site {site_id} ({self._site(site_id).source}) shows no AC input voltage")
        _within("volts", volts, 0, 500, "V")
        return self._change(site_id, phase_volts=() if volts is None else tuple((p, volts) for p in phases))

    def set_frequency(self, site_id: str, hz: float | None) -> dict[str, Any]:
        """The AC input frequency while mains is present (None: as the device has it)."""
        self._needs(site_id, f"{UPS}.3.3.1.2.1", "AC input frequency (upsInputFrequency)")
        return self._change(site_id, input_hz=_within("hz", hz, 0, 100, "Hz"))

    def set_temperature(self, site_id: str, celsius: float | None) -> dict[str, Any]:
        """The room (ambient) temperature the site monitor measures (None: as the device has it)."""
        self._needs(site_id, f"{SITEMONITOR}.27.5.0", "room temperature sensor (site monitor analog input 0)")
        return self._change(site_id, room_celsius=_within("celsius", celsius, -40, 100, "°C"))

    def set_door(self, site_id: str, open_: bool) -> dict[str, Any]:
        """The door contact on the site monitor (switch input 1) opens or closes."""
        self._needs(site_id, f"{SITEMONITOR}.26.5.1", "door contact (site monitor switch input 1)")
        return self._change(site_id, door_open=open_)

    def set_smoke(self, site_id: str, detected: bool) -> dict[str, Any]:
        """The smoke detector on the site monitor (switch input 2) trips or resets."""
        self._needs(site_id, f"{SITEMONITOR}.26.5.2", "smoke detector (site monitor switch input 2)")
        return self._change(site_id, smoke=detected)

    def advance(self, seconds: float) -> None:
        """Move the simulated clock ahead and serve the result at once."""
        self.clock.advance(seconds)
        self.refresh()

    # -- reading --------------------------------------------------------------------------
    def endpoint(self, site_id: str) -> tuple[str, int]:
        """Where the site's agent listens."""
        self._site(site_id)
        return "127.0.0.1", self._proxies[site_id].port

    def community(self, site_id: str) -> str:
        return self._site(site_id).community

    def state(self, site_id: str) -> SiteState:
        self._site(site_id)
        return settle(self._states[site_id], self.sites[site_id].battery, self.clock.time())

    def status(self, site_id: str) -> dict[str, Any]:
        """The site as JSON-ready data: what is served, where, and its power and link state."""
        sim, state = self._site(site_id), self.state(site_id)
        b, ac, drain = sim.battery, state.ac_present, state.drain_per_minute
        return {
            "id": site_id, "name": sim.site.name, "kind": sim.site.kind.value, "source": sim.source,
            "profiles": list(sim.profiles),
            "host": "127.0.0.1", "port": self._proxies[site_id].port if site_id in self._proxies else None,
            "community": sim.community,
            "answering": state.answering, "mains_ok": state.mains_ok,
            "generator_installed": sim.site.backup.generator, "generator_running": state.generator_running,
            "ac_present": ac, "on_battery": state.on_battery,
            "seconds_on_battery": round(state.seconds_on_battery()) if state.on_battery else 0,
            "battery": {
                "charge_ratio": round(state.charge, 4), "status": b.status(state.charge).name.lower(),
                "voltage_volts": round(b.volts(state.charge, ac_present=ac), 2),
                "current_amperes": round(b.amperes(state.charge, ac_present=ac), 1),
                "runtime_seconds": round(b.runtime_seconds(state.charge)),
                # when the charge runs out at the drain set (a fast-forward), as against the device's figure
                "empty_in_seconds": round(state.charge / b.drain(drain) * 60) if b.drain(drain) > 0 else 0,
                "drain_per_minute": round(b.drain(drain), 6), "load_watts": round(b.load_watts, 1),
                "capacity_ah": round(b.capacity_ah, 1), "nominal_volts": b.nominal_volts,
            },
            "links": {name: name not in state.links_down for name in interface_names(sim.table)},
            "alarms": [a.name for a in state.alarms],
            "bypass": state.on_bypass,
            "input": {"volts": {str(p): v for p, v in state.phase_volts}, "hz": state.input_hz},
            "room_celsius": state.room_celsius, "door_open": state.door_open, "smoke": state.smoke,
        }

    def statuses(self) -> list[dict[str, Any]]:
        return [self.status(site_id) for site_id in self.sites]

    def ports(self) -> dict[str, int]:
        return {site_id: proxy.port for site_id, proxy in self._proxies.items()}
