"""Who is on call when: a roster's layers, restrictions and overrides as a concrete timeline.

    RosterSpec ──Schedule──▶ on_call(at) · shifts(start, end) · gaps(start, end)

A layer is a rotation: member ``n % len(members)`` holds shift ``n``, the shifts handing off
every ``shift`` of **local wall time** from ``start`` at ``handoff`` (a daily 08:00 handoff
stays at 08:00 across daylight saving; see ``localtime``). Restrictions mask when a layer
has anyone. Where several layers have someone, the last layer wins; an override replaces
whoever is on duty (or covers a gap) for its period, the last override winning where they
overlap. Everything is pure: the time is always passed in.

The timeline is built by evaluating ``on_call`` once per piece between the instants where it
can change (handoffs, restriction edges, offset changes, override edges), so ``shifts`` and
``on_call`` cannot disagree.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from sitewatch.config.oncall_schema import LayerSpec, Restriction, RosterSpec
from sitewatch.config.schema import Config
from sitewatch.oncall.localtime import local_wall, transitions, wall_to_unix

__all__ = [
    "OVERRIDE",
    "Schedule",
    "Shift",
    "ShiftStart",
    "on_call_for_team",
    "schedule_for",
    "shift_starts",
    "team_members",
    "who_is_on_call",
]

#: the layer name of a shift that comes from an override
OVERRIDE = "override"
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: how far past a window ``shift_starts`` looks for the end of a shift that starts in it
_SHIFT_HORIZON = 35 * 86400.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Shift:
    """``person`` is on call from ``start`` to ``end`` (unix seconds, end exclusive). ``layer``
    names the layer (several joined by ``+`` when one person's adjacent duty spans layers) or
    is ``"override"``."""

    person: str
    start: float
    end: float
    layer: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ShiftStart:
    """A shift that begins within the asked window: tell ``person`` their duty on ``roster``
    starts. ``end`` is the shift's end, or the end of the look-ahead if it lasts longer."""

    person: str
    roster: str
    start: float
    end: float
    layer: str


class _Layer:
    def __init__(self, spec: LayerSpec, zone: ZoneInfo) -> None:
        self.spec = spec
        self.zone = zone
        self.origin = datetime.combine(spec.start, spec.handoff)
        self.length = timedelta(seconds=spec.shift)
        self.first = wall_to_unix(self.origin, zone)

    def handoff(self, n: int) -> float:
        """When shift ``n`` starts."""
        return wall_to_unix(self.origin + n * self.length, self.zone)

    def shift_index(self, at: float) -> int:
        """The shift ``at`` falls in (negative before the rotation starts)."""
        n = math.floor((local_wall(at, self.zone) - self.origin) / self.length)
        # wall time and unix time disagree by at most the DST jump: settle on the handoffs
        while self.handoff(n + 1) <= at:
            n += 1
        while self.handoff(n) > at:
            n -= 1
        return n

    def member(self, at: float) -> str | None:
        members = self.spec.members
        if not members or at < self.first or not self.allowed(at):
            return None
        return members[self.shift_index(at) % len(members)]

    def allowed(self, at: float) -> bool:
        if not self.spec.restrictions:
            return True
        wall = local_wall(at, self.zone)
        return any(_within(r, wall) for r in self.spec.restrictions)

    def edges(self, start: float, end: float) -> Iterator[float]:
        """Instants in (start, end) where this layer's member can change."""
        if self.first >= end:
            return
        if start < self.first:
            yield self.first
        n = self.shift_index(max(start, self.first)) + 1
        while (at := self.handoff(n)) < end:
            yield at
            n += 1
        if self.spec.restrictions:
            first_day = local_wall(start, self.zone).date() - timedelta(days=1)
            last_day = local_wall(end, self.zone).date() + timedelta(days=1)
            day = first_day
            while day <= last_day:
                for r in self.spec.restrictions:
                    for t in (r.start, r.end):
                        for fold in (0, 1):
                            yield wall_to_unix(datetime.combine(day, t), self.zone, fold=fold)
                day += timedelta(days=1)


def _within(r: Restriction, wall: datetime) -> bool:
    """Whether the local ``wall`` time is inside restriction ``r`` (a window belongs to the
    day it starts on)."""
    t = wall.time()
    today, yesterday = _DAYS[wall.weekday()], _DAYS[(wall.weekday() - 1) % 7]
    if r.start < r.end:
        return today in r.days and r.start <= t < r.end
    return (today in r.days and t >= r.start) or (yesterday in r.days and t < r.end)


class Schedule:
    """One roster as a timeline. ``roster_id`` (the key under ``rosters:``) names it in
    calendar UIDs; ``spec.name`` is what people read."""

    def __init__(self, spec: RosterSpec, *, roster_id: str = "") -> None:
        self.spec = spec
        self.roster_id = roster_id or spec.name
        self.zone = ZoneInfo(spec.timezone)
        self._layers = tuple(_Layer(layer, self.zone) for layer in spec.layers)
        self._overrides = tuple(
            (self.instant(o.start), self.instant(o.end), o.person) for o in spec.overrides
        )

    def instant(self, when: datetime) -> float:
        """Unix time of an override time: with an offset as given, without it in the roster's zone."""
        return when.timestamp() if when.tzinfo is not None else wall_to_unix(when, self.zone)

    def duty(self, at: float) -> tuple[str, str] | None:
        """(person, layer name or "override") on duty at ``at``, or None in a gap."""
        for start, end, covering in reversed(self._overrides):
            if start <= at < end:
                return covering, OVERRIDE
        for layer in reversed(self._layers):
            member = layer.member(at)
            if member is not None:
                return member, layer.spec.name
        return None

    def on_call(self, at: float) -> tuple[str, ...]:
        """Person ids on duty at unix time ``at``; empty in a gap."""
        duty = self.duty(at)
        return () if duty is None else (duty[0],)

    def _pieces(self, start: float, end: float) -> Iterator[tuple[float, float, tuple[str, str] | None]]:
        edges = {start, end}
        for layer in self._layers:
            edges.update(layer.edges(start, end))
        for o_start, o_end, _ in self._overrides:
            edges.update((o_start, o_end))
        edges.update(transitions(self.zone, start, end))
        points = sorted(t for t in edges if start <= t <= end)
        for a, b in pairwise(points):
            yield a, b, self.duty(a)

    def shifts(self, start: float, end: float) -> list[Shift]:
        """Who is on call from ``start`` to ``end``, in order, cut at the window; a person's
        adjacent pieces are one shift."""
        out: list[Shift] = []
        for a, b, duty in self._pieces(start, end):
            if duty is None:
                continue
            person, layer = duty
            last = out[-1] if out else None
            if last is not None and last.person == person and last.end == a:
                layers = last.layer.split("+")
                joined = last.layer if layer in layers else f"{last.layer}+{layer}"
                out[-1] = Shift(person=person, start=last.start, end=b, layer=joined)
            else:
                out.append(Shift(person=person, start=a, end=b, layer=layer))
        return out

    def current(self, at: float, *, horizon: float = _SHIFT_HORIZON) -> Shift | None:
        """The shift on at ``at``, from ``at`` to its end (or to ``at + horizon`` if it lasts
        longer); None in a gap."""
        ahead = min(86400.0, horizon)
        while True:
            shifts = self.shifts(at, at + ahead)
            first = shifts[0] if shifts and shifts[0].start == at else None
            if first is None or first.end < at + ahead or ahead >= horizon:
                return first
            ahead = min(ahead * 4, horizon)

    def gaps(self, start: float, end: float) -> list[tuple[float, float]]:
        """The periods from ``start`` to ``end`` with nobody on call."""
        out: list[tuple[float, float]] = []
        for a, b, duty in self._pieces(start, end):
            if duty is not None:
                continue
            if out and out[-1][1] == a:
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
        return out


@lru_cache(maxsize=256)
def schedule_for(spec: RosterSpec, roster_id: str = "") -> Schedule:
    """A ``Schedule`` for ``spec``, reused while the configuration stays the same."""
    return Schedule(spec, roster_id=roster_id)


def who_is_on_call(config: Config, roster_id: str, at: float) -> tuple[str, ...]:
    """Person ids on call for roster ``roster_id`` at ``at`` (KeyError for an unknown roster)."""
    return schedule_for(config.rosters[roster_id], roster_id).on_call(at)


def on_call_for_team(config: Config, team: str, at: float) -> tuple[str, ...]:
    """Person ids on call at ``at`` on every roster of ``team``, in roster order, each once."""
    people: dict[str, None] = {}
    for roster_id, spec in config.rosters.items():
        if spec.team == team:
            people.update(dict.fromkeys(who_is_on_call(config, roster_id, at)))
    return tuple(people)


def team_members(config: Config, team: str) -> tuple[str, ...]:
    """Person ids of a whole team: the people who list ``team`` under ``teams``."""
    return tuple(pid for pid, person in config.people.items() if team in person.teams)


def shift_starts(config: Config, start: float, end: float) -> list[ShiftStart]:
    """Shifts that begin in [start, end) for people with ``shift_notifications: true``, by
    start time. Consecutive windows report each shift start once; a handoff from a person to
    themselves is not a new shift."""
    out: list[ShiftStart] = []
    for roster_id, spec in config.rosters.items():
        schedule = schedule_for(spec, roster_id)
        # a second of look-back, so a shift running before ``start`` is not taken as starting at it
        for s in schedule.shifts(start - 1.0, end):
            person = config.people.get(s.person)
            if s.start < start or person is None or not person.shift_notifications:
                continue
            whole = schedule.current(s.start)
            until = whole.end if whole is not None else s.end
            out.append(ShiftStart(person=s.person, roster=roster_id, start=s.start, end=until, layer=s.layer))
    return sorted(out, key=lambda x: (x.start, x.roster, x.person))
