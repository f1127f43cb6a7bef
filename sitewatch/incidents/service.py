"""Incidents in the running daemon: poll results and traps in, incident changes out.

    PollResult / TrapEvent ──evaluate (pure)──▶ transitions ──lifecycle──▶ store ──▶ IncidentChange
                                                                                      └─▶ listeners (escalation)

The evaluator's per-site state is kept in memory and written to the store **in the same
transaction** as the incident changes it caused, and only when it changed, so after ``kill -9``
the same incidents are open with the same hold timers and flap history. Acknowledgements,
manual resolves and comments come back in through this service too: one command path into
the store.

A manual resolve must never silence a condition for good: the evaluator would hold it open and
never say ``opened`` again. So resolving an incident the last poll still finds is refused
(``StillActive``: acknowledge it or use maintenance instead), and a forced resolve makes the
evaluator forget the incident, so the next poll that still finds the condition opens a new one,
as a manually resolved firing alert comes back in Alertmanager.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping

from sitewatch.config.schema import Config, Site
from sitewatch.core.clock import Clock
from sitewatch.core.conditions import Condition, RuntimeEstimate, Transition, TrapEvent
from sitewatch.core.incident import Incident, IncidentState, TimelineEvent
from sitewatch.core.model import PollResult
from sitewatch.evaluation import SiteContext, SiteEvalState, evaluate, evaluate_trap, site_context
from sitewatch.incidents.errors import StillActive
from sitewatch.incidents.lifecycle import ChangeKind, IncidentChange, IncidentLifecycle, repoll_sites
from sitewatch.incidents.maintenance import MaintenanceWindow
from sitewatch.incidents.metrics import IncidentCounts
from sitewatch.polling.fleet_snapshot import SiteStatus
from sitewatch.store.incidents import IncidentStore

__all__ = ["ChangeListener", "IncidentService"]

log = logging.getLogger(__name__)

ChangeListener = Callable[[list[IncidentChange]], None]


def _log_change(change: IncidentChange) -> None:
    """One line when an incident opens, is held back or released, acknowledged or resolved;
    updates (a new reading, a runtime estimate) are on its timeline, not in the log."""
    if change.kind is ChangeKind.UPDATED:
        return
    i = change.incident
    subject = f" {i.subject}" if i.subject else ""
    log.info("incident #%d %s: %s%s at %s", i.id, change.kind.value, i.condition.value, subject, i.site_id,
             extra={"site": i.site_id, "incident": i.id})


class IncidentService:
    """Owns evaluation state and drives the lifecycle. Not thread-safe: one asyncio loop."""

    def __init__(self, *, store: IncidentStore, config: Config, clock: Clock,
                 repoll: Callable[[str], None] = lambda site_id: None) -> None:
        self.store = store
        self.clock = clock
        self._repoll = repoll
        self._listeners: list[ChangeListener] = []
        self._states: dict[str, SiteEvalState] = {}
        for site_id, blob in store.load_eval_states().items():
            try:
                self._states[site_id] = SiteEvalState.from_json(blob)
            except ValueError as e:  # a state we cannot read is dropped, not fatal: evaluation restarts
                log.warning("dropping unreadable evaluation state of %s: %s", site_id, e, extra={"site": site_id})
        self._forget_resolved(store.open_incidents())
        self._contexts: dict[str, SiteContext] = {}
        self._sites: dict[str, Site] = {}
        self.lifecycle = IncidentLifecycle(store, ())
        self.counts = IncidentCounts()
        self.set_config(config)

    # -- configuration --------------------------------------------------------------------
    def set_config(self, config: Config) -> None:
        """Adopt a (re)loaded configuration: contexts, the site tree, config maintenance windows."""
        self.publish(self.adopt_config(config))

    def adopt_config(self, config: Config) -> list[IncidentChange]:
        """``set_config`` without telling the listeners: the changes it committed (incidents a
        removed window or a changed site tree released) are returned for ``publish``, so a
        daemon swapping its configuration into every service pages them under the new one."""
        now = self.clock.time()
        self._sites = {s.id: s for s in config.sites}
        self._contexts = {s.id: site_context(config, s) for s in config.sites}
        with self.store.transaction():
            changes = self.lifecycle.set_sites(self._sites, now)
            changes += self.lifecycle.sync_config_maintenance(config.maintenance, now)
            self.store.prune_eval_states(self._sites)
        for gone in set(self._states) - set(self._sites):
            del self._states[gone]
        return changes

    def publish(self, changes: list[IncidentChange]) -> None:
        """Tell the listeners of changes already committed (see ``adopt_config``)."""
        self._emit(changes)

    def subscribe(self, listener: ChangeListener) -> None:
        """Call ``listener(changes)`` after every committed batch of incident changes."""
        self._listeners.append(listener)

    # -- inputs ---------------------------------------------------------------------------
    def on_poll(self, status: SiteStatus, result: PollResult) -> None:
        """FleetState listener: evaluate the poll, record what changed."""
        ctx = self._contexts.get(result.site_id)
        if ctx is None:
            return
        before = self._states.get(result.site_id) or SiteEvalState()
        after, transitions = evaluate(before, ctx, result, self.clock.time())
        self._commit(result.site_id, before, after, transitions)

    def on_trap(self, trap: TrapEvent) -> None:
        """A trap opens or updates its incident at once; a confirmation poll follows."""
        ctx = self._contexts.get(trap.site_id)
        if ctx is None:
            return
        before = self._states.get(trap.site_id) or SiteEvalState()
        after, transitions = evaluate_trap(before, ctx, trap, self.clock.time())
        self._commit(trap.site_id, before, after, transitions)
        self._repoll(trap.site_id)

    def tick(self) -> None:
        """Periodic work: maintenance windows that ended release their incidents."""
        with self.store.transaction():
            changes = self.lifecycle.tick(self.clock.time())
        self._emit(changes)

    def _commit(self, site_id: str, before: SiteEvalState, after: SiteEvalState,
                transitions: tuple[Transition, ...]) -> None:
        changed = after.changed_from(before)
        if not transitions and not changed:
            return
        now = self.clock.time()
        with self.store.transaction():
            changes = self.lifecycle.apply(transitions, now) if transitions else []
            if changed:
                self.store.save_eval_state(site_id, after.to_json(), now)
        self._states[site_id] = after  # only after the commit: memory never runs ahead of disk
        for t in transitions:
            self.counts.transition(t.condition, t.kind)
        self._emit(changes)

    def _emit(self, changes: list[IncidentChange]) -> None:
        if not changes:
            return
        for c in changes:
            self.counts.change(c.incident.condition, c.kind)
            _log_change(c)
        for site_id in repoll_sites(changes):
            self._repoll(site_id)
        for listener in self._listeners:
            try:
                listener(changes)
            except Exception:  # one failing consumer must not stop incident recording
                log.exception("incident change listener failed")

    # -- commands (API, CLI, ack links) ----------------------------------------------------
    def acknowledge(self, incident_id: int, actor: str, comment: str | None = None) -> IncidentChange:
        change = self.lifecycle.acknowledge(incident_id, actor, self.clock.time(), comment)
        self._emit([change])
        return change

    def resolve(self, incident_id: int, actor: str, comment: str | None = None, *,
                force: bool = False) -> list[IncidentChange]:
        """Resolve by hand. ``StillActive`` if the last poll still finds the condition, unless
        ``force``: then it is resolved, and opens again at the next poll that still finds it."""
        now = self.clock.time()
        incident = self.store.get_incident(incident_id)
        before = self._states.get(incident.site_id) or SiteEvalState()
        still = _still_active(incident, before, now) if incident.state is not IncidentState.RESOLVED else None
        if still is not None:
            if not force:
                raise StillActive(
                    f"incident #{incident_id} is still active: {still}; acknowledge it or put {incident.site_id} "
                    "in maintenance instead, or resolve with force (CLI --force, API \"force\": true) to close it "
                    "anyway: it opens again at the next poll that still finds it")
            comment = (f"{comment or 'resolved by hand'} (forced while still active: {still}; "
                       "it opens again at the next poll that still finds it)")
        after = before.without_incident((incident.condition, incident.subject))
        with self.store.transaction():
            changes = self.lifecycle.resolve(incident_id, actor, now, comment)
            if after is not before:
                self.store.save_eval_state(incident.site_id, after.to_json(), now)
        if after is not before:
            self._states[incident.site_id] = after
        self._emit(changes)
        return changes

    def _forget_resolved(self, active: Iterable[Incident]) -> None:
        """Forget conditions the evaluator holds open whose incident is resolved (by hand, before
        resolves did this themselves): the next poll that finds them opens a new incident."""
        keys = {(i.site_id, i.condition, i.subject) for i in active}
        for site_id, state in list(self._states.items()):
            for condition, subject in state.open_keys():
                if (site_id, condition, subject) not in keys:
                    state = state.without_incident((condition, subject))
            self._states[site_id] = state

    def comment(self, incident_id: int, actor: str, text: str) -> TimelineEvent:
        return self.lifecycle.comment(incident_id, actor, text, self.clock.time())

    def create_maintenance(self, *, scope: str, target: str, starts_at: float, ends_at: float, reason: str,
                           author: str) -> MaintenanceWindow:
        return self.lifecycle.create_maintenance(scope=scope, target=target, starts_at=starts_at, ends_at=ends_at,
                                                 reason=reason, author=author, now=self.clock.time())

    def delete_maintenance(self, window_id: int, actor: str) -> None:
        self._emit(self.lifecycle.delete_maintenance(window_id, actor=actor, now=self.clock.time()))

    # -- reads ----------------------------------------------------------------------------
    def runtime_estimates(self) -> Mapping[str, RuntimeEstimate]:
        """The latest battery runtime estimate of every site on battery."""
        return {sid: st.runtime for sid, st in self._states.items() if st.runtime is not None}

    def find_incidents(self, *, states: Iterable[IncidentState] | None = None,
                       site_ids: Iterable[str] | None = None, conditions: Iterable[Condition] | None = None,
                       since: float | None = None, limit: int) -> tuple[list[Incident], int]:
        """Incidents matching every filter given, newest first, at most ``limit``; and how many
        match in all (more than shown when ``limit`` cut the list)."""
        site_ids = None if site_ids is None else list(site_ids)
        found = self.store.query_incidents(states=states, site_ids=site_ids, conditions=conditions, since=since,
                                           limit=limit)
        total = self.store.count_incidents(states=states, site_ids=site_ids, conditions=conditions, since=since)
        return found, total

    def open_incidents(self, site_ids: Iterable[str] | None = None) -> list[Incident]:
        """Incidents not yet resolved (open or acknowledged), oldest first; optionally only at these sites."""
        return self.store.open_incidents(site_ids)

    def incident_with_timeline(self, incident_id: int) -> tuple[Incident, list[TimelineEvent]]:
        """One incident and its timeline, read together; ``IncidentNotFound`` if there is none."""
        return self.store.incident_with_timeline(incident_id)

    def maintenance_windows(self, *, include_past: bool = False) -> list[MaintenanceWindow]:
        """Maintenance windows by start time: current and future ones, or every one (ended and
        deleted too) with ``include_past``."""
        if include_past:
            return self.store.windows(include_deleted=True)
        return self.store.windows(ending_after=self.clock.time())

    def site(self, site_id: str) -> Site | None:
        return self._sites.get(site_id)

    def sites(self) -> Iterable[Site]:
        return self._sites.values()


def _still_active(incident: Incident, state: SiteEvalState, now: float) -> str | None:
    """Why the evaluator still holds ``incident``'s condition (open, and found by the last poll
    or trap), in words (how long, not when: no time zone to get wrong); None if it does not."""
    held = state.conditions.get((incident.condition, incident.subject))
    if held is None or not (held.open and held.raw):
        return None
    if incident.condition is Condition.SITE_UNREACHABLE:
        return f"the last {state.failed_polls} polls failed ({state.last_error or 'no answer'})"
    what = incident.condition.value + (f" {incident.subject}" if incident.subject else "")
    minutes = int(max(now - held.since, 0) // 60)
    hours, minutes = divmod(minutes, 60)
    lasted = f"{hours} h {minutes:02d} min" if hours else f"{minutes} min" if minutes else "under a minute"
    return f"{what} for {lasted}, as of the last poll"
