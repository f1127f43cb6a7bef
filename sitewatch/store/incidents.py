"""The incidents' repository: incidents, their timelines, the evaluator's per-site state and
maintenance windows, so that after ``kill -9`` and a restart the same incidents are open with
the same timers. The database and its transactions are ``database``'s; the tables are ``schema``'s.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from sitewatch.core.conditions import Condition, RuntimeEstimate, Severity, Summary
from sitewatch.core.incident import EventKind, Incident, IncidentState, TimelineEvent
from sitewatch.incidents.errors import IncidentNotFound, MaintenanceNotFound
from sitewatch.incidents.maintenance import MaintenanceScope, MaintenanceSource, MaintenanceWindow, WindowSpec
from sitewatch.store.database import Repository, Row

__all__ = ["IncidentStore"]

_NO_SUMMARY = Summary()

_INCIDENT_COLUMNS = ("id, site_id, condition, subject, severity, state, opened_at, updated_at, acknowledged_at, "
                     "acknowledged_by, resolved_at, resolved_by, flapping, suppressed_by, maintenance_id, summary, "
                     "runtime_seconds, runtime_method, runtime_at")
_WINDOW_COLUMNS = "id, scope, target, starts_at, ends_at, reason, author, source, created_at, deleted_at, deleted_by"
_ACTIVE = "state <> 'resolved'"


class IncidentStore(Repository):
    """Incidents, timelines, evaluation state and maintenance windows, on the shared database."""

    # -- incidents --------------------------------------------------------------------------

    def create_incident(self, *, site_id: str, condition: Condition, subject: str = "", severity: Severity,
                        at: float, summary: Summary = _NO_SUMMARY, flapping: bool = False,
                        runtime: RuntimeEstimate | None = None,
                        suppressed_by: int | None = None, maintenance_id: int | None = None) -> Incident:
        """Insert a new open incident. Raises ``sqlite3.IntegrityError`` if one is already active
        for the key (the partial unique index): callers look up ``active_incident`` first."""
        incident = Incident(id=0, site_id=site_id, condition=condition, subject=subject, severity=severity,
                            state=IncidentState.OPEN, opened_at=at, updated_at=at, flapping=flapping,
                            suppressed_by=suppressed_by, maintenance_id=maintenance_id, summary=summary,
                            runtime=runtime)
        values = _incident_values(incident)[1:]
        incident_id = self.db.insert(f"INSERT INTO incidents ({_INCIDENT_COLUMNS.removeprefix('id, ')}) "
                                     f"VALUES ({', '.join('?' * len(values))})", values)
        return replace(incident, id=incident_id)

    def save_incident(self, incident: Incident) -> None:
        """Write back every field of an existing incident."""
        values = _incident_values(incident)
        columns = _INCIDENT_COLUMNS.split(", ")[1:]
        if self.db.execute(f"UPDATE incidents SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?",
                           (*values[1:], values[0])) != 1:
            raise IncidentNotFound(incident.id)

    def add_event(self, incident_id: int, *, at: float, kind: EventKind, actor: str = "sitewatch",
                  text: str = "") -> TimelineEvent:
        self.db.execute("INSERT INTO timeline (incident_id, at, kind, actor, text) VALUES (?, ?, ?, ?, ?)",
                        (incident_id, at, kind.value, actor, text))
        return TimelineEvent(incident_id=incident_id, at=at, kind=kind, actor=actor, text=text)

    def get_incident(self, incident_id: int) -> Incident:
        rows = self.db.rows(f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE id = ?", (incident_id,))
        if not rows:
            raise IncidentNotFound(incident_id)
        return _incident(rows[0])

    def timeline(self, incident_id: int) -> list[TimelineEvent]:
        """The incident's events in the order they were recorded."""
        return [TimelineEvent(incident_id=r["incident_id"], at=r["at"], kind=EventKind(r["kind"]), actor=r["actor"],
                              text=r["text"])
                for r in self.db.rows("SELECT incident_id, at, kind, actor, text FROM timeline "
                                      "WHERE incident_id = ? ORDER BY id", (incident_id,))]

    def incident_with_timeline(self, incident_id: int) -> tuple[Incident, list[TimelineEvent]]:
        with self.transaction():
            return self.get_incident(incident_id), self.timeline(incident_id)

    def active_incident(self, site_id: str, condition: Condition, subject: str = "") -> Incident | None:
        """The not-yet-resolved incident for the dedup key, if any."""
        rows = self.db.rows(f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE site_id = ? AND condition = ? "
                            f"AND subject = ? AND {_ACTIVE}", (site_id, condition.value, subject))
        return _incident(rows[0]) if rows else None

    def open_incidents(self, site_ids: Iterable[str] | None = None) -> list[Incident]:
        """Incidents not yet resolved (state open or acknowledged), oldest first; optionally only
        at these sites."""
        where, params = _site_filter(site_ids)
        return [_incident(r) for r in self.db.rows(
            f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE {_ACTIVE}{where} ORDER BY opened_at, id", params)]

    def query_incidents(self, *, states: Iterable[IncidentState] | None = None,
                        site_ids: Iterable[str] | None = None, conditions: Iterable[Condition] | None = None,
                        since: float | None = None, limit: int | None = None) -> list[Incident]:
        """Incidents matching every filter given, newest first.

        ``site_ids`` is how the API filters by province or district (it knows the sites);
        ``since`` keeps incidents that were active at any moment from ``since`` on (opened after
        it, or still open, or resolved after it).
        """
        where, params = _incident_filter(states, site_ids, conditions, since)
        sql = f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE {where} ORDER BY opened_at DESC, id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_incident(r) for r in self.db.rows(sql, params)]

    def count_incidents(self, *, states: Iterable[IncidentState] | None = None,
                        site_ids: Iterable[str] | None = None, conditions: Iterable[Condition] | None = None,
                        since: float | None = None) -> int:
        """How many incidents ``query_incidents`` would give without a limit."""
        where, params = _incident_filter(states, site_ids, conditions, since)
        return int(self.db.rows(f"SELECT count(*) FROM incidents WHERE {where}", params)[0][0])

    def suppressed_by(self, incident_id: int) -> list[Incident]:
        """Active incidents whose suppression this incident explains."""
        return [_incident(r) for r in self.db.rows(
            f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE suppressed_by = ? AND {_ACTIVE} ORDER BY id",
            (incident_id,))]

    def in_maintenance(self) -> list[Incident]:
        """Active incidents marked with a maintenance window."""
        return [_incident(r) for r in self.db.rows(
            f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE maintenance_id IS NOT NULL AND {_ACTIVE} ORDER BY id")]

    # -- evaluation state -------------------------------------------------------------------

    def save_eval_state(self, site_id: str, state: str, at: float) -> None:
        """Store the evaluator's state of one site (opaque JSON text)."""
        self.db.execute("INSERT INTO eval_state (site_id, state, updated_at) VALUES (?, ?, ?) "
                        "ON CONFLICT (site_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                        (site_id, state, at))

    def load_eval_states(self) -> dict[str, str]:
        """Every site's stored evaluator state, for the daemon's start."""
        return {r["site_id"]: r["state"] for r in self.db.rows("SELECT site_id, state FROM eval_state")}

    def prune_eval_states(self, keep: Iterable[str]) -> int:
        """Forget the state of sites no longer configured; return how many were removed."""
        return self.db.execute("DELETE FROM eval_state WHERE site_id NOT IN (SELECT value FROM json_each(?))",
                               (json.dumps(list(keep)),))

    # -- maintenance windows ----------------------------------------------------------------

    def create_window(self, spec: WindowSpec, at: float) -> MaintenanceWindow:
        return self.get_window(self.db.insert(
            "INSERT INTO maintenance_windows (scope, target, starts_at, ends_at, reason, author, source, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (spec.scope.value, spec.target, spec.starts_at, spec.ends_at, spec.reason, spec.author,
             spec.source.value, at)))

    def get_window(self, window_id: int) -> MaintenanceWindow:
        """The window, deleted or not; ``MaintenanceNotFound`` if it never existed."""
        rows = self.db.rows(f"SELECT {_WINDOW_COLUMNS} FROM maintenance_windows WHERE id = ?", (window_id,))
        if not rows:
            raise MaintenanceNotFound(window_id)
        return _window(rows[0])

    def windows(self, *, include_deleted: bool = False, source: MaintenanceSource | None = None,
                ending_after: float | None = None) -> list[MaintenanceWindow]:
        """Windows by start time; ``ending_after`` drops the ones already over at that time."""
        clauses = ["1"]
        params: list[Any] = []
        if not include_deleted:
            clauses.append("deleted_at IS NULL")
        if source is not None:
            clauses.append("source = ?")
            params.append(source.value)
        if ending_after is not None:
            clauses.append("ends_at > ?")
            params.append(ending_after)
        return [_window(r) for r in self.db.rows(
            f"SELECT {_WINDOW_COLUMNS} FROM maintenance_windows WHERE {' AND '.join(clauses)} "
            "ORDER BY starts_at, id", params)]

    def delete_window(self, window_id: int, *, by: str, at: float) -> MaintenanceWindow:
        """Soft-delete; ``MaintenanceNotFound`` if unknown or already deleted."""
        if self.db.execute("UPDATE maintenance_windows SET deleted_at = ?, deleted_by = ? "
                           "WHERE id = ? AND deleted_at IS NULL", (at, by, window_id)) != 1:
            raise MaintenanceNotFound(window_id)
        return self.get_window(window_id)


def _incident_filter(states: Iterable[IncidentState] | None, site_ids: Iterable[str] | None,
                     conditions: Iterable[Condition] | None, since: float | None) -> tuple[str, list[Any]]:
    clauses: list[str] = ["1"]
    params: list[Any] = []
    if states is not None:
        clauses.append("state IN (SELECT value FROM json_each(?))")
        params.append(json.dumps([s.value for s in states]))
    if conditions is not None:
        clauses.append("condition IN (SELECT value FROM json_each(?))")
        params.append(json.dumps([c.value for c in conditions]))
    if since is not None:
        clauses.append("(resolved_at IS NULL OR resolved_at >= ?)")
        params.append(since)
    where, site_params = _site_filter(site_ids)
    return " AND ".join(clauses) + where, [*params, *site_params]


def _site_filter(site_ids: Iterable[str] | None) -> tuple[str, list[Any]]:
    if site_ids is None:
        return "", []
    return " AND site_id IN (SELECT value FROM json_each(?))", [json.dumps(list(site_ids))]


def _incident_values(i: Incident) -> tuple[Any, ...]:
    rt = i.runtime
    return (i.id, i.site_id, i.condition.value, i.subject, int(i.severity), i.state.value, i.opened_at, i.updated_at,
            i.acknowledged_at, i.acknowledged_by, i.resolved_at, i.resolved_by, int(i.flapping), i.suppressed_by,
            i.maintenance_id, i.summary.to_stored(), None if rt is None else rt.seconds,
            None if rt is None else rt.method,
            None if rt is None else rt.at)


def _incident(r: Row) -> Incident:
    runtime = (None if r["runtime_seconds"] is None else
               RuntimeEstimate(seconds=r["runtime_seconds"], method=r["runtime_method"], at=r["runtime_at"]))
    return Incident(id=r["id"], site_id=r["site_id"], condition=Condition(r["condition"]), subject=r["subject"],
                    severity=Severity(r["severity"]), state=IncidentState(r["state"]), opened_at=r["opened_at"],
                    updated_at=r["updated_at"], acknowledged_at=r["acknowledged_at"],
                    acknowledged_by=r["acknowledged_by"], resolved_at=r["resolved_at"], resolved_by=r["resolved_by"],
                    flapping=bool(r["flapping"]), suppressed_by=r["suppressed_by"],
                    maintenance_id=r["maintenance_id"], summary=Summary.from_stored(r["summary"]), runtime=runtime)


def _window(r: Row) -> MaintenanceWindow:
    return MaintenanceWindow(id=r["id"], scope=MaintenanceScope(r["scope"]), target=r["target"],
                             starts_at=r["starts_at"], ends_at=r["ends_at"], reason=r["reason"], author=r["author"],
                             source=MaintenanceSource(r["source"]), created_at=r["created_at"],
                             deleted_at=r["deleted_at"], deleted_by=r["deleted_by"])
