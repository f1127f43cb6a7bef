"""The escalation pipeline: what happens to an escalation when incidents change or a timer comes.

    change ──inhibit (pages?)──▶ route ──▶ group (join the live escalation of its key, or start one)
    timer  ──▶ level: resolve targets ──▶ (nobody reachable: record, count, next level at once)
                      ──▶ fan out per person per contact (their rules) ──▶ outbox (dedup by key)
    members all acknowledged ──▶ cancel pending pages and repeats, tell the others, re-notify later
    members all resolved     ──▶ resolution message to everyone paged, on each contact a page reached;
                                 a contact whose page was lost to a down channel: one late notice there
    channel down for a while ──▶ a person's fallback rule (``if_down``): the waiting page by another contact, once

An acknowledgement or a resolution goes only where a page (or reminder, update) was delivered:
a recipient is never told of the end of an outage on a channel that never told them of its
start. Where the page was lost to a channel outage (still waiting when the resolution cancelled
it), the person gets one short notice there when the channel returns, saying it is resolved and
why they heard nothing (unless their ``late_notices`` is off).

Every method runs inside the caller's store transaction: the escalation's new state and the
deliveries it queued commit together, so a crash either did the step (and its messages will be
sent) or did not (and the step runs again; the idempotency keys make the second run a no-op for
anything already queued).

Whether an escalation is acknowledged is derived from its incidents in the store, never from the
change that woke it, so the auditor can repair anything a crash made the engine miss.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from sitewatch.config.schema import Config
from sitewatch.core.incident import Incident, IncidentState
from sitewatch.escalation.channel_health import ChannelState
from sitewatch.escalation.compose import MessageRequest
from sitewatch.escalation.metrics import EscalationStats
from sitewatch.escalation.outbox import Outbox
from sitewatch.escalation.policy import snapshot
from sitewatch.escalation.routing import route_incident
from sitewatch.escalation.state import LIVE, Escalation, Repeat, Status
from sitewatch.escalation.targets import OnCall, contact_plan, fallback_rules, immediate_contacts, resolve_targets
from sitewatch.messages.context import ChannelOutage
from sitewatch.notify.model import Contact, Message, MessageKind
from sitewatch.store.escalations import EscalationStore
from sitewatch.store.incidents import IncidentStore
from sitewatch.store.outbox import OutboxEntry, OutboxItem

__all__ = ["Pipeline"]

log = logging.getLogger(__name__)


def _about(incident: Incident) -> dict[str, object]:
    """The ``site`` and ``incident`` fields of a log line about ``incident``."""
    return {"site": incident.site_id, "incident": incident.id}


#: an escalation that reached nobody at any level starts over after at least this long
RETRY_NOBODY = 300.0
#: what an acknowledgement, a withdrawal or a resolution cancels before it is sent
_STOPPED_BY_ACK = (MessageKind.PAGE, MessageKind.REMINDER, MessageKind.UPDATE)
#: what tells a person of an incident on a contact (the same three)
_TELLS = _STOPPED_BY_ACK
#: follow-ups that go only where something that told the person was delivered
_WHERE_TOLD = (MessageKind.ACKNOWLEDGED, MessageKind.RESOLVED)
#: what a fallback rule sends by another contact while it waits on a down channel
_FALLBACK_KINDS = (MessageKind.PAGE, MessageKind.UPDATE)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Reach:
    """Where an escalation's pages reached one person, by contact index."""

    delivered: frozenset[int]
    #: cancelled while their channel was failing, and nothing else delivered on that contact
    lost: frozenset[int]


def _up(channel: str) -> ChannelState:
    return ChannelState(channel=channel)


class Pipeline:
    def __init__(self, *, config: Config, store: IncidentStore, state: EscalationStore, outbox: Outbox,
                 stats: EscalationStats, compose: Callable[[MessageRequest], Message], on_call: OnCall,
                 channels: Callable[[], frozenset[str]], health: Callable[[str], ChannelState] = _up) -> None:
        self.config = config
        self.store = store
        self.state = state
        self.outbox = outbox
        self.stats = stats
        self.compose = compose
        self.on_call = on_call
        #: the channels that can send now (a notifier is configured)
        self.channels = channels
        #: a channel's health as the outbox worker sees it (down: its messages wait)
        self.health = health

    # -- inhibit, route, group ----------------------------------------------------------------

    def admit(self, incident: Incident, now: float) -> Escalation | None:
        """Put a paging incident into the live escalation of its group (starting one if needed)."""
        if not incident.pages or self.state.in_live(incident.id):
            return None
        site = next((s for s in self.config.sites if s.id == incident.site_id), None)
        decision = route_incident(self.config.routes, incident, site)
        if decision is None:
            self.stats.route_unmatched.inc()
            log.error("incident #%d (%s at %s) is not paged: no routes are configured", incident.id,
                      incident.condition.value, incident.site_id, extra=_about(incident))
            return None
        if not decision.matched:
            self.stats.route_unmatched.inc()
            log.warning("incident #%d (%s at %s) matched no route; using the last one (policy %s)", incident.id,
                        incident.condition.value, incident.site_id, decision.route.policy, extra=_about(incident))
        policy = self.config.policies.get(decision.route.policy)
        if policy is None:  # the loader cross-checks this; a hand-built config might not
            self.stats.route_unmatched.inc()
            log.error("incident #%d is not paged: route names unknown policy %r", incident.id, decision.route.policy,
                      extra=_about(incident))
            return None
        e = self.state.live(decision.group_key)
        if e is None:
            e = self.state.create(group_key=decision.group_key, route=decision.describe(),
                                  policy=snapshot(decision.route.policy, policy, decision.route), now=now)
            self.state.event(e.id, now, "started", f"{decision.describe()}; group {decision.group_key}")
        self.state.add_member(e.id, incident.id, now)
        self.state.event(e.id, now, "joined", f"incident #{incident.id} ({incident.condition.value} at "
                                              f"{incident.site_id})")
        for old in self.state.of_incident(incident.id):
            if old.status not in LIVE:
                self._move(old, e, incident.id, now)
        return e

    def _move(self, old: Escalation, new: Escalation, incident_id: int, now: float) -> None:
        """An incident pages again after its escalation stopped without it (withdrawn while it
        was suppressed, or acknowledged through its other members): it moves to ``new``, and
        whoever was paged for it before is carried over (as level -1), so they hear of its
        acknowledgement and end once, from ``new``."""
        for p in self.state.pages(old.id):
            self.state.record_page(new.id, p.person, -1, -1, p.at)
        self.state.tell(new.id, self.state.told_of(old.id, incident_id), (incident_id,))
        self.state.remove_member(old.id, incident_id)
        self.state.event(old.id, now, "moved", f"incident #{incident_id} pages again, in {new.key}")
        self.state.event(new.id, now, "carried", f"incident #{incident_id} from {old.key}, with who was paged there")
        if not self.state.members(old.id):
            self.state.save(replace(old, closed_at=now))

    # -- acknowledged, withdrawn, resolved: derived from the members ----------------------------

    def incidents(self, e: Escalation) -> list[Incident]:
        return [self.store.get_incident(m.incident_id) for m in self.state.members(e.id)]

    def reevaluate(self, escalation_id: int, now: float) -> Escalation:
        e = self.state.get(escalation_id)
        if e.status is Status.RESOLVED:
            return e
        incidents = self.incidents(e)
        if incidents and all(i.state is IncidentState.RESOLVED for i in incidents):
            return self._resolved(e, incidents, now)
        if e.status in LIVE and incidents and not any(i.pages for i in incidents):
            acked = [i for i in incidents if i.state is IncidentState.ACKNOWLEDGED]
            if acked:
                return self._acknowledged(e, incidents, max(acked, key=lambda i: (i.acknowledged_at or 0, i.id)), now)
            return self._stop(e, Status.WITHDRAWN, now, "no member pages any more (suppressed or in maintenance)")
        return e

    def _stop(self, e: Escalation, status: Status, now: float, why: str) -> Escalation:
        down = {c: f"cancelled while channel {c} was down: {s.last_error}" for c in sorted(self.channels())
                if not (s := self.health(c)).up}
        cancelled = self.outbox.cancel(e.id, _STOPPED_BY_ACK, now, down)
        self.state.clear_repeats(e.id)
        e = replace(e, status=status, next_step_at=None)
        self.state.save(e)
        self.state.event(e.id, now, status.value, f"{why}; {cancelled} pending message(s) cancelled")
        return e

    def _acknowledged(self, e: Escalation, incidents: list[Incident], last: Incident, now: float) -> Escalation:
        actor = last.acknowledged_by or ""
        person = self.person_of(actor)
        at = last.acknowledged_at if last.acknowledged_at is not None else now
        was_paging = e.started_at is not None
        e = self._stop(e, Status.ACKNOWLEDGED, now, f"acknowledged by {actor or 'unknown'}")
        if was_paging and e.started_at is not None:
            self.stats.acknowledged_after(at - e.started_at)
        renotify = self.config.notifications.renotify_acknowledged
        e = replace(e, acknowledged_at=at, acknowledged_by=person or actor,
                    next_step_at=at + renotify if renotify is not None and was_paging else None)
        self.state.save(e)
        others = [p for p in self.state.paged_people(e.id) if p != person]
        self._follow_up(e, MessageKind.ACKNOWLEDGED, others, "ack", now, incidents=tuple(incidents),
                        acknowledged_by=person or actor)
        return e

    def _resolved(self, e: Escalation, incidents: list[Incident], now: float) -> Escalation:
        e = self._stop(e, Status.RESOLVED, now, "every member resolved")
        e = replace(e, closed_at=now)
        self.state.save(e)
        self._follow_up(e, MessageKind.RESOLVED, self.state.paged_people(e.id), "resolved", now,
                        incidents=tuple(incidents))
        self._late_notices(e, tuple(incidents), now)
        return e

    def _late_notices(self, e: Escalation, incidents: tuple[Incident, ...], now: float) -> None:
        """One short resolution on each contact whose page was lost to its channel being down:
        it waits in the outbox for the channel like anything else."""
        items: list[OutboxItem] = []
        for pid, reach in self._reach(e).items():
            person = self.config.people.get(pid)
            if person is None:
                continue
            for c in sorted(reach.lost):
                channel = person.contacts[c].channel if c < len(person.contacts) else None
                if channel is None or channel not in self.channels():
                    continue
                if not person.late_notices:
                    self.state.event(e.id, now, "late_notice", f"{channel}: the page never reached them; "
                                     "no late notice (late_notices: false)", person=pid)
                    continue
                message = self.compose(MessageRequest(kind=MessageKind.RESOLVED, person=pid, now=now,
                                                      incidents=incidents, group_key=e.key, level=e.level,
                                                      outage=ChannelOutage(channel=self._type(channel))))
                items.append(self._item(e, "late", pid, c, message, now))
                self.state.event(e.id, now, "late_notice", f"{channel}: the page never reached them; a short "
                                 "resolution saying so waits for the channel", person=pid)
        self.outbox.enqueue(items)

    def _reach(self, e: Escalation) -> dict[str, _Reach]:
        """Per person with deliveries in this escalation: where something that told them of it
        was delivered, and where it was lost to a failing channel."""
        delivered: dict[str, set[int]] = {}
        lost: dict[str, set[int]] = {}
        for x in self.outbox.entries(escalation_id=e.id):
            if x.person is None or x.contact_index is None or x.kind not in _TELLS:
                continue
            delivered.setdefault(x.person, set())
            if x.status == "sent":
                delivered[x.person].add(x.contact_index)
            elif x.status == "cancelled" and x.last_error:
                lost.setdefault(x.person, set()).add(x.contact_index)
        return {p: _Reach(delivered=frozenset(d), lost=frozenset(lost.get(p, set()) - d)) for p, d in delivered.items()}

    def _type(self, channel: str) -> str:
        """What kind of channel it is (sms_gateway, email, ...): how messages name it."""
        spec = self.config.channels.get(channel)
        return spec.type if spec is not None else channel

    def person_of(self, actor: str) -> str | None:
        """The person id behind an acknowledgement's actor: a person id or name, possibly with a
        note on how ("an (ack link)"); None for anything else ("api:noc-console")."""
        head = actor.split(" (", 1)[0].strip()
        if head in self.config.people:
            return head
        folded = head.casefold()
        return next((pid for pid, p in self.config.people.items() if p.name.casefold() == folded), None)

    # -- timers -------------------------------------------------------------------------------

    def run_due(self, now: float) -> int:
        """Run every escalation step, group update and personal repeat that is due; returns
        how many escalation steps ran."""
        steps = 0
        for due in self.state.due(now):
            with self._isolated(due.key):
                e = self.reevaluate(due.id, now)
                if e.next_step_at is None or e.next_step_at > now:
                    continue
                steps += 1
                if e.status is Status.ACKNOWLEDGED:
                    self._renotify(e, now)
                else:
                    self.advance(e, now)
        for e in self.state.updates_due(now):
            with self._isolated(e.key):
                self._update(e, now)
        for r in self.state.due_repeats(now):
            with self._isolated(f"g{r.escalation_id}"):
                self._repeat(r, now)
        self._fallbacks(now)
        return steps

    @contextmanager
    def _isolated(self, key: str) -> Iterator[None]:
        """One escalation's step in a savepoint of its own: if it fails (a bug), it is undone and
        logged, and the others still run."""
        try:
            with self.state.transaction():
                yield
        except Exception:
            log.exception("escalation %s: step failed; it will be tried again", key, extra={"escalation": key})

    def advance(self, e: Escalation, now: float) -> Escalation:
        """Page the next level; a level that reaches nobody is recorded and passed over at once.
        An update due now to those already paged goes first: the next level's page does not
        make their news wait another group interval."""
        if e.status is Status.ACTIVE and e.update_at is not None and e.update_at <= now:
            e = self._update(e, now)
        nxt = e.policy.after(e.level, e.round)
        while nxt is not None:
            level, round_ = nxt
            lv = e.policy.levels[level]
            found = resolve_targets(self.config, lv.targets, now, on_call=self.on_call,
                                    channels=self.channels())
            for u in found.unreachable:
                self.state.event(e.id, now, "unreachable", str(u), level=level, round_=round_)
            e = replace(e, status=Status.ACTIVE, level=level, round=round_)
            if found.people:
                update_at = e.update_at if e.update_at is not None and e.update_at > now else \
                    now + e.policy.group_interval
                e = replace(e, started_at=e.started_at if e.started_at is not None else now,
                            next_step_at=now + lv.wait, update_at=update_at)
                self.state.save(e)
                self._page(e, found.people, now)
                self.stats.level_reached(level)
                return e
            self.stats.level_unreachable(level)
            log.warning("escalation %s level %d reaches nobody (%s); going to the next level", e.key, level + 1,
                        "; ".join(map(str, found.unreachable)) or "no targets", extra={"escalation": e.key})
            self.state.event(e.id, now, "skipped", "nobody reachable; next level at once", level=level,
                             round_=round_)
            nxt = e.policy.after(level, round_)
        if not any(p.level >= 0 for p in self.state.pages(e.id)):  # carried-over pages do not count
            # a gap in every roster is not a reason to give up: start over when someone may be on duty
            retry = now + max(RETRY_NOBODY, e.policy.levels[0].wait if e.policy.levels else 0.0)
            e = replace(e, status=Status.ACTIVE, level=-1, round=0, next_step_at=retry)
            self.state.save(e)
            log.error("escalation %s (%s) reached nobody at any level of policy %s; trying again in %.0f s",
                      e.key, e.group_key, e.policy.policy, retry - now, extra={"escalation": e.key})
            self.state.event(e.id, now, "nobody", f"no level reached anyone; starting over in {retry - now:.0f} s")
            return e
        e = replace(e, status=Status.ACTIVE, next_step_at=None)
        self.state.save(e)
        self.state.event(e.id, now, "exhausted", "every level and repeat done; waiting for an acknowledgement")
        return e

    def _page(self, e: Escalation, people: tuple[str, ...], now: float) -> None:
        incidents = tuple(i for i in self.incidents(e) if i.state is not IncidentState.RESOLVED)
        for pid in people:
            self.state.record_page(e.id, pid, e.level, e.round, now)
        paged = self.state.paged_people(e.id)
        items: list[OutboxItem] = []
        for pid in people:
            person = self.config.people[pid]
            message = self.compose(MessageRequest(kind=MessageKind.PAGE, person=pid, now=now, incidents=incidents,
                                                  group_key=e.key, level=e.level,
                                                  also_paged=tuple(p for p in paged if p != pid)))
            plan = contact_plan(person, self.channels())
            for p in plan:
                items.append(self._item(e, f"page/L{e.level}R{e.round}", pid, p.contact, message, now + p.after))
                if p.repeat is not None:
                    self.state.set_repeat(Repeat(escalation_id=e.id, person=pid, contact=p.contact, level=e.level,
                                                 round=e.round, every=p.repeat, next_at=now + p.after + p.repeat,
                                                 sent=0))
            how = ", ".join(f"{person.contacts[p.contact].channel}" + (f" after {p.after:.0f} s" if p.after else "")
                            for p in plan)
            self.state.event(e.id, now, "paged", how, level=e.level, round_=e.round, person=pid)
        self.state.tell(e.id, people, (i.id for i in incidents))
        self.outbox.enqueue(items)

    def _update(self, e: Escalation, now: float) -> Escalation:
        """Members someone paged has not been told of: one update to each such person, naming
        what is new to them (a member resolved before anyone said it is only marked told)."""
        untold = self.state.untold(e.id)
        incidents = tuple(i for i in self.incidents(e) if i.state is not IncidentState.RESOLVED)
        still_open = {i.id for i in incidents}
        news = {pid: new & still_open for pid, new in untold.items() if new & still_open}
        for pid, new in untold.items():
            self.state.tell(e.id, (pid,), new)
        if not news:
            return e
        e = replace(e, updates=e.updates + 1, update_at=now + e.policy.group_interval)
        for pid, new in news.items():
            self._follow_up(e, MessageKind.UPDATE, (pid,), f"update/{e.updates}", now, incidents=incidents,
                            new=frozenset(new))
        self.state.save(e)
        joined = frozenset().union(*news.values())
        self.state.event(e.id, now, "update", f"{len(joined)} incident(s) joined; told {', '.join(news)}")
        return e

    def _repeat(self, r: Repeat, now: float) -> None:
        e = self.state.get(r.escalation_id)
        person = self.config.people.get(r.person)
        nxt = r.next_at + r.every
        self.state.set_repeat(replace(r, next_at=nxt if nxt > now else now + r.every, sent=r.sent + 1))
        if person is None or r.contact >= len(person.contacts) or \
                person.contacts[r.contact].channel not in self.channels():
            return
        incidents = tuple(i for i in self.incidents(e) if i.state is not IncidentState.RESOLVED)
        message = self.compose(MessageRequest(kind=MessageKind.REMINDER, person=r.person, now=now,
                                              incidents=incidents, group_key=e.key, level=r.level))
        self.outbox.enqueue([self._item(e, f"reminder/L{r.level}R{r.round}/{r.sent + 1}", r.person, r.contact,
                                        message, now, level=r.level, round_=r.round)])

    def _renotify(self, e: Escalation, now: float) -> None:
        """Acknowledged but still open: remind the acknowledger (or, if that was not a person,
        whoever was paged last)."""
        incidents = tuple(i for i in self.incidents(e) if i.state is not IncidentState.RESOLVED)
        n = e.renotified + 1
        people: Iterable[str] = (e.acknowledged_by,) if e.acknowledged_by in self.config.people else \
            [p.person for p in self.state.pages(e.id) if (p.level, p.round) == (e.level, e.round)]
        self._follow_up(e, MessageKind.REMINDER, tuple(people), f"renotify/{n}", now, incidents=incidents)
        renotify = self.config.notifications.renotify_acknowledged
        self.state.save(replace(e, renotified=n, next_step_at=now + renotify if renotify is not None else None))
        self.state.event(e.id, now, "renotified", "acknowledged but still open")

    # -- deliveries ---------------------------------------------------------------------------

    def _item(self, e: Escalation, stem: str, person_id: str, contact: int, message: Message, due_at: float, *,
              level: int | None = None, round_: int | None = None) -> OutboxItem:
        """A delivery keyed ``<escalation>/<stem>/<person>/c<contact>`` (the contact always last:
        a takeover swaps only that part)."""
        return self._keyed(e, f"{e.key}/{stem}/{person_id}", person_id, contact, message, due_at,
                           level=e.level if level is None else level, round_=e.round if round_ is None else round_)

    def _keyed(self, e: Escalation, key_stem: str, person_id: str, contact: int, message: Message, due_at: float, *,
               level: int | None, round_: int | None) -> OutboxItem:
        spec = self.config.people[person_id].contacts[contact]
        return OutboxItem(key=f"{key_stem}/c{contact}",
                          contact=Contact(channel=spec.channel, address=spec.address, person=person_id),
                          message=message, due_at=due_at, escalation_id=e.id, contact_index=contact, level=level,
                          round=round_)

    def _follow_up(self, e: Escalation, kind: MessageKind, people: Iterable[str], stem: str, now: float, *,
                   incidents: tuple[Incident, ...], new: frozenset[int] = frozenset(),
                   acknowledged_by: str | None = None) -> None:
        """One message of ``kind`` to each person, through the contacts they use at once; an
        acknowledgement or a resolution only where something that told them was delivered (the
        contacts they use at once when none is on record: carried over from another escalation)."""
        items: list[OutboxItem] = []
        reach = self._reach(e) if kind in _WHERE_TOLD else {}
        for pid in dict.fromkeys(people):
            person = self.config.people.get(pid)
            contacts = immediate_contacts(person, self.channels()) if person is not None else ()
            if person is not None and pid in reach:
                contacts = tuple(c for c in sorted(reach[pid].delivered)
                                 if c < len(person.contacts) and person.contacts[c].channel in self.channels())
                if not contacts:
                    self.state.event(e.id, now, "not_told", f"no {kind.value} message: nothing reached them "
                                     "before it", person=pid)
                    continue
            if not contacts:
                self.state.event(e.id, now, "unreachable", f"no usable contact for the {kind.value} message",
                                 person=pid)
                continue
            message = self.compose(MessageRequest(kind=kind, person=pid, now=now, incidents=incidents,
                                                  group_key=e.key, new_incident_ids=new, level=e.level,
                                                  acknowledged_by=acknowledged_by))
            items += [self._item(e, stem, pid, c, message, now) for c in contacts]
        self.outbox.enqueue(items)

    def delivered_after_stop(self, sent: OutboxEntry, now: float) -> None:
        """A page (reminder, update) that was already on the wire when the escalation was
        acknowledged or resolved went through: the person heard of it on that contact, so the
        acknowledgement or resolution goes there too. A late notice queued there (this was a
        probe of a down channel) is called back while it waits: it would say the page was lost."""
        if sent.escalation_id is None or sent.person is None or sent.contact_index is None or sent.kind not in _TELLS:
            return
        e = self.state.get(sent.escalation_id)
        pid, contact = sent.person, sent.contact_index
        person = self.config.people.get(pid)
        if person is None or contact >= len(person.contacts):
            return
        late = next((x for x in self.outbox.entries(escalation_id=e.id) if x.key == f"{e.key}/late/{pid}/c{contact}"),
                    None)
        if late is not None and not self.outbox.finish(late, "cancelled", now):
            return  # the late notice went already: it said it is resolved
        if e.status is Status.RESOLVED:
            kind, stem = MessageKind.RESOLVED, "resolved"
        elif e.status is Status.ACKNOWLEDGED and e.acknowledged_by != pid:
            kind, stem = MessageKind.ACKNOWLEDGED, "ack"
        else:
            return
        message = self.compose(MessageRequest(kind=kind, person=pid, now=now, incidents=tuple(self.incidents(e)),
                                              group_key=e.key, level=e.level, acknowledged_by=e.acknowledged_by))
        if self.outbox.enqueue([self._item(e, stem, pid, contact, message, now)]):
            self.state.event(e.id, now, "told_after", f"the {sent.kind.value} on {sent.channel} was on the wire when "
                             f"it was cancelled and went through: the {kind.value} message follows there", person=pid)

    def take_over(self, dead: OutboxEntry, now: float) -> None:
        """A delivery was dead-lettered: the person's next contact method takes over (a later
        one of the same message is brought forward, or an unused contact gets it); if nothing is
        left for anyone at the current level, the escalation moves to the next level at once."""
        if dead.escalation_id is None or dead.person is None or dead.contact_index is None:
            return
        e = self.state.get(dead.escalation_id)
        if dead.kind in (MessageKind.PAGE, MessageKind.REMINDER) and e.status is not Status.ACTIVE:
            return
        if "/fallback/" in dead.key or dead.key.startswith(f"{e.key}/late/"):
            self.state.event(e.id, now, "unreachable", f"{dead.channel} failed ({dead.last_error}); it stood in for "
                             "another message, which is not handed over again", person=dead.person,
                             level=dead.level, round_=dead.round)
            return
        stem = dead.key.rsplit("/c", 1)[0]
        rows = self.outbox.entries(escalation_id=e.id)
        same = [x for x in rows if x.key.rsplit("/c", 1)[0] == stem]
        later = [x for x in same if x.status == "pending" and x.due_at > now]
        person = self.config.people.get(dead.person)
        if later:
            self.outbox.bring_forward(later[0].id, now)
            self.state.event(e.id, now, "fallback", f"{dead.channel} failed; {later[0].channel} now",
                             person=dead.person, level=dead.level, round_=dead.round)
            return
        # a contact a fallback rule already sent this message to is not used again
        used = {x.contact_index for x in same} | {x.contact_index for x in rows
                                                   if x.key.startswith(f"{dead.key}/fallback/")}
        spare = [i for i, c in enumerate(person.contacts) if i not in used and c.channel in self.channels()] \
            if person is not None else []
        if spare:
            self.outbox.enqueue([self._keyed(e, stem, dead.person, spare[0], dead.message, now, level=dead.level,
                                             round_=dead.round)])
            self.state.event(e.id, now, "fallback", f"{dead.channel} failed; "
                             f"{person.contacts[spare[0]].channel if person else '?'} takes over", person=dead.person,
                             level=dead.level, round_=dead.round)
            return
        self.state.event(e.id, now, "unreachable", f"every contact failed ({dead.last_error})", person=dead.person,
                         level=dead.level, round_=dead.round)
        if dead.kind is MessageKind.PAGE and (dead.level, dead.round) == (e.level, e.round):
            alive = [x for x in self.outbox.entries(escalation_id=e.id) if x.kind is MessageKind.PAGE
                     and (x.level, x.round) == (e.level, e.round) and x.status in ("pending", "sent")]
            if not alive:
                self.state.event(e.id, now, "skipped", "every page at this level failed; next level at once",
                                 level=e.level, round_=e.round)
                self.advance(e, now)

    # -- fallback rules while a channel is down -------------------------------------------------

    def _fallbacks(self, now: float) -> None:
        """Pages and updates waiting on a channel that has been down for a person's ``if_down``
        time go by that rule's contact too, once each (keyed by the original's key)."""
        down = {c: st for c in self.channels() if not (st := self.health(c)).up and st.down_since is not None}
        people = [pid for pid, p in self.config.people.items() if any(r.if_down is not None for r in p.rules)]
        if not down or not people:
            return
        planned: list[tuple[OutboxEntry, int]] = []
        for x in self.outbox.held(now, channels=down, kinds=_FALLBACK_KINDS, people=people):
            person = self.config.people.get(x.person or "")
            since = down[x.channel].down_since
            if person is None or x.contact_index is None or x.escalation_id is None or since is None:
                continue
            planned += [(x, r.contact) for r in fallback_rules(person, x.contact_index)
                        if r.if_down is not None and now - since >= r.if_down.for_
                        and person.contacts[r.contact].channel in self.channels()]
        known = self.outbox.known(f"{x.key}/fallback/c{c}" for x, c in planned)
        for x, contact in planned:
            if f"{x.key}/fallback/c{contact}" not in known:
                with self._isolated(f"g{x.escalation_id}"):
                    self._fallback(x, contact, down[x.channel], now)

    def _fallback(self, waiting: OutboxEntry, contact: int, channel: ChannelState, now: float) -> None:
        assert waiting.escalation_id is not None and waiting.person is not None
        e = self.state.get(waiting.escalation_id)
        incidents = tuple(i for i in self.incidents(e) if i.state is not IncidentState.RESOLVED)
        if e.status is not Status.ACTIVE or not incidents:
            return
        pid = waiting.person
        spec = self.config.people[pid].contacts[contact]
        outage = ChannelOutage(channel=self._type(waiting.channel), since=channel.down_since,
                               instead=self._type(spec.channel))
        message = self.compose(MessageRequest(
            kind=waiting.kind, person=pid, now=now, incidents=incidents, group_key=e.key, level=waiting.level,
            also_paged=tuple(p for p in self.state.paged_people(e.id) if p != pid), outage=outage))
        item = self._keyed(e, f"{waiting.key}/fallback", pid, contact, message, now, level=waiting.level,
                           round_=waiting.round)
        if self.outbox.enqueue([item]):
            since = now - (channel.down_since if channel.down_since is not None else now)
            self.state.event(e.id, now, "fallback", f"{waiting.channel} down for {since:.0f} s ({channel.last_error}); "
                             f"the waiting {waiting.kind.value} also by {spec.channel} (if_down rule)", person=pid,
                             level=waiting.level, round_=waiting.round)
