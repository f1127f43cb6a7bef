""""Who is on call" as the CLI prints it and the API serves it: one ``RosterDuty`` per roster.

Both front ends pick rosters the same way (a roster id, or a team's rosters) and read the
same facts: who is on duty now, until when, and the next handoffs. The API's JSON carries
contact channel names and types only: phone numbers and addresses stay in the config.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sitewatch.config.locations import did_you_mean
from sitewatch.config.schema import Config
from sitewatch.messages.timefmt import time_fields
from sitewatch.oncall.schedule import Shift, schedule_for

__all__ = ["RosterDuty", "duty_json", "roster_duty", "select_rosters"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RosterDuty:
    """Roster ``roster`` at ``at``: ``current`` is the shift on (None in a gap), ``until``
    when that shift or gap ends (None: not within the look-ahead), ``upcoming`` the shifts
    that start after ``at`` within the look-ahead."""

    roster: str
    at: float
    current: Shift | None
    until: float | None
    upcoming: tuple[Shift, ...]


def select_rosters(config: Config, *, roster: str | None = None, team: str | None = None,
                   either: str | None = None) -> list[str]:
    """Roster ids: ``roster``; the rosters of ``team``; ``either`` a roster id or else a team;
    all when none is given. Raises LookupError with a reason when the name is unknown."""
    if either is not None:
        if either in config.rosters:
            roster = either
        elif either in config.teams:
            team = either
        else:
            hint = did_you_mean(either, [*config.rosters, *config.teams])
            raise LookupError(f"no roster or team {either!r}{hint}")
    if roster is not None:
        if roster not in config.rosters:
            raise LookupError(f"no roster {roster!r}{did_you_mean(roster, config.rosters)}")
        return [roster]
    if team is not None:
        if team not in config.teams:
            raise LookupError(f"no team {team!r}{did_you_mean(team, config.teams)}")
        return [rid for rid, spec in config.rosters.items() if spec.team == team]
    return list(config.rosters)


def roster_duty(config: Config, roster_id: str, at: float, *, ahead: float = 86400.0) -> RosterDuty:
    """Roster ``roster_id`` at ``at``, looking ``ahead`` seconds for handoffs."""
    schedule = schedule_for(config.rosters[roster_id], roster_id)
    shifts = schedule.shifts(at, at + ahead)
    current = shifts[0] if shifts and shifts[0].start == at else None
    upcoming = tuple(s for s in shifts if s.start > at)
    if current is not None:
        whole = schedule.current(at) if current.end >= at + ahead else current
        until = whole.end if whole is not None else None
    else:
        until = upcoming[0].start if upcoming else None
    return RosterDuty(roster=roster_id, at=at, current=current, until=until, upcoming=upcoming)


def duty_json(config: Config, duty: RosterDuty) -> dict[str, Any]:
    """The API's form of ``duty``: times in ``daemon.timezone`` (ISO 8601 with offset, and unix
    seconds beside each), like every time the API gives; ``timezone`` names the roster's own."""
    spec = config.rosters[duty.roster]
    tz = config.daemon.timezone

    def person(pid: str) -> dict[str, Any]:
        p = config.people.get(pid)
        if p is None:
            return {"id": pid, "name": pid, "language": None, "contacts": []}
        contacts = [{"channel": c.channel, "type": ch.type if (ch := config.channels.get(c.channel)) else None}
                    for c in p.contacts]
        return {"id": pid, "name": p.name, "language": p.language, "contacts": contacts}

    return {
        "roster": duty.roster,
        "name": spec.name,
        "team": spec.team,
        "timezone": spec.timezone,
        **time_fields("at", duty.at, tz),
        "on_call": [person(duty.current.person)] if duty.current else [],
        "layer": duty.current.layer if duty.current else None,
        **time_fields("until", duty.until, tz),
        "next": [{"person": person(s.person), **time_fields("start", s.start, tz), **time_fields("end", s.end, tz),
                  "layer": s.layer}
                 for s in duty.upcoming],
    }
