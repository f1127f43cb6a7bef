"""Times and durations as people read them, in the recipient's time zone.

A responder in Gia Lai reads "22:15", never a UTC timestamp; a time on another local day
carries its date. Durations are floored to the minute: "35 phút" while 35 min 50 s have passed,
and a battery with 1 h 19 min 59 s left shows "1 giờ 19 phút", never more than it has.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sitewatch.messages.vocabulary import Vocabulary

__all__ = ["clock_time", "compact_duration", "duration", "full_time", "iso_time", "local", "utc_offset"]


def local(t: float, tz: str) -> datetime:
    return datetime.fromtimestamp(t, ZoneInfo(tz))


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
