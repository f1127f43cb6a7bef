"""``EscalationEngine``: the one object the daemon wires for paging.

    IncidentService ──on_changes──▶ pipeline (route, group, escalate) ──▶ outbox ──run()──▶ notifiers
    scheduler ──tick(now) / audit(now)──▶ timers (group wait, next level, repeats, re-notify)
    ack page / API ──acknowledge_group──▶ IncidentService.acknowledge ──▶ on_changes (stops at once)

Wiring (the daemon)::

    engine = EscalationEngine(store=store, config=config, clock=clock, notifiers=build_notifiers(config),
                              signer=AckSigner(key, ttl), incidents=incident_service)
    incident_service.subscribe(engine.on_changes)
    registry.register(engine.collector())
    engine.audit()                          # at start: resume what a restart interrupted
    scheduler job every few seconds: engine.audit()   (or tick() often and audit() every minute)
    task: await engine.run()  ...  await engine.stop()      # stop() also closes the notifiers

``audit`` is the safety net: it puts any paging incident that is in no escalation into one (a
crash between the incident commit and the engine's), re-derives every escalation's status from
its incidents, counts the steps that are overdue (the daemon was down, or ticks stalled) and
runs them.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from typing import Protocol

from sitewatch.config.schema import Config
from sitewatch.core.clock import Clock
from sitewatch.core.incident import IncidentState
from sitewatch.escalation.compose import AckLinkSigner, Composer, MessageRequest, Renderer, seal
from sitewatch.escalation.history import IncidentHistory, incident_history
from sitewatch.escalation.metrics import EscalationCollector, EscalationStats
from sitewatch.escalation.outbox import Outbox
from sitewatch.escalation.pipeline import Pipeline
from sitewatch.escalation.state import Escalation, EscalationEvent, parse_key
from sitewatch.escalation.targets import OnCall, contact_plan
from sitewatch.escalation.worker import OutboxWorker
from sitewatch.incidents.errors import InvalidTransition
from sitewatch.incidents.lifecycle import IncidentChange
from sitewatch.messages.render import render
from sitewatch.notify.model import Contact, MessageKind, Notifier
from sitewatch.oncall.schedule import who_is_on_call
from sitewatch.store.escalations import EscalationStore
from sitewatch.store.incidents import IncidentStore
from sitewatch.store.outbox import OutboxEntry, OutboxItem

__all__ = ["Acknowledger", "EscalationEngine"]

log = logging.getLogger(__name__)

#: a step later than this past its time is "overdue" for the auditor (ticks run every few seconds)
AUDIT_GRACE = 60.0


class Acknowledger(Protocol):
    """The incident command path (``IncidentService``)."""

    def acknowledge(self, incident_id: int, actor: str, comment: str | None = None) -> object:
        ...


class EscalationEngine:
    """Not thread-safe: use it from the daemon's event loop."""

    def __init__(self, *, store: IncidentStore, config: Config, clock: Clock, notifiers: Mapping[str, Notifier],
                 renderer: Renderer = render, signer: AckLinkSigner | None = None,
                 incidents: Acknowledger | None = None, on_call: OnCall = who_is_on_call,
                 rng: random.Random | None = None, audit_grace: float = AUDIT_GRACE) -> None:
        self.store = store
        self.clock = clock
        self.config = config
        self.audit_grace = audit_grace
        self.stats = EscalationStats(*_series(config))
        self.state = EscalationStore(store.db)
        self.outbox = Outbox(db=store.db, clock=clock, stats=self.stats)
        self.worker = OutboxWorker(outbox=self.outbox, clock=clock, notifiers=notifiers, stats=self.stats,
                                   max_retry_time=config.notifications.max_retry_time,
                                   rate_limits={n: c.rate_limit for n, c in config.channels.items()}, rng=rng,
                                   on_dead=self._on_dead, on_sent_cancelled=self._on_sent_cancelled,
                                   seal=lambda message, now: seal(message, self.composer.signer, now))
        self.composer = Composer(config, renderer=renderer, signer=signer)
        self.pipeline = Pipeline(config=config, store=store, state=self.state, outbox=self.outbox, stats=self.stats,
                                 compose=self.composer.compose, on_call=on_call,
                                 channels=lambda: self.worker.channels, health=self.worker.health.state)
        self._incidents = incidents

    def collector(self) -> EscalationCollector:
        """The Prometheus collector for the daemon's registry."""
        return EscalationCollector(self.stats, self.outbox.depth,
                                   channels=lambda: self.worker.health.states(self.worker.channels),
                                   oldest_waiting=self.outbox.oldest_waiting, now=self.clock.time)

    def describe_channels(self) -> list[str]:
        """One ``/readyz`` line per channel: a channel down does not make sitewatch unready (it
        cannot mend a provider), but it is the first thing to look at when pages do not arrive."""
        now = self.clock.time()
        lines = []
        for s in self.worker.health.states(self.worker.channels):
            if s.up:
                lines.append(f"[+] channel {s.channel} (informational): up")
            else:
                since = now - (s.down_since if s.down_since is not None else now)
                lines.append(f"[-] channel {s.channel} (informational): down for {since:.0f} s, "
                             f"{s.failures} failure(s) in a row, {self.outbox.waiting(s.channel)} waiting, "
                             f"last error: {s.last_error}")
        return lines

    def set_config(self, config: Config, notifiers: Mapping[str, Notifier] | None = None,
                   signer: AckLinkSigner | None = None) -> None:
        """Adopt a reloaded config (and rebuilt notifiers and ack-link signer, if given). Escalations
        under way keep the policy snapshot they started with; people, contacts and rosters are read fresh."""
        self.config = config
        self.composer.config = config
        if signer is not None:
            self.composer.signer = signer
        self.pipeline.config = config
        self.worker.max_retry_time = config.notifications.max_retry_time
        self.worker.set_channels(notifiers if notifiers is not None else self.worker.notifiers,
                                 {n: c.rate_limit for n, c in config.channels.items()})
        self.stats.known(*_series(config))

    # -- inputs -------------------------------------------------------------------------------

    def on_changes(self, changes: list[IncidentChange]) -> None:
        """IncidentService listener: admit paging incidents, re-derive the escalations they touch
        (acknowledged, withdrawn, resolved), run whatever became due."""
        now = self.clock.time()
        with self.store.transaction():
            touched: dict[int, None] = {}
            admitted = False
            for c in changes:
                touched.update(dict.fromkeys(e.id for e in self.state.of_incident(c.incident.id)))
                e = self.pipeline.admit(c.incident, now)
                if e is not None:
                    touched[e.id] = None
                    admitted = True
            for escalation_id in touched:
                self.pipeline.reevaluate(escalation_id, now)
            # a new member may page at once (no group wait); acknowledgements never start a step,
            # so acknowledging a group incident by incident pages nobody in between
            if admitted:
                self.pipeline.run_due(now)

    def tick(self, now: float | None = None) -> int:
        """Run due timers (group waits, levels, updates, repeats, re-notifications)."""
        now = self.clock.time() if now is None else now
        with self.store.transaction():
            return self.pipeline.run_due(now)

    def audit(self, now: float | None = None) -> int:
        """Repair and catch up (see the module docs); returns how many overdue steps it found."""
        now = self.clock.time() if now is None else now
        with self.store.transaction():
            for incident in self.store.open_incidents():
                self.pipeline.admit(incident, now)
            for e in self.state.unresolved():
                self.pipeline.reevaluate(e.id, now)
            overdue = self.state.due(now - self.audit_grace)
            if overdue:
                self.stats.audit_overdue.inc(len(overdue))
                log.warning("auditor: %d escalation step(s) overdue (%s); running them now", len(overdue),
                            ", ".join(f"{e.key} by {now - (e.next_step_at or now):.0f} s" for e in overdue[:5]))
            self.pipeline.run_due(now)
        return len(overdue)

    def _on_dead(self, entry: OutboxEntry, now: float) -> None:
        self.pipeline.take_over(entry, now)

    def _on_sent_cancelled(self, entry: OutboxEntry, now: float) -> None:
        self.pipeline.delivered_after_stop(entry, now)

    # -- the outbox worker ----------------------------------------------------------------------

    async def run(self) -> None:
        """Send queued notifications until ``stop()``."""
        await self.worker.run()

    async def stop(self) -> None:
        """Let the sends in flight finish, stop the worker, close the notifiers. The engine owns
        the notifiers it is given (and those passed to ``set_config``: replaced ones are closed)."""
        await self.worker.stop()
        await self.worker.close()

    # -- groups and acknowledgements -----------------------------------------------------------

    def group_incidents(self, group_key: str) -> tuple[int, ...]:
        """Every incident of the escalation behind an ack link's group key ("g42"); () if unknown."""
        escalation_id = parse_key(group_key)
        if escalation_id is None:
            return ()
        return tuple(sorted(m.incident_id for m in self.state.members(escalation_id)))

    def acknowledge_group(self, group_key: str, person: str) -> tuple[int, ...]:
        """Acknowledge every still-open incident of the group as ``person`` (through the incident
        service, one command path); returns the ids acknowledged. The escalation stops once the
        last one is in (no step runs between them: see ``on_changes``)."""
        if self._incidents is None:
            raise RuntimeError("acknowledge_group needs the incident service (incidents=...)")
        done: list[int] = []
        for incident_id in self.group_incidents(group_key):
            if self.store.get_incident(incident_id).state is not IncidentState.OPEN:
                continue
            try:
                self._incidents.acknowledge(incident_id, person, f"acknowledged for the whole group {group_key}")
            except InvalidTransition:  # acknowledged or resolved meanwhile
                continue
            done.append(incident_id)
        return tuple(done)

    # -- shift notices --------------------------------------------------------------------------

    def notify_shift(self, person: str, roster: str, start: float, end: float, now: float | None = None) -> bool:
        """Tell ``person`` their shift on ``roster`` starts at ``start`` (through their first usable
        contact). Idempotent per (roster, person, start); returns False if already queued or the
        person cannot be reached."""
        now = self.clock.time() if now is None else now
        spec = self.config.people.get(person)
        plan = contact_plan(spec, self.worker.channels) if spec is not None else ()
        if spec is None or not plan:
            log.warning("shift notice for %s on %s: no usable contact", person, roster)
            return False
        first = min(p.contact for p in plan)
        contact = spec.contacts[first]
        message = self.composer.compose(MessageRequest(kind=MessageKind.SHIFT, person=person, now=now, roster=roster,
                                                       shift_start=start, shift_end=end))
        item = OutboxItem(key=f"shift/{roster}/{person}/{start:.0f}/c{first}", contact=Contact(
            channel=contact.channel, address=contact.address, person=person), message=message, due_at=now,
            contact_index=first)
        return self.outbox.enqueue([item]) == 1

    def prune(self, keep: float = 30 * 86400.0, now: float | None = None) -> int:
        """Forget deliveries finished more than ``keep`` seconds ago (call it daily); the
        escalations' own history stays."""
        now = self.clock.time() if now is None else now
        return self.outbox.prune(now - keep)

    # -- reads (API, tests) ---------------------------------------------------------------------

    def escalation(self, group_key: str) -> Escalation:
        """The escalation behind a key ("g42"); KeyError if unknown."""
        escalation_id = parse_key(group_key)
        if escalation_id is None:
            raise KeyError(group_key)
        return self.state.get(escalation_id)

    def escalations_of(self, incident_id: int) -> list[Escalation]:
        """The unresolved escalations an incident belongs to."""
        return self.state.of_incident(incident_id)

    def incident_history(self, incident_id: int) -> IncidentHistory:
        """Who was paged about an incident, how, and what came of it; ``IncidentNotFound`` if unknown."""
        return incident_history(self.store.get_incident(incident_id), state=self.state, outbox=self.outbox,
                                people=self.config.people, person_of=self.pipeline.person_of)

    def history(self, group_key: str) -> list[EscalationEvent]:
        return self.state.events(self.escalation(group_key).id)

    def deliveries(self, group_key: str) -> list[OutboxEntry]:
        return self.outbox.entries(escalation_id=self.escalation(group_key).id)


def _series(config: Config) -> tuple[list[str], int]:
    """The configured channels and the most levels a policy has: the metrics' label sets."""
    return list(config.channels), max((len(p.levels) for p in config.policies.values()), default=0)
