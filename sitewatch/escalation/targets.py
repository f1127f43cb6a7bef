"""Who a level pages, and through which of their contacts. Pure (the roster lookup is injected).

    level targets ──resolve──▶ people (roster on-call at that time, named people, a whole team)
                               └─▶ unreachable: an empty roster slot, a person with no usable contact
    person ──contact plan──▶ (contact, after, repeat) per the person's notification rules

A level whose targets resolve to nobody reachable is not skipped silently: the reasons come back
in ``LevelTargets.unreachable`` for the engine to record and count before it moves on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass

from sitewatch.config.oncall_schema import NotificationRule, Person, Target
from sitewatch.config.schema import Config
from sitewatch.oncall.schedule import team_members

__all__ = ["ContactPlan", "LevelTargets", "OnCall", "Unreachable", "contact_plan", "fallback_rules",
           "immediate_contacts",
           "resolve_targets"]

log = logging.getLogger(__name__)

#: ``who_is_on_call(config, roster_id, at)`` → person ids on call (``sitewatch.oncall.schedule``)
OnCall = Callable[[Config, str, float], tuple[str, ...]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Unreachable:
    who: str  #: "roster district-chuse", "person an", "team power"
    reason: str

    def __str__(self) -> str:
        return f"{self.who}: {self.reason}"


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelTargets:
    people: tuple[str, ...]  #: reachable person ids, in target order, each once
    unreachable: tuple[Unreachable, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactPlan:
    contact: int  #: index into ``person.contacts``
    after: float  #: seconds after the page
    repeat: float | None  #: then again every so often until acknowledged


def contact_plan(person: Person, channels: Collection[str]) -> tuple[ContactPlan, ...]:
    """The person's rules (default: every contact at once), keeping only contacts on a channel
    that can send. If no rule is usable but a contact is, that contact is used at once.
    Fallback rules (``if_down``) are not part of the plan: the engine applies them while a
    channel is down (``fallback_rules``); with only fallback rules, every other contact is used
    at once."""
    standby = {r.contact for r in person.rules if r.if_down is not None}
    rules = tuple(r for r in person.rules if r.if_down is None) or \
        tuple(NotificationRule(contact=i) for i in range(len(person.contacts)) if i not in standby)
    usable = tuple(ContactPlan(contact=r.contact, after=r.after, repeat=r.repeat) for r in rules
                   if person.contacts[r.contact].channel in channels)
    if usable:
        return usable
    for i, c in enumerate(person.contacts):
        if c.channel in channels:
            return (ContactPlan(contact=i, after=0.0, repeat=None),)
    return ()


def fallback_rules(person: Person, contact: int) -> tuple[NotificationRule, ...]:
    """The person's fallback rules for a page waiting on ``contact``, each to an existing
    contact on another channel (the loader checks this; a hand-built config might not)."""
    if contact >= len(person.contacts):
        return ()
    channel = person.contacts[contact].channel
    return tuple(r for r in person.rules if r.if_down is not None and r.if_down.contact == contact
                 and r.contact < len(person.contacts) and person.contacts[r.contact].channel != channel)


def immediate_contacts(person: Person, channels: Collection[str]) -> tuple[int, ...]:
    """Contacts for follow-up messages (update, acknowledged, resolved, re-notify): those the
    person's rules use at once, else the first one their rules use."""
    plan = contact_plan(person, channels)
    now = tuple(dict.fromkeys(p.contact for p in plan if p.after == 0))
    return now or tuple(p.contact for p in plan[:1])


def _why_unreachable(person_id: str, person: Person | None, channels: Collection[str]) -> str | None:
    if person is None:
        return "not in people"
    if not person.contacts:
        return "has no contact method"
    if not contact_plan(person, channels):
        names = ", ".join(sorted({c.channel for c in person.contacts}))
        return f"no contact on a configured channel ({names})"
    return None


def resolve_targets(config: Config, targets: tuple[Target, ...], at: float, *, on_call: OnCall,
                    channels: Collection[str]) -> LevelTargets:
    """The people a level pages at ``at``: reachable ones, and why anyone else is not."""
    people: dict[str, None] = {}
    unreachable: list[Unreachable] = []

    def add(person_id: str) -> None:
        why = _why_unreachable(person_id, config.people.get(person_id), channels)
        if why is None:
            people.setdefault(person_id)
        else:
            unreachable.append(Unreachable(who=f"person {person_id}", reason=why))

    for t in targets:
        if t.roster is not None:
            if t.roster not in config.rosters:
                unreachable.append(Unreachable(who=f"roster {t.roster}", reason="not configured"))
                continue
            try:
                on_duty = on_call(config, t.roster, at)
            except Exception as exc:  # a roster that cannot be read must not stop the other targets
                log.exception("who is on call for roster %s failed", t.roster)
                unreachable.append(Unreachable(who=f"roster {t.roster}", reason=f"lookup failed: {exc}"))
                continue
            if not on_duty:
                unreachable.append(Unreachable(who=f"roster {t.roster}", reason="nobody on call"))
            for p in on_duty:
                add(p)
        elif t.team is not None:
            members = team_members(config, t.team)
            if not members:
                unreachable.append(Unreachable(who=f"team {t.team}", reason="nobody in this team"))
            for p in members:
                add(p)
        else:
            for p in t.people:
                add(p)
    return LevelTargets(people=tuple(people), unreachable=tuple(unreachable))
