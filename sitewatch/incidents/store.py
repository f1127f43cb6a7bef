"""The durable incident store: one SQLite file in the state directory.

Incidents, their timelines, the evaluator's per-site state and maintenance windows live here,
so that after ``kill -9`` and a restart the same incidents are open with the same timers.

Durability. The database runs in WAL mode with ``synchronous=NORMAL`` by default: a commit is
appended to the WAL file without an fsync, so it survives the *process* being killed (the bytes
are in the OS page cache and reach the disk anyway); only an OS crash or power cut can lose the
last commits before a checkpoint, and even then the database stays consistent (never corrupt,
never half a transaction). ``FULL`` adds an fsync per commit, which on ordinary disks costs
milliseconds per poll result on the daemon's event loop (measured on the development machine:
a transition plus its evaluation state commits in ~80 µs with NORMAL, ~4 ms with FULL).
Because the daemon writes a poll's incident changes and the evaluator's new state in one
transaction, losing the last commits in a power cut rolls both back together and the evaluator
simply re-derives them. Operators who would rather pay the fsync can pass ``synchronous="FULL"``.

Threads. One connection, used from the daemon's event loop; every call is short (a transition
write is tens of microseconds; keep ``transaction()`` blocks free of ``await``). A re-entrant
lock makes it safe if a caller (e.g. a sync HTTP handler in a thread pool) reaches it from
another thread: each call or ``transaction()`` block runs alone.

Transactions. ``with store.transaction():`` groups writes atomically; nested blocks become
savepoints, so a failed inner command is undone without losing the outer work. Every write
method opens its own (nested) transaction, so called alone it is atomic too.

Privacy. The file (and its ``-wal`` and ``-shm``) is 0600 and a directory it creates 0700: it
holds contacts and the outbox (see ``sitewatch.privatefiles``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from sitewatch.config.schema import Config
from sitewatch.incidents.errors import IncidentNotFound, MaintenanceNotFound, StoreError
from sitewatch.incidents.maintenance import MaintenanceScope, MaintenanceSource, MaintenanceWindow, WindowSpec
from sitewatch.incidents.migrations import migrate
from sitewatch.incidents.model import (
    Condition,
    EventKind,
    Incident,
    IncidentState,
    RuntimeEstimate,
    Severity,
    Summary,
    TimelineEvent,
)
from sitewatch.privatefiles import private_dir, private_file

__all__ = ["DATABASE_NAME", "IncidentStore", "database_path"]

DATABASE_NAME = "incidents.sqlite3"
_NO_SUMMARY = Summary()

_INCIDENT_COLUMNS = ("id, site_id, condition, subject, severity, state, opened_at, updated_at, acknowledged_at, "
                     "acknowledged_by, resolved_at, resolved_by, flapping, suppressed_by, maintenance_id, summary, "
                     "runtime_seconds, runtime_method, runtime_at")
_WINDOW_COLUMNS = "id, scope, target, starts_at, ends_at, reason, author, source, created_at, deleted_at, deleted_by"
_ACTIVE = "state <> 'resolved'"


def database_path(config: Config) -> Path:
    """``incidents.database`` (relative to ``daemon.state_dir`` unless absolute), default
    ``<state_dir>/incidents.sqlite3``."""
    state_dir = Path(config.daemon.state_dir)
    return state_dir / (config.incidents.database or DATABASE_NAME)


class IncidentStore:
    """The incident database. Open it once per process; ``close()`` at shutdown."""

    def __init__(self, path: str | os.PathLike[str], *, synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
                 busy_timeout: float = 5.0) -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be NORMAL or FULL, not {synchronous!r}")
        self.path = Path(path)
        if not self.path.parent.exists():
            private_dir(self.path.parent)
        private_file(self.path)  # SQLite gives its -wal and -shm files the database's mode
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=busy_timeout)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open: {exc}") from exc
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"{self.path}: cannot use WAL journal mode (got {mode})")
            conn.execute(f"PRAGMA synchronous={synchronous}")
            conn.execute("PRAGMA foreign_keys=ON")
            self.schema_version = migrate(conn, str(self.path))
            for companion in ("-wal", "-shm"):  # made by an older sitewatch: tightened (and said)
                private_file(self.path.with_name(self.path.name + companion), create=False)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{self.path}: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        self._lock = threading.RLock()
        self._depth = 0

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def connection(self) -> sqlite3.Connection:
        """The one connection, for other durable parts sharing this file and its transactions
        (escalation state, the outbox). Use it inside ``transaction()``."""
        return self._conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def checkpoint(self) -> tuple[int, int]:
        """Copy the WAL into the database file on a connection of its own, without blocking
        writers (``PASSIVE``); returns (WAL pages, pages copied). SQLite checkpoints by itself
        every 1000 pages inside a commit, and with ``synchronous=NORMAL`` that commit then
        waits for an fsync (milliseconds); the daemon keeps that off its event loop by calling
        this every minute or so from a thread (``asyncio.to_thread(store.checkpoint)``)."""
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=5.0)
        try:
            _, wal_pages, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            return int(wal_pages), int(copied)
        finally:
            conn.close()

    def __enter__(self) -> IncidentStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Atomic block; nested blocks are savepoints. Rolls back on any exception."""
        with self._lock:
            depth = self._depth
            self._conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT sw{depth}")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth = depth
                if depth == 0:
                    self._conn.execute("ROLLBACK")
                else:
                    self._conn.execute(f"ROLLBACK TO sw{depth}")
                    self._conn.execute(f"RELEASE sw{depth}")
                raise
            self._depth = depth
            try:
                self._conn.execute("COMMIT" if depth == 0 else f"RELEASE sw{depth}")
            except BaseException:
                if depth == 0 and self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            cur = self._conn.execute(sql, tuple(params))
            cur.row_factory = sqlite3.Row
            return list(cur.fetchall())

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
        with self.transaction():
            cur = self._conn.execute(
                f"INSERT INTO incidents ({_INCIDENT_COLUMNS.removeprefix('id, ')}) "
                f"VALUES ({', '.join('?' * len(values))})", values)
        assert cur.lastrowid is not None
        return replace(incident, id=cur.lastrowid)

    def save_incident(self, incident: Incident) -> None:
        """Write back every field of an existing incident."""
        values = _incident_values(incident)
        columns = _INCIDENT_COLUMNS.split(", ")[1:]
        with self.transaction():
            cur = self._conn.execute(
                f"UPDATE incidents SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?",
                (*values[1:], values[0]))
            if cur.rowcount != 1:
                raise IncidentNotFound(incident.id)

    def add_event(self, incident_id: int, *, at: float, kind: EventKind, actor: str = "sitewatch",
                  text: str = "") -> TimelineEvent:
        with self.transaction():
            self._conn.execute("INSERT INTO timeline (incident_id, at, kind, actor, text) VALUES (?, ?, ?, ?, ?)",
                               (incident_id, at, kind.value, actor, text))
        return TimelineEvent(incident_id=incident_id, at=at, kind=kind, actor=actor, text=text)

    def get_incident(self, incident_id: int) -> Incident:
        rows = self._rows(f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE id = ?", (incident_id,))
        if not rows:
            raise IncidentNotFound(incident_id)
        return _incident(rows[0])

    def timeline(self, incident_id: int) -> list[TimelineEvent]:
        """The incident's events in the order they were recorded."""
        return [TimelineEvent(incident_id=r["incident_id"], at=r["at"], kind=EventKind(r["kind"]), actor=r["actor"],
                              text=r["text"])
                for r in self._rows("SELECT incident_id, at, kind, actor, text FROM timeline "
                                    "WHERE incident_id = ? ORDER BY id", (incident_id,))]

    def incident_with_timeline(self, incident_id: int) -> tuple[Incident, list[TimelineEvent]]:
        with self._lock:
            return self.get_incident(incident_id), self.timeline(incident_id)

    def active_incident(self, site_id: str, condition: Condition, subject: str = "") -> Incident | None:
        """The not-yet-resolved incident for the dedup key, if any."""
        rows = self._rows(f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE site_id = ? AND condition = ? "
                          f"AND subject = ? AND {_ACTIVE}", (site_id, condition.value, subject))
        return _incident(rows[0]) if rows else None

    def open_incidents(self, site_ids: Iterable[str] | None = None) -> list[Incident]:
        """Incidents not yet resolved (state open or acknowledged), oldest first; optionally only
        at these sites."""
        where, params = _site_filter(site_ids)
        return [_incident(r) for r in self._rows(
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
        return [_incident(r) for r in self._rows(sql, params)]

    def count_incidents(self, *, states: Iterable[IncidentState] | None = None,
                        site_ids: Iterable[str] | None = None, conditions: Iterable[Condition] | None = None,
                        since: float | None = None) -> int:
        """How many incidents ``query_incidents`` would give without a limit."""
        where, params = _incident_filter(states, site_ids, conditions, since)
        return int(self._rows(f"SELECT count(*) FROM incidents WHERE {where}", params)[0][0])

    def suppressed_by(self, incident_id: int) -> list[Incident]:
        """Active incidents whose suppression this incident explains."""
        return [_incident(r) for r in self._rows(
            f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE suppressed_by = ? AND {_ACTIVE} ORDER BY id",
            (incident_id,))]

    def in_maintenance(self) -> list[Incident]:
        """Active incidents marked with a maintenance window."""
        return [_incident(r) for r in self._rows(
            f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE maintenance_id IS NOT NULL AND {_ACTIVE} ORDER BY id")]

    # -- evaluation state -------------------------------------------------------------------

    def save_eval_state(self, site_id: str, state: str, at: float) -> None:
        """Store the evaluator's state of one site (opaque JSON text)."""
        with self.transaction():
            self._conn.execute(
                "INSERT INTO eval_state (site_id, state, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (site_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                (site_id, state, at))

    def load_eval_states(self) -> dict[str, str]:
        """Every site's stored evaluator state, for the daemon's start."""
        return {r["site_id"]: r["state"] for r in self._rows("SELECT site_id, state FROM eval_state")}

    def prune_eval_states(self, keep: Iterable[str]) -> int:
        """Forget the state of sites no longer configured; return how many were removed."""
        with self.transaction():
            cur = self._conn.execute("DELETE FROM eval_state WHERE site_id NOT IN (SELECT value FROM json_each(?))",
                                     (json.dumps(list(keep)),))
        return cur.rowcount

    # -- maintenance windows ----------------------------------------------------------------

    def create_window(self, spec: WindowSpec, at: float) -> MaintenanceWindow:
        with self.transaction():
            cur = self._conn.execute(
                "INSERT INTO maintenance_windows (scope, target, starts_at, ends_at, reason, author, source, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (spec.scope.value, spec.target, spec.starts_at, spec.ends_at, spec.reason, spec.author,
                 spec.source.value, at))
        assert cur.lastrowid is not None
        return self.get_window(cur.lastrowid)

    def get_window(self, window_id: int) -> MaintenanceWindow:
        """The window, deleted or not; ``MaintenanceNotFound`` if it never existed."""
        rows = self._rows(f"SELECT {_WINDOW_COLUMNS} FROM maintenance_windows WHERE id = ?", (window_id,))
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
        return [_window(r) for r in self._rows(
            f"SELECT {_WINDOW_COLUMNS} FROM maintenance_windows WHERE {' AND '.join(clauses)} "
            "ORDER BY starts_at, id", params)]

    def delete_window(self, window_id: int, *, by: str, at: float) -> MaintenanceWindow:
        """Soft-delete; ``MaintenanceNotFound`` if unknown or already deleted."""
        with self.transaction():
            cur = self._conn.execute("UPDATE maintenance_windows SET deleted_at = ?, deleted_by = ? "
                                     "WHERE id = ? AND deleted_at IS NULL", (at, by, window_id))
            if cur.rowcount != 1:
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


def _incident(r: sqlite3.Row) -> Incident:
    runtime = (None if r["runtime_seconds"] is None else
               RuntimeEstimate(seconds=r["runtime_seconds"], method=r["runtime_method"], at=r["runtime_at"]))
    return Incident(id=r["id"], site_id=r["site_id"], condition=Condition(r["condition"]), subject=r["subject"],
                    severity=Severity(r["severity"]), state=IncidentState(r["state"]), opened_at=r["opened_at"],
                    updated_at=r["updated_at"], acknowledged_at=r["acknowledged_at"],
                    acknowledged_by=r["acknowledged_by"], resolved_at=r["resolved_at"], resolved_by=r["resolved_by"],
                    flapping=bool(r["flapping"]), suppressed_by=r["suppressed_by"],
                    maintenance_id=r["maintenance_id"], summary=Summary.from_stored(r["summary"]), runtime=runtime)


def _window(r: sqlite3.Row) -> MaintenanceWindow:
    return MaintenanceWindow(id=r["id"], scope=MaintenanceScope(r["scope"]), target=r["target"],
                             starts_at=r["starts_at"], ends_at=r["ends_at"], reason=r["reason"], author=r["author"],
                             source=MaintenanceSource(r["source"]), created_at=r["created_at"],
                             deleted_at=r["deleted_at"], deleted_by=r["deleted_by"])
