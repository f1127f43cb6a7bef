"""Local wall time ↔ unix time in a roster's zone, honest about daylight saving.

Rosters are written in wall time ("hand off at 08:00"), so a daily handoff must stay at 08:00
local across a DST change: the shift that day is 23 or 25 hours long. Two wall times need a
rule. A time the clock skips (02:30 on a spring-forward night) is taken as the moment of the
jump; a time the clock shows twice (01:30 on a fall-back night) is its first occurrence unless
``fold=1`` asks for the second. Both keep the mapping monotonic, so handoffs never go backwards.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["day_start", "local_wall", "parse_when", "transitions", "wall_to_unix"]


def local_wall(at: float, zone: ZoneInfo) -> datetime:
    """The naive local wall time at unix time ``at``."""
    return datetime.fromtimestamp(at, zone).replace(tzinfo=None)


def wall_to_unix(wall: datetime, zone: ZoneInfo, *, fold: int = 0) -> float:
    """Unix time of the naive local ``wall`` time; see the module docstring for skipped and
    repeated wall times."""
    at = wall.replace(tzinfo=zone, fold=fold).timestamp()
    if local_wall(at, zone) == wall:
        return at
    # skipped: fold=0 reads it with the offset before the jump, fold=1 with the one after
    a = wall.replace(tzinfo=zone, fold=0).timestamp()
    b = wall.replace(tzinfo=zone, fold=1).timestamp()
    return _jump(zone, min(a, b), max(a, b))


def _jump(zone: ZoneInfo, lo: float, hi: float) -> float:
    """The first whole second in (lo, hi] with the UTC offset ``hi`` has."""
    target = datetime.fromtimestamp(hi, zone).utcoffset()
    low, high = int(lo), int(hi)
    while high - low > 1:
        mid = (low + high) // 2
        if datetime.fromtimestamp(mid, zone).utcoffset() == target:
            high = mid
        else:
            low = mid
    return float(high)


def transitions(zone: ZoneInfo, start: float, end: float) -> list[float]:
    """The instants in (start, end) where the zone's UTC offset changes."""
    step = 6 * 3600.0  # no zone changes its offset twice within six hours
    out: list[float] = []
    t = start
    offset = datetime.fromtimestamp(t, zone).utcoffset()
    while t < end:
        nxt = min(t + step, end)
        offset_next = datetime.fromtimestamp(nxt, zone).utcoffset()
        if offset_next != offset:
            jump = _jump(zone, t, nxt)
            if start < jump < end:
                out.append(jump)
            offset = offset_next
        t = nxt
    return out


def parse_when(text: str, zone: ZoneInfo) -> float:
    """ISO 8601 date-time (or date) → unix time; without a UTC offset it is wall time in
    ``zone``. Raises ValueError with a readable reason."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"expected an ISO 8601 time such as 2026-03-01T08:00 or 2026-03-01T08:00+07:00, "
                         f"got {text!r}") from None
    if when.tzinfo is not None:
        return when.timestamp()
    return wall_to_unix(when, zone)


def day_start(at: float, zone: ZoneInfo, *, days: int = 0) -> float:
    """Unix time of local midnight of the day ``at`` falls in, ``days`` days later."""
    d: date = local_wall(at, zone).date() + timedelta(days=days)
    return wall_to_unix(datetime.combine(d, datetime.min.time()), zone)
