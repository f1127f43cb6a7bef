"""On-call shifts as iCalendar (RFC 5545), so people see their duty in their own calendar.

One VEVENT per shift, times in UTC (``...Z``: no VTIMEZONE needed, every client converts).
Output is a pure function of its inputs: the same schedule and window give the same bytes,
and a shift keeps its UID when the window slides, so a subscribed calendar updates in place.
Written by hand (CRLF, 75-octet folding, TEXT escaping): the subset is small, and the tests
check it against the ``icalendar`` parser.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from sitewatch.config.schema import Config
from sitewatch.oncall.schedule import OVERRIDE, Schedule, Shift, schedule_for

__all__ = ["person_ics", "roster_ics"]

_PRODID = "-//sitewatch//on-call//EN"
#: shifts that began up to this long before the window are exported whole
_MAX_LOOKBACK = 35 * 86400.0


def roster_ics(schedule: Schedule, start: float, end: float, *, names: Mapping[str, str] | None = None,
               stamp: float | None = None) -> str:
    """The roster's shifts overlapping [start, end) as a VCALENDAR. ``names`` maps person ids
    to names for the summaries; ``stamp`` is the DTSTAMP (default ``start``)."""
    names = names or {}
    roster = schedule.spec.name
    stamp = start if stamp is None else stamp
    events = [_event(schedule, s, f"On call: {roster} — {names.get(s.person, s.person)}", stamp)
              for s in _whole_shifts(schedule, start, end)]
    return _calendar(f"On call: {roster}", events)


def person_ics(config: Config, person_id: str, start: float, end: float, *, stamp: float | None = None) -> str:
    """``person_id``'s shifts on every roster overlapping [start, end) as a VCALENDAR
    (KeyError for an unknown person)."""
    name = config.people[person_id].name
    stamp = start if stamp is None else stamp
    found: list[tuple[float, str, list[str]]] = []
    for rid, spec in config.rosters.items():
        schedule = schedule_for(spec, rid)
        for s in _whole_shifts(schedule, start, end):
            if s.person == person_id:
                summary = f"On call: {spec.name} — {name}"
                found.append((s.start, rid, _event(schedule, s, summary, stamp)))
    found.sort(key=lambda e: (e[0], e[1]))
    return _calendar(f"On call: {name}", [lines for _, _, lines in found])


def _whole_shifts(schedule: Schedule, start: float, end: float) -> list[Shift]:
    """Shifts overlapping [start, end), not cut at the window's edges (up to 35 days each
    way), so an event's times and UID do not depend on the window."""
    lookback = min(max((layer.shift for layer in schedule.spec.layers), default=0.0) + 86400.0, _MAX_LOOKBACK)
    shifts = [s for s in schedule.shifts(start - lookback, end) if s.end > start]
    if shifts and shifts[-1].end == end:
        whole = schedule.current(shifts[-1].start)
        if whole is not None and whole.person == shifts[-1].person:
            shifts[-1] = Shift(person=whole.person, start=shifts[-1].start, end=whole.end, layer=shifts[-1].layer)
    return shifts


def _event(schedule: Schedule, s: Shift, summary: str, stamp: float) -> list[str]:
    layer = OVERRIDE if s.layer == OVERRIDE else f"layer {s.layer}"
    return [
        "BEGIN:VEVENT",
        f"UID:{_text(f'{schedule.roster_id}-{s.person}-{_utc(s.start)}@sitewatch')}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(s.start)}",
        f"DTEND:{_utc(s.end)}",
        f"SUMMARY:{_text(summary)}",
        f"DESCRIPTION:{_text(f'Roster {schedule.roster_id} ({schedule.spec.timezone}), {layer}')}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def _calendar(name: str, events: Iterable[list[str]]) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{_PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{_text(name)}"]
    for event in events:
        lines += event
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _utc(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    """RFC 5545 TEXT escaping (3.3.11)."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Fold at 75 octets (3.1): continuation lines start with a space; never inside a UTF-8
    character."""
    out: list[str] = []
    current, size = "", 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > 75:
            out.append(current)
            current, size = " ", 1
        current += ch
        size += n
    out.append(current)
    return "\r\n".join(out)
