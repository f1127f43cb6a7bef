"""An incident's paging history: who was paged, at which level, on which channel, whether it
was delivered, retried, cancelled or failed (and why), and who acknowledged.

One read model for everything that shows it (the API, ``sitewatch incidents show``, reports):

    memberships (state) ──▶ escalations the incident is or was in (group ones included)
    outbox rows of those ──▶ the ones about the incident ──▶ ``Notification`` (address masked)
    escalation events   ──▶ the ones while it was a member ──▶ ``Step``

A notification is about the incident when its message names it (``incident_ids`` in the
message data, which every rendered message carries); one without that data counts while the
incident was a member. Addresses are masked (``+8490****001``, ``a***@noc.example``), in error
and event text too (a mail server's "550 <an@noc.example>: ..."): the history is served to read tokens,
and who was paged is the question, not their number.

Finished deliveries are pruned after a while (``EscalationEngine.prune``); the escalation's
events stay, so an old incident still says who was paged, if no longer through which contact.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from sitewatch.config.oncall_schema import Person
from sitewatch.core.incident import Incident
from sitewatch.escalation.outbox import Outbox
from sitewatch.escalation.state import EscalationEvent, Membership
from sitewatch.notify.model import MessageKind
from sitewatch.store.escalations import EscalationStore
from sitewatch.store.outbox import OutboxEntry

__all__ = ["EscalationSummary", "IncidentHistory", "Notification", "Step", "incident_history", "mask_address"]

#: events about one member; their text starts with ``incident #N``
_MEMBERSHIP_EVENTS = frozenset({"joined", "moved", "carried"})
#: messages a recipient can acknowledge from
_ACKABLE = frozenset({MessageKind.PAGE, MessageKind.REMINDER, MessageKind.UPDATE})
#: messages sent for a level (the others go to everyone paged so far, whatever their level)
_LEVELLED = frozenset({MessageKind.PAGE, MessageKind.REMINDER})


@dataclass(frozen=True, slots=True, kw_only=True)
class Notification:
    """One delivery about the incident. Levels and rounds count from 1."""

    id: int
    escalation: str  #: the escalation's public key ("g42")
    group_key: str
    kind: MessageKind  #: page, update, reminder, resolved (resolution notice), acknowledged (ack notice)
    level: int | None  #: pages and reminders: the level they were sent for
    round: int | None
    person: str | None  #: person id
    person_name: str | None
    channel: str
    address: str  #: masked
    status: str  #: pending, sent, dead (gave up), cancelled (never sent)
    queued_at: float
    due_at: float
    attempts: int
    first_attempt_at: float | None
    sent_at: float | None  #: the channel accepted it
    finished_at: float | None  #: sent, given up or cancelled
    error: str  #: the last failure ("" if none): why a pending one waits, why a dead one died
    acknowledged_at: float | None  #: the recipient acknowledged the incident (after this message reached them)
    acknowledged_by: str | None  #: as the timeline says it ("an (ack link)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """What an escalation did while the incident was in it (level reached, fallback, ...)."""

    escalation: str
    at: float
    kind: str  #: started, joined, paged, unreachable, skipped, fallback, update, acknowledged, ...
    level: int | None
    round: int | None
    person: str | None
    person_name: str | None
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EscalationSummary:
    key: str
    group_key: str
    route: str
    policy: str
    status: str
    level: int | None  #: the level reached (from 1); None before the first page
    round: int
    created_at: float
    started_at: float | None
    next_step_at: float | None
    acknowledged_at: float | None
    acknowledged_by: str | None  #: person name, or the actor if not a person
    closed_at: float | None
    joined_at: float  #: when the incident joined it
    left_at: float | None  #: when it moved to a newer escalation


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentHistory:
    incident_id: int
    escalations: tuple[EscalationSummary, ...]
    notifications: tuple[Notification, ...]  #: in the order they were queued
    steps: tuple[Step, ...]  #: in time order


def mask_address(address: str) -> str:
    """An address with most of it hidden: ``+8490****001``, ``a***@noc.example``, a URL's
    scheme and host only; "" stays ""."""
    if "://" in address:
        parts = urlsplit(address)
        return f"{parts.scheme}://{parts.hostname or ''}/…"
    local, at, domain = address.rpartition("@")
    if at and local:
        return f"{local[0]}***@{domain}"
    n = len(address)
    if n >= 10:
        return f"{address[:5]}****{address[-3:]}"
    if n >= 6:
        return f"{address[:2]}****{address[-2:]}"
    return "****" if address else ""


def _about(entry: OutboxEntry, incident_id: int, m: Membership) -> bool:
    ids = entry.message.data.get("incident_ids")
    if isinstance(ids, list):
        return incident_id in ids
    return m.joined_at <= entry.created_at and (m.left_at is None or entry.created_at <= m.left_at)


def _one_based(n: int | None) -> int | None:
    return None if n is None or n < 0 else n + 1


def incident_history(incident: Incident, *, state: EscalationStore, outbox: Outbox, people: Mapping[str, Person],
                     person_of: Callable[[str], str | None]) -> IncidentHistory:
    """Everything paging did about ``incident``. ``person_of`` maps an acknowledgement's actor
    to a person id (``Pipeline.person_of``), so a page is marked acknowledged by its recipient."""

    def name(pid: str | None) -> str | None:
        return None if pid is None else (people[pid].name if pid in people else pid)

    acker = person_of(incident.acknowledged_by) if incident.acknowledged_by else None
    known = {c.address for p in people.values() for c in p.contacts if c.address}
    escalations: list[EscalationSummary] = []
    notifications: list[Notification] = []
    steps: list[Step] = []
    for m in state.memberships(incident.id):
        e = m.escalation
        escalations.append(EscalationSummary(
            key=e.key, group_key=e.group_key, route=e.route, policy=e.policy.policy, status=e.status.value,
            level=_one_based(e.level), round=e.round + 1, created_at=e.created_at, started_at=e.started_at,
            next_step_at=e.next_step_at, acknowledged_at=e.acknowledged_at,
            acknowledged_by=name(e.acknowledged_by), closed_at=e.closed_at, joined_at=m.joined_at,
            left_at=m.left_at))
        entries = outbox.entries(escalation_id=e.id)
        hide = _masker(known | {x.address for x in entries if x.address})
        for x in entries:
            if not _about(x, incident.id, m):
                continue
            acked = (acker is not None and x.person == acker and x.kind in _ACKABLE and x.status == "sent"
                     and incident.acknowledged_at is not None and x.created_at <= incident.acknowledged_at)
            levelled = x.kind in _LEVELLED
            notifications.append(Notification(
                id=x.id, escalation=e.key, group_key=e.group_key, kind=x.kind,
                level=_one_based(x.level) if levelled else None, round=_one_based(x.round) if levelled else None,
                person=x.person, person_name=name(x.person), channel=x.channel,
                address=mask_address(x.address), status=x.status, queued_at=x.created_at, due_at=x.due_at,
                attempts=x.attempts, first_attempt_at=x.first_attempt_at,
                sent_at=x.finished_at if x.status == "sent" else None, finished_at=x.finished_at,
                error=hide(x.last_error),
                acknowledged_at=incident.acknowledged_at if acked else None,
                acknowledged_by=incident.acknowledged_by if acked else None))
        steps += [_step(e.key, ev, name(ev.person), hide(ev.text)) for ev in state.events(e.id)
                  if _during(ev, incident.id, m)]
    notifications.sort(key=lambda n: (n.queued_at, n.id))
    steps.sort(key=lambda s: s.at)  # stable: events of one escalation keep their recorded order
    return IncidentHistory(incident_id=incident.id, escalations=tuple(escalations),
                           notifications=tuple(notifications), steps=tuple(steps))


def _during(ev: EscalationEvent, incident_id: int, m: Membership) -> bool:
    if ev.kind in _MEMBERSHIP_EVENTS:
        return ev.text.startswith(f"incident #{incident_id} ")
    return m.joined_at <= ev.at and (m.left_at is None or ev.at <= m.left_at)


def _step(key: str, ev: EscalationEvent, person_name: str | None, text: str) -> Step:
    return Step(escalation=key, at=ev.at, kind=ev.kind, level=_one_based(ev.level), round=_one_based(ev.round),
                person=ev.person, person_name=person_name, text=text)


def _masker(addresses: set[str]) -> Callable[[str], str]:
    """Masks each of ``addresses`` wherever it appears in a text (longest first: one may hold another)."""
    ordered = sorted(addresses, key=len, reverse=True)

    def hide(text: str) -> str:
        for a in ordered:
            if a in text:
                text = text.replace(a, mask_address(a))
        return text
    return hide
