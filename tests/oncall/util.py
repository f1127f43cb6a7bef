"""Small builders for roster tests: specs from plain dicts, instants from local wall times."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sitewatch.config.oncall_schema import RosterSpec
from sitewatch.oncall.schedule import Schedule


def schedule(*layers: dict[str, Any], tz: str = "Asia/Ho_Chi_Minh", overrides: tuple[dict[str, Any], ...] = (),
             roster_id: str = "r") -> Schedule:
    spec = RosterSpec.model_validate({"name": "Test roster", "timezone": tz, "layers": list(layers),
                                      "overrides": list(overrides)})
    return Schedule(spec, roster_id=roster_id)


def at(text: str, tz: str = "Asia/Ho_Chi_Minh") -> float:
    """Unix time of ``2026-03-29T08:00`` local in ``tz`` (or of a text with its own offset)."""
    when = datetime.fromisoformat(text)
    return (when if when.tzinfo else when.replace(tzinfo=ZoneInfo(tz))).timestamp()


def local(t: float, tz: str = "Asia/Ho_Chi_Minh") -> str:
    """``03-29 08:00 +0200``: what a person in ``tz`` reads on the clock."""
    return datetime.fromtimestamp(t, ZoneInfo(tz)).strftime("%m-%d %H:%M %z")


def timeline(s: Schedule, start: float, end: float) -> list[tuple[str, str, str, str]]:
    """(start, end, person, layer) of each shift, in local time."""
    tz = s.spec.timezone
    return [(local(x.start, tz), local(x.end, tz), x.person, x.layer) for x in s.shifts(start, end)]
