"""The incident lifecycle: transitions and commands in, stored incidents and changes out.

    Transition ──apply──▶ IncidentStore (incidents + timeline) ──▶ IncidentChange (for escalation)

Rules, in the operator's terms:

- **Dedup.** One incident per (site, condition, subject) until it is resolved. An ``opened``
  transition for a key that already has one updates it (a trap and the confirming poll make one
  incident, with both on the timeline).
- **Severity** is ``severity_for(condition, site.criticality)`` at opening.
- **Dependencies.** A site's ``site_unreachable``/``link_down`` incident is ``suppressed_by`` the
  nearest ancestor's open or acknowledged ``site_unreachable``/``link_down`` incident (preferring
  ``site_unreachable``), whichever opened first; it is recorded, on the timeline, and not paged.
  When that ancestor incident resolves the descendants are unsuppressed (or re-pointed to a
  farther ancestor still down), and the change carries ``repoll``: every descendant site, for
  the daemon to poll at once. Power conditions are never suppressed.
- **Maintenance** (see ``maintenance``): an incident opening inside an active window covering its
  site is marked and not paged; when the window ends (``tick``) or is deleted while the incident
  is open, it starts paging.
- **Manual resolve** closes the incident whatever the evaluator thinks (``IncidentService``
  refuses it while the condition is still found, unless forced, and then makes the evaluator
  forget the incident). The evaluator's next ``opened`` or ``updated`` for the key opens a new
  incident (an ``updated`` for a key with no incident is treated as ``opened``); a ``resolved``
  or ``steady`` for a key with no incident is ignored.

Times: an incident's own timestamps come from the transition (``Transition.at``); follow-on
effects (suppressing descendants, releasing maintenance) are stamped ``now``. Every public
method runs in one store transaction (nested inside the caller's, if any), so a poll's incident
changes and the evaluator's state can be committed together.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from sitewatch.config.incident_schema import MaintenanceSpec
from sitewatch.config.schema import Criticality, Site
from sitewatch.core.conditions import REACHABILITY_CONDITIONS, Condition, Transition, TransitionKind, severity_for
from sitewatch.core.incident import EventKind, Incident, IncidentState, TimelineEvent
from sitewatch.incidents.dependencies import SiteTree
from sitewatch.incidents.errors import IncidentError, InvalidMaintenance, InvalidTransition
from sitewatch.incidents.maintenance import (
    MaintenanceScope,
    MaintenanceSource,
    MaintenanceWindow,
    covering_window,
    spec_from_config,
    window_spec,
)
from sitewatch.messages.readings import summary_text
from sitewatch.messages.vocabulary import EN
from sitewatch.store.incidents import IncidentStore

__all__ = ["CONFIG_ACTOR", "ChangeKind", "IncidentChange", "IncidentLifecycle", "repoll_sites"]

#: who deletes a config window that left the configuration
CONFIG_ACTOR = "config"


class ChangeKind(enum.Enum):
    """What happened to an incident, for the escalation stage (which reads ``IncidentChange.pages``)."""

    OPENED = "opened"  #: a new incident (it may open suppressed or in maintenance: see ``pages``)
    UPDATED = "updated"  #: new reading, runtime estimate, trap or flapping mark on a known incident
    RESOLVED = "resolved"
    SUPPRESSED = "suppressed"  #: now held back (an ancestor's incident explains it, or another window)
    UNSUPPRESSED = "unsuppressed"  #: no longer held back: an ancestor recovered or maintenance ended
    ACKNOWLEDGED = "acknowledged"


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentChange:
    kind: ChangeKind
    incident: Incident  #: as it is after the change
    events: tuple[TimelineEvent, ...]  #: the timeline entries recorded for it
    #: sites to poll again at once (descendants of a site whose outage incident resolved)
    repoll: frozenset[str] = frozenset()

    @property
    def pages(self) -> bool:
        """Whether the incident should page now (open, not suppressed, not in maintenance)."""
        return self.incident.pages


def repoll_sites(changes: Iterable[IncidentChange]) -> frozenset[str]:
    """Every site some change asks to poll again at once."""
    return frozenset().union(*(c.repoll for c in changes))


class IncidentLifecycle:
    """Applies transitions and commands to the store. ``sites`` maps site id → ``Site``."""

    def __init__(self, store: IncidentStore, sites: Mapping[str, Site] | Iterable[Site]) -> None:
        self.store = store
        self._tree = SiteTree(sites)

    # -- configuration ----------------------------------------------------------------------

    def set_sites(self, sites: Mapping[str, Site] | Iterable[Site], now: float) -> list[IncidentChange]:
        """Adopt a reloaded site list; re-check the suppression of every open reachability
        incident, since parents may have changed."""
        self._tree = SiteTree(sites)
        with self.store.transaction():
            return [c for i in self.store.open_incidents() if (c := self._reconcile(i, now)) is not None]

    def sync_config_maintenance(self, specs: Iterable[MaintenanceSpec], now: float) -> list[IncidentChange]:
        """Make the stored config windows exactly ``specs``: unchanged ones keep their id (and the
        incidents marked with them), removed ones are deleted, new ones created. A config window
        someone ended by hand (``DELETE /api/v1/maintenance/{id}``: the works are finished) stays
        ended while the config still has it unchanged; a changed one (other times, scope, reason)
        is a new window. Returns the changes of incidents released by removed windows."""
        with self.store.transaction():
            stored = self.store.windows(source=MaintenanceSource.CONFIG, include_deleted=True)
            ended_by_hand = {w.spec for w in stored if w.deleted_at is not None and w.deleted_by != CONFIG_ACTOR}
            wanted = {spec: None for s in specs if (spec := spec_from_config(s)) not in ended_by_hand}
            for w in stored:
                if w.deleted_at is None and wanted.pop(w.spec, False) is False:
                    self.store.delete_window(w.id, by=CONFIG_ACTOR, at=now)
            for spec in wanted:
                self.store.create_window(spec, now)
            return self.tick(now)

    # -- transitions ------------------------------------------------------------------------

    def apply(self, transitions: Iterable[Transition], now: float) -> list[IncidentChange]:
        """Record the evaluator's transitions; return what changed, in order."""
        changes: list[IncidentChange] = []
        with self.store.transaction():
            for t in transitions:
                changes += self._apply_one(t, now)
        return changes

    def _apply_one(self, t: Transition, now: float) -> list[IncidentChange]:
        incident = self.store.active_incident(t.site_id, t.condition, t.subject)
        match t.kind:
            case TransitionKind.OPENED | TransitionKind.UPDATED | TransitionKind.FLAPPING if incident is None:
                return self._open(t, now)
            case TransitionKind.OPENED | TransitionKind.UPDATED if incident is not None:
                kind = EventKind.TRAP if t.source.startswith("trap:") else EventKind.UPDATED
                prefix = "asserted again: " if t.kind is TransitionKind.OPENED else ""
                flapping = incident.flapping or t.flapping
                return [self._update(incident, t, kind, prefix + _describe(t), flapping=flapping)]
            case TransitionKind.FLAPPING if incident is not None and not incident.flapping:
                return [self._update(incident, t, EventKind.FLAPPING, f"flapping: {_describe(t)}", flapping=True)]
            case TransitionKind.STEADY if incident is not None and incident.flapping:
                return [self._update(incident, t, EventKind.STEADY, f"steady again: {_describe(t)}", flapping=False)]
            case TransitionKind.RESOLVED if incident is not None:
                return self._resolve(incident, at=t.at, actor="sitewatch", text=_describe(t), now=now)
        return []  # resolved/steady for a key with no incident, or flapping already marked

    def _open(self, t: Transition, now: float) -> list[IncidentChange]:
        site = self._tree.site(t.site_id)
        criticality = site.criticality if site is not None else Criticality.NORMAL
        suppressor = self._suppressor(t.site_id, t.condition)
        window = (covering_window(self.store.windows(ending_after=t.at), site, t.at)
                  if site is not None else None)
        incident = self.store.create_incident(
            site_id=t.site_id, condition=t.condition, subject=t.subject,
            severity=severity_for(t.condition, criticality), at=t.at, summary=t.summary,
            flapping=t.flapping or t.kind is TransitionKind.FLAPPING, runtime=t.runtime,
            suppressed_by=None if suppressor is None else suppressor.id,
            maintenance_id=None if window is None else window.id)
        events = [self.store.add_event(incident.id, at=t.at, kind=EventKind.OPENED, text=_describe(t))]
        if incident.flapping:
            events.append(self.store.add_event(incident.id, at=t.at, kind=EventKind.FLAPPING, text="flapping"))
        if suppressor is not None:
            events.append(self.store.add_event(incident.id, at=t.at, kind=EventKind.SUPPRESSED,
                                               text=_explained_by(suppressor)))
        if window is not None:
            events.append(self.store.add_event(incident.id, at=t.at, kind=EventKind.MAINTENANCE,
                                               text=f"opened in {window.describe()}; not paged"))
        changes = [IncidentChange(kind=ChangeKind.OPENED, incident=incident, events=tuple(events))]
        if t.condition in REACHABILITY_CONDITIONS:
            below = self._tree.descendants(t.site_id)
            changes += [c for i in self.store.open_incidents(below) if (c := self._reconcile(i, now)) is not None]
        return changes

    def _update(self, incident: Incident, t: Transition, kind: EventKind, text: str, *,
                flapping: bool) -> IncidentChange:
        updated = replace(incident, updated_at=t.at, summary=t.summary or incident.summary,
                          runtime=t.runtime or incident.runtime, flapping=flapping)
        self.store.save_incident(updated)
        event = self.store.add_event(incident.id, at=t.at, kind=kind, text=text)
        return IncidentChange(kind=ChangeKind.UPDATED, incident=updated, events=(event,))

    def _resolve(self, incident: Incident, *, at: float, actor: str, text: str, now: float) -> list[IncidentChange]:
        resolved = replace(incident, state=IncidentState.RESOLVED, resolved_at=at, resolved_by=actor, updated_at=at)
        self.store.save_incident(resolved)
        event = self.store.add_event(incident.id, at=at, kind=EventKind.RESOLVED, actor=actor, text=text)
        repoll = (self._tree.descendants(incident.site_id) if incident.condition in REACHABILITY_CONDITIONS
                  else frozenset())
        changes = [IncidentChange(kind=ChangeKind.RESOLVED, incident=resolved, events=(event,), repoll=repoll)]
        changes += [c for i in self.store.suppressed_by(incident.id) if (c := self._reconcile(i, now)) is not None]
        return changes

    # -- dependencies -----------------------------------------------------------------------

    def _suppressor(self, site_id: str, condition: Condition) -> Incident | None:
        """The nearest ancestor's active reachability incident (site_unreachable first)."""
        if condition not in REACHABILITY_CONDITIONS:
            return None
        ancestors = self._tree.ancestors(site_id)
        if not ancestors:
            return None
        candidates = [i for i in self.store.open_incidents(ancestors) if i.condition in REACHABILITY_CONDITIONS]
        for ancestor in ancestors:
            here = [i for i in candidates if i.site_id == ancestor]
            if here:
                return min(here, key=lambda i: (i.condition is not Condition.SITE_UNREACHABLE, i.id))
        return None

    def _reconcile(self, incident: Incident, now: float) -> IncidentChange | None:
        """Point ``suppressed_by`` where the dependencies say; record and return any change."""
        want = self._suppressor(incident.site_id, incident.condition)
        want_id = None if want is None else want.id
        if want_id == incident.suppressed_by:
            return None
        updated = replace(incident, suppressed_by=want_id, updated_at=now)
        self.store.save_incident(updated)
        if want is None:
            old = self.store.get_incident(incident.suppressed_by) if incident.suppressed_by is not None else None
            why = ("is resolved" if old is not None and old.state is IncidentState.RESOLVED
                   else "no longer explains it (site tree changed)")
            text = f"unsuppressed: incident #{incident.suppressed_by}{_at(old)} {why}"
            event = self.store.add_event(incident.id, at=now, kind=EventKind.UNSUPPRESSED, text=text)
            return IncidentChange(kind=ChangeKind.UNSUPPRESSED, incident=updated, events=(event,))
        event = self.store.add_event(incident.id, at=now, kind=EventKind.SUPPRESSED, text=_explained_by(want))
        return IncidentChange(kind=ChangeKind.SUPPRESSED, incident=updated, events=(event,))

    # -- maintenance ------------------------------------------------------------------------

    def tick(self, now: float) -> list[IncidentChange]:
        """Release incidents whose maintenance window has ended or was deleted: they move to
        another active window covering the site, or start paging. Call periodically."""
        changes: list[IncidentChange] = []
        with self.store.transaction():
            live = self.store.windows(ending_after=now)
            for incident in self.store.in_maintenance():
                assert incident.maintenance_id is not None
                old = self.store.get_window(incident.maintenance_id)
                if old.active(now):
                    continue
                site = self._tree.site(incident.site_id)
                nxt = covering_window(live, site, now) if site is not None else None
                ended = f"{old.describe()} was deleted by {old.deleted_by}" if old.deleted_at is not None and \
                    old.deleted_at <= now else f"{old.describe()} ended"
                updated = replace(incident, maintenance_id=None if nxt is None else nxt.id, updated_at=now)
                self.store.save_incident(updated)
                text = f"{ended}; now in {nxt.describe()}" if nxt is not None else f"{ended}; paging"
                event = self.store.add_event(incident.id, at=now, kind=EventKind.MAINTENANCE, text=text)
                kind = ChangeKind.SUPPRESSED if nxt is not None else ChangeKind.UNSUPPRESSED
                changes.append(IncidentChange(kind=kind, incident=updated, events=(event,)))
        return changes

    def create_maintenance(self, *, scope: MaintenanceScope | str, target: str, starts_at: float, ends_at: float,
                           reason: str, author: str, now: float) -> MaintenanceWindow:
        """A window from the API. Author and reason are required, and it must cover a configured site."""
        spec = window_spec(scope=scope, target=target, starts_at=starts_at, ends_at=ends_at, reason=reason,
                           author=author, source=MaintenanceSource.API)
        if not any(spec.covers(s) for s in self._tree.sites()):
            raise InvalidMaintenance(f"{spec.scope.value} {spec.target!r} matches no configured site")
        return self.store.create_window(spec, now)

    def delete_maintenance(self, window_id: int, *, actor: str, now: float) -> list[IncidentChange]:
        """Delete a window (``MaintenanceNotFound`` if unknown or already deleted); its open
        incidents start paging at once unless another window covers them."""
        with self.store.transaction():
            self.store.delete_window(window_id, by=actor, at=now)
            return self.tick(now)

    # -- commands ---------------------------------------------------------------------------

    def acknowledge(self, incident_id: int, actor: str, now: float, comment: str | None = None) -> IncidentChange:
        """Someone has taken it: escalation stops. ``InvalidTransition`` if resolved or already acknowledged."""
        with self.store.transaction():
            incident = self.store.get_incident(incident_id)
            if incident.state is IncidentState.RESOLVED:
                raise InvalidTransition(f"incident #{incident_id} is already resolved{_by(incident.resolved_by)}; "
                                        "nothing to acknowledge")
            if incident.state is IncidentState.ACKNOWLEDGED:
                raise InvalidTransition(f"incident #{incident_id} was already acknowledged"
                                        f"{_by(incident.acknowledged_by)}")
            acked = replace(incident, state=IncidentState.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=actor,
                            updated_at=now)
            self.store.save_incident(acked)
            event = self.store.add_event(incident_id, at=now, kind=EventKind.ACKNOWLEDGED, actor=actor,
                                         text=comment or "")
            return IncidentChange(kind=ChangeKind.ACKNOWLEDGED, incident=acked, events=(event,))

    def resolve(self, incident_id: int, actor: str, now: float, comment: str | None = None) -> list[IncidentChange]:
        """Resolve by hand; the first change is this incident's, then any descendants unsuppressed.
        ``InvalidTransition`` if already resolved."""
        with self.store.transaction():
            incident = self.store.get_incident(incident_id)
            if incident.state is IncidentState.RESOLVED:
                raise InvalidTransition(f"incident #{incident_id} is already resolved{_by(incident.resolved_by)}")
            return self._resolve(incident, at=now, actor=actor, text=comment or "resolved by hand", now=now)

    def comment(self, incident_id: int, actor: str, text: str, now: float) -> TimelineEvent:
        """Add a comment (resolved incidents too: notes after the fact are welcome)."""
        if not text.strip():
            raise IncidentError("a comment needs some text")
        with self.store.transaction():
            incident = self.store.get_incident(incident_id)
            self.store.save_incident(replace(incident, updated_at=max(incident.updated_at, now)))
            return self.store.add_event(incident_id, at=now, kind=EventKind.COMMENT, actor=actor, text=text.strip())


def _describe(t: Transition) -> str:
    text = summary_text(t.summary, EN) or t.condition.value
    if t.runtime is not None:
        text += f"; battery runtime ~{t.runtime.seconds / 60:.0f} min ({t.runtime.method})"
    return f"{text} (source: {t.source})"


def _explained_by(cause: Incident) -> str:
    return f"suppressed: explained by incident #{cause.id} ({cause.condition.value} at {cause.site_id}); not paged"


def _at(incident: Incident | None) -> str:
    return "" if incident is None else f" ({incident.condition.value} at {incident.site_id})"


def _by(actor: str | None) -> str:
    return f" by {actor}" if actor else ""
