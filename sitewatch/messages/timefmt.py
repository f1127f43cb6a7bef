"""Times and durations as people read them, in the recipient's time zone.

One way to write time, everywhere a person or a program reads one: the daemon's zone
(``daemon.timezone``) with its offset. The API gives ISO 8601 (``iso_time``) and, beside each
time field, the same instant in unix seconds (``time_fields``: ``opened_at`` and
``opened_at_unix``); the CLI and pages show ``2026-12-06 11:36 +07`` (``readable_time``).
In a message a responder in Gia Lai reads "22:15", never a UTC timestamp; a time on another
local day carries its date, and the zone is said once (``utc_offset``).

Durations are floored to the minute: "35 phút" while 35 min 50 s have passed, and a battery
with 1 h 19 min 59 s left shows "1 giờ 19 phút", never more than it has.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from sitewatch.messages.vocabulary import Vocabulary

__all__ = ["clock_time", "compact_duration", "duration", "full_time", "iso_time", "local", "readable_iso",
           "readable_time", "short_offset", "time_fields", "utc_offset"]


def local(t: float, tz: str | tzinfo) -> datetime:
    return datetime.fromtimestamp(t, ZoneInfo(tz) if isinstance(tz, str) else tz)


def clock_time(t: float, tz: str, now: float) -> str:
    """``22:15`` on the local day of ``now``, ``22:15 20/09`` on another day."""
    at, today = local(t, tz), local(now, tz)
    return f"{at:%H:%M}" if at.date() == today.date() else f"{at:%H:%M %d/%m}"


def full_time(t: float, tz: str, v: Vocabulary) -> str:
    """``22:15 21/09/2026`` (Vietnamese), ``22:15, 21 Sep 2026`` (English)."""
    at = local(t, tz)
    if v.months is None:
        return f"{at:%H:%M %d/%m/%Y}"
    return f"{at:%H:%M}, {at.day} {v.months[at.month - 1]} {at.year}"


def utc_offset(t: float, tz: str) -> str:
    """``UTC+07:00``: said once where a time zone may differ from the reader's (shift notices)."""
    offset = local(t, tz).strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


def iso_time(t: float | None, tz: str) -> str | None:
    """ISO 8601 with the offset, for machines: ``2026-09-21T22:15:00+07:00``."""
    return None if t is None else local(t, tz).isoformat(timespec="seconds")


def time_fields(name: str, t: float | None, tz: str) -> dict[str, str | float | None]:
    """One time as the API gives it: ``{name: ISO 8601 in tz, name + "_unix": unix seconds}``."""
    return {name: iso_time(t, tz), f"{name}_unix": t}


def readable_time(t: float, tz: str | tzinfo) -> str:
    """``2026-12-06 11:36 +07`` (``+05:30`` where the offset has minutes): terminals and pages;
    the offset makes a DST day read unambiguously."""
    return _readable(local(t, tz))


def readable_iso(text: str) -> str:
    """An ISO 8601 time with an offset (as the API gives it) shown as ``readable_time`` does,
    in the offset it carries; text that is not one is returned as it is."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return text
    return _readable(at) if at.tzinfo is not None else text


def _readable(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} {short_offset(at)}"


def short_offset(at: datetime) -> str:
    """``+07``, ``+05:30``: the offset of an aware time as ``readable_time`` writes it."""
    offset = at.strftime("%z")
    return f"{offset[:3]}{'' if offset[3:] == '00' else ':' + offset[3:]}"


def duration(seconds: float, v: Vocabulary) -> str:
    """``35 phút``, ``1 giờ 20 phút``, ``2 ngày 3 giờ`` / ``35 min``, ``1 h 20 min``, ``2 d 3 h``."""
    minutes = int(max(seconds, 0) // 60)
    if minutes == 0:
        return v.under_a_minute
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} {v.day} {hours} {v.hour}" if hours else f"{days} {v.day}"
    if hours:
        return f"{hours} {v.hour} {minutes:02d} {v.minute}" if minutes else f"{hours} {v.hour}"
    return f"{minutes} {v.minute}"


def compact_duration(seconds: float) -> str:
    """``1h20``, ``0h35``, ``26h05``: the same in every language, for SMS."""
    minutes = int(max(seconds, 0) // 60)
    return f"{minutes // 60}h{minutes % 60:02d}"
