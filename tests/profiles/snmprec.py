"""Read ``.snmprec`` recordings (``OID|TAG|VALUE``) into the raw values a client returns.

Used by the fast unit tests, which map recordings without an agent; the end-to-end tests serve
the same files with snmpsim and fetch them with the team's SNMP clients.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from pathlib import Path

from sitewatch.core.model import SnmpValue
from sitewatch.snmp.client import FetchPlan

__all__ = ["apply_plan", "parse_snmprec", "read_snmprec"]

_INTEGERS = {"2", "65", "66", "67", "70"}


def _value(tag: str, text: str) -> SnmpValue:
    if tag in _INTEGERS:
        return int(text)
    if tag == "4":
        return text.encode()
    if tag in ("4x", "64x"):
        return bytes.fromhex(text)
    if tag == "5":
        return None
    if tag == "6":
        return text
    if tag == "64":
        return ipaddress.IPv4Address(text).packed
    raise ValueError(f"unsupported snmprec tag {tag!r}")


def parse_snmprec(lines: Iterable[str]) -> dict[str, SnmpValue]:
    """OID (no leading dot) → value, typed as a client decodes it (see ``SnmpValue``)."""
    out: dict[str, SnmpValue] = {}
    for line in lines:
        line = line.rstrip("\r\n")
        if not line or line.startswith("#"):
            continue
        oid, tag, text = line.split("|", 2)
        out[oid.lstrip(".")] = _value(tag, text)
    return out


def read_snmprec(path: str | Path) -> dict[str, SnmpValue]:
    return parse_snmprec(Path(path).read_text(encoding="utf-8").splitlines())


def apply_plan(recording: Mapping[str, SnmpValue], plan: FetchPlan) -> dict[str, SnmpValue]:
    """What an agent serving ``recording`` answers to ``plan``: the scalars asked for (absent
    ones left out, as a client drops noSuchObject only if the agent says so — here they are
    simply missing) and every OID under each walked column."""
    raw: dict[str, SnmpValue] = {oid: recording[oid] for oid in plan.scalars if oid in recording}
    for column in plan.columns:
        prefix = column + "."
        raw.update((k, v) for k, v in recording.items() if k.startswith(prefix))
    return raw
