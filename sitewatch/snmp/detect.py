"""Choose profiles for an agent nobody configured: by sysObjectID prefix, or by a probe.

Detection costs one extra request per target (``detection_plan``: sysObjectID.0 and each
profile's probe), done once per target. A profile applies when the agent's sysObjectID starts
with one of its ``sys_object_ids``, or when its ``probe`` OID has a value, or when its
``probe_walk`` column has a row. Profiles matched by sysObjectID (vendor-specific) come first,
longest prefix first, then the ones matched by probe, by name; that order decides which one
wins when two produce the same reading.
"""

from __future__ import annotations

from collections.abc import Mapping

from sitewatch.core.model import SnmpException, SnmpValue
from sitewatch.snmp.client import FetchPlan
from sitewatch.snmp.profile_schema import Profile

__all__ = ["SYS_OBJECT_ID", "detect_profiles", "detection_plan"]

#: SNMPv2-MIB sysObjectID.0
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"


def detection_plan(profiles: Mapping[str, Profile]) -> FetchPlan:
    """sysObjectID.0 plus every profile's probe (GET) and probe column (walk)."""
    ordered = [profiles[n] for n in sorted(profiles)]
    scalars = dict.fromkeys([SYS_OBJECT_ID, *(p.probe for p in ordered if p.probe)])
    columns = dict.fromkeys(p.probe_walk for p in ordered if p.probe_walk)
    return FetchPlan(scalars=tuple(scalars), columns=tuple(columns))


def detect_profiles(sys_object_id: str | None, probe: Mapping[str, SnmpValue],
                    profiles: Mapping[str, Profile]) -> tuple[str, ...]:
    """Names of the profiles that apply, best first (see module docstring)."""
    sys_oid = (sys_object_id or "").strip().removeprefix(".")
    by_oid: list[tuple[int, str]] = []
    by_probe: list[str] = []
    for name in sorted(profiles):
        p = profiles[name]
        prefix = max((len(pre) for pre in p.sys_object_ids if sys_oid == pre or sys_oid.startswith(pre + ".")),
                     default=0)
        if prefix:
            by_oid.append((-prefix, name))
        elif (p.probe and _has_value(probe.get(p.probe))) or (p.probe_walk and _has_row(probe, p.probe_walk)):
            by_probe.append(name)
    return tuple(n for _, n in sorted(by_oid)) + tuple(by_probe)


def _has_value(v: object) -> bool:
    return v is not None and not isinstance(v, SnmpException)


def _has_row(probe: Mapping[str, SnmpValue], column: str) -> bool:
    prefix = column + "."
    return any(k.startswith(prefix) and _has_value(v) for k, v in probe.items())
