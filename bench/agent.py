"""The agent every benchmark polls: net-snmp ``snmpd`` on 127.0.0.1, configured to answer
exactly what the fetch plan asks.

snmpd serves the system group and IF-MIB from the machine itself; it has no UPS-MIB, so the
UPS-MIB objects of the plan are served with ``override`` lines (which work for OIDs snmpd does
not otherwise implement, walks included). One ``rocommunity`` line per community lets a fleet
with per-site communities poll the same agent. Per-request logging is off so the agent's own
cost stays small (its ceiling is reported with every run).
"""

from __future__ import annotations

from collections.abc import Iterable

from sitewatch.snmp.client import FetchPlan
from tests.agents import SnmpdAgent

__all__ = ["UPS_MIB", "UPS_ON_MAINS", "agent_config", "bench_agent", "community_names"]

UPS_MIB = "1.3.6.1.2.1.33"

#: A healthy UPS on mains, in UPS-MIB (RFC 1628) units: OID -> (snmpd override type, value).
UPS_ON_MAINS: dict[str, tuple[str, str]] = {
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
    "1.3.6.1.2.1.33.1.6.1.0": ("gauge", "0"),  # upsAlarmsPresent (the alarm table is empty)
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
    lines = ["dontLogTCPWrappersConnects yes"]
    lines += [f"rocommunity {c} 127.0.0.1" for c in communities]
    missing = [o for o in plan.scalars if _under(o, UPS_MIB) and o not in UPS_ON_MAINS]
    if missing:
        raise ValueError(f"no bench value for UPS-MIB objects {missing}: add them to UPS_ON_MAINS")
    wanted = {o for o in plan.scalars if _under(o, UPS_MIB)}
    wanted |= {o for o in UPS_ON_MAINS for col in plan.columns if _under(col, UPS_MIB) and _under(o, col)}
    lines += [_override(oid) for oid in sorted(wanted, key=lambda o: tuple(int(a) for a in o.split(".")))]
    return "\n".join(lines) + "\n"


def bench_agent(plan: FetchPlan, communities: Iterable[str] = ()) -> SnmpdAgent:
    """An snmpd (not yet started) answering ``plan`` for ``public`` and ``communities``."""
    return SnmpdAgent(extra_conf=agent_config(plan, communities))
