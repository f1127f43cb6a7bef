"""The agent every benchmark polls: net-snmp ``snmpd`` on 127.0.0.1, configured to answer
exactly what the fetch plan asks.

snmpd serves the system group and IF-MIB from the machine itself; it has no UPS-MIB, so the
UPS-MIB objects of the plan are served with ``override`` lines (which work for OIDs snmpd does
not otherwise implement, walks included). A ``com2sec`` line per community lets a fleet with
per-site communities poll the same agent. Per-request logging is off so the agent's own
cost stays small (its ceiling is reported with every run).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import TracebackType

from sitewatch.snmp.client import FetchPlan
from tests.agents import SnmpdAgent

__all__ = ["UPS_MIB", "UPS_ON_MAINS", "AgentPool", "agent_config", "bench_agent", "community_names",
           "site_endpoints"]

UPS_MIB = "1.3.6.1.2.1.33"

#: A healthy UPS on mains, in UPS-MIB (RFC 1628) units: OID -> (snmpd override type, value).
UPS_ON_MAINS: dict[str, tuple[str, str]] = {  # types as snmpd.conf spells them
    "1.3.6.1.2.1.33.1.1.1.0": ("octet_str", "Bench UPS Co"),  # upsIdentManufacturer
    "1.3.6.1.2.1.33.1.1.2.0": ("octet_str", "BX-3000"),  # upsIdentModel
    "1.3.6.1.2.1.33.1.1.5.0": ("octet_str", "bench-ups"),  # upsIdentName
    "1.3.6.1.2.1.33.1.2.1.0": ("integer", "2"),  # upsBatteryStatus: batteryNormal
    "1.3.6.1.2.1.33.1.2.2.0": ("integer", "0"),  # upsSecondsOnBattery
    "1.3.6.1.2.1.33.1.2.3.0": ("integer", "45"),  # upsEstimatedMinutesRemaining
    "1.3.6.1.2.1.33.1.2.4.0": ("integer", "100"),  # upsEstimatedChargeRemaining, %
    "1.3.6.1.2.1.33.1.2.5.0": ("integer", "545"),  # upsBatteryVoltage, 0.1 V
    "1.3.6.1.2.1.33.1.2.6.0": ("integer", "0"),  # upsBatteryCurrent, 0.1 A
    "1.3.6.1.2.1.33.1.2.7.0": ("integer", "25"),  # upsBatteryTemperature, °C
    "1.3.6.1.2.1.33.1.3.1.0": ("counter", "0"),  # upsInputLineBads
    "1.3.6.1.2.1.33.1.3.2.0": ("integer", "1"),  # upsInputNumLines
    "1.3.6.1.2.1.33.1.3.3.1.1.1": ("integer", "1"),  # upsInputLineIndex.1
    "1.3.6.1.2.1.33.1.3.3.1.2.1": ("integer", "500"),  # upsInputFrequency.1, 0.1 Hz
    "1.3.6.1.2.1.33.1.3.3.1.3.1": ("integer", "230"),  # upsInputVoltage.1, V
    "1.3.6.1.2.1.33.1.4.1.0": ("integer", "3"),  # upsOutputSource: normal
    "1.3.6.1.2.1.33.1.4.2.0": ("integer", "500"),  # upsOutputFrequency, 0.1 Hz
    "1.3.6.1.2.1.33.1.4.3.0": ("integer", "1"),  # upsOutputNumLines
    "1.3.6.1.2.1.33.1.4.4.1.1.1": ("integer", "1"),  # upsOutputLineIndex.1
    "1.3.6.1.2.1.33.1.4.4.1.2.1": ("integer", "230"),  # upsOutputVoltage.1, V
    "1.3.6.1.2.1.33.1.4.4.1.3.1": ("integer", "52"),  # upsOutputCurrent.1, 0.1 A
    "1.3.6.1.2.1.33.1.4.4.1.4.1": ("integer", "1100"),  # upsOutputPower.1, W
    "1.3.6.1.2.1.33.1.4.4.1.5.1": ("integer", "35"),  # upsOutputPercentLoad.1, %
    "1.3.6.1.2.1.33.1.6.1.0": ("uinteger", "0"),  # upsAlarmsPresent, Gauge32 (the alarm table is empty)
}


def community_names(n: int) -> list[str]:
    """The per-site communities of a fleet of ``n`` sites (``c00001`` ...)."""
    return [f"c{i:05d}" for i in range(1, n + 1)]


def _under(oid: str, root: str) -> bool:
    return oid == root or oid.startswith(root + ".")


def _override(oid: str) -> str:
    kind, value = UPS_ON_MAINS[oid]
    return f'override {oid} {kind} "{value}"' if kind == "octet_str" else f"override {oid} {kind} {value}"


def agent_config(plan: FetchPlan, communities: Iterable[str] = ()) -> str:
    """snmpd.conf lines (beyond ``rocommunity public``) answering ``plan`` for every community.

    Every UPS-MIB scalar of the plan must have a value in ``UPS_ON_MAINS``: a benchmark whose
    agent silently lacks objects would measure less work than it claims.
    """
    lines = ["dontLogTCPWrappersConnects yes", "[snmp] serverRecvBuf 4194304", "[snmp] serverSendBuf 4194304"]
    communities = list(communities)
    if communities:
        # one security name and one VACM group for all of them
        lines += [f"com2sec benchsite 127.0.0.1 {c}" for c in communities]
        lines += ["group benchsites v1 benchsite", "group benchsites v2c benchsite", "view benchall included .1",
                  'access benchsites "" any noauth exact benchall none none']
    # an OID without its ".0" beside the one with it is a profile's fallback for agents that
    # forget the instance: a correct agent answers noSuchObject for it, as snmpd does
    fallbacks = {o for o in plan.scalars if o + ".0" in plan.scalars}
    missing = [o for o in plan.scalars if _under(o, UPS_MIB) and o not in UPS_ON_MAINS and o not in fallbacks]
    if missing:
        raise ValueError(f"no bench value for UPS-MIB objects {missing}: add them to UPS_ON_MAINS")
    wanted = {o for o in plan.scalars if _under(o, UPS_MIB) and o not in fallbacks}
    wanted |= {o for o in UPS_ON_MAINS for col in plan.columns if _under(col, UPS_MIB) and _under(o, col)}
    lines += [_override(oid) for oid in sorted(wanted, key=lambda o: tuple(int(a) for a in o.split(".")))]
    return "\n".join(lines) + "\n"


def bench_agent(plan: FetchPlan, communities: Iterable[str] = ()) -> SnmpdAgent:
    """An snmpd (not yet started) answering ``plan`` for ``public`` and ``communities``."""
    return SnmpdAgent(extra_conf=agent_config(plan, communities))


def site_endpoints(sites: int, ports: Sequence[int], distinct: bool, per_agent: int) -> list[tuple[int, str]]:
    """(agent port, community) of each site of the fleet: with distinct communities, site ``i``
    goes to the agent holding its community (consecutive slices, as ``AgentPool`` makes them)."""
    if not distinct:
        return [(ports[0], "public")] * sites
    return [(ports[i // per_agent], c) for i, c in enumerate(community_names(sites))]


class AgentPool:
    """The agents a fleet polls: one snmpd for a shared community; for distinct communities,
    one snmpd per ``per_agent`` communities.

    net-snmp scans its community list for every varbind of a request (measured here: a
    125-varbind GETBULK for the 2000th community cost snmpd 4.1 ms instead of 0.56 ms), so one
    snmpd holding 10,000 communities would need ~90 CPU-s for one cycle and be the bottleneck.
    Real fleets have one agent per site; a few hundred communities per snmpd keeps the agent
    cheap without changing anything on sitewatch's side.
    """

    def __init__(self, plan: FetchPlan, *, sites: int, distinct: bool, per_agent: int = 250) -> None:
        names = community_names(sites) if distinct else []
        slices = [names[k:k + per_agent] for k in range(0, len(names), per_agent)] or [[]]
        self.agents = [bench_agent(plan, s) for s in slices]
        self.sites = sites
        self.distinct = distinct
        self.per_agent = per_agent

    def __enter__(self) -> AgentPool:
        try:
            for a in self.agents:
                a.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        for a in self.agents:
            a.stop()

    @property
    def ports(self) -> list[int]:
        return [a.port for a in self.agents]

    @property
    def pids(self) -> list[int]:
        return [a.proc.pid for a in self.agents if a.proc is not None]

    def endpoints(self) -> list[tuple[int, str]]:
        return site_endpoints(self.sites, self.ports, self.distinct, self.per_agent)
