"""The schema of every table, as the ordered migrations that build it.

The schema version is SQLite's ``PRAGMA user_version``: version N means ``MIGRATIONS[:N]`` have
been applied. Each migration runs in its own transaction together with the version bump, so a
crash mid-migration leaves the previous version intact. A database whose version is higher than
``len(MIGRATIONS)`` was written by a newer sitewatch and is refused (``SchemaTooNew``): guessing
at an unknown schema is how data gets lost.

Every table sitewatch keeps is here: incidents, their timelines, the evaluator's state and
maintenance windows (v1); escalations, their members, pages, repeats and events, the notification
outbox and the sent log (v2); what each person paged has been told (v3). Adding a table or a
column is one more entry at the end of ``MIGRATIONS``; never edit or reorder an entry that has
shipped.

The tables avoid ``STRICT`` and ``RETURNING`` so that the SQLite of older distributions works;
CHECK constraints guard the enumerations instead.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from sitewatch.store.errors import SchemaTooNew, StoreError

__all__ = ["APPLICATION_ID", "MIGRATIONS", "Migration", "migrate", "schema_version"]

#: ``PRAGMA application_id`` of a sitewatch database ("SWAT"), so a stray SQLite file is refused
APPLICATION_ID = 0x53574154


@dataclass(frozen=True, slots=True, kw_only=True)
class Migration:
    description: str
    sql: str


_V1_INCIDENTS = """
CREATE TABLE maintenance_windows (
    id          INTEGER PRIMARY KEY,
    scope       TEXT NOT NULL CHECK (scope IN ('site', 'district', 'province')),
    target      TEXT NOT NULL CHECK (target <> ''),
    starts_at   REAL NOT NULL,
    ends_at     REAL NOT NULL CHECK (ends_at > starts_at),
    reason      TEXT NOT NULL CHECK (reason <> ''),
    author      TEXT NOT NULL CHECK (author <> ''),
    source      TEXT NOT NULL CHECK (source IN ('config', 'api')),
    created_at  REAL NOT NULL,
    deleted_at  REAL,
    deleted_by  TEXT
);
CREATE INDEX maintenance_live ON maintenance_windows (ends_at) WHERE deleted_at IS NULL;

CREATE TABLE incidents (
    id              INTEGER PRIMARY KEY,
    site_id         TEXT NOT NULL,
    condition       TEXT NOT NULL,
    subject         TEXT NOT NULL DEFAULT '',
    severity        INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4),
    state           TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    opened_at       REAL NOT NULL,
    updated_at      REAL NOT NULL,
    acknowledged_at REAL,
    acknowledged_by TEXT,
    resolved_at     REAL,
    resolved_by     TEXT,
    flapping        INTEGER NOT NULL DEFAULT 0 CHECK (flapping IN (0, 1)),
    suppressed_by   INTEGER REFERENCES incidents (id),
    maintenance_id  INTEGER REFERENCES maintenance_windows (id),
    summary         TEXT NOT NULL DEFAULT '',
    runtime_seconds REAL,
    runtime_method  TEXT,
    runtime_at      REAL,
    CHECK ((state = 'resolved') = (resolved_at IS NOT NULL)),
    CHECK ((runtime_seconds IS NULL) = (runtime_method IS NULL))
);
-- the dedup key: at most one incident per (site, condition, subject) that is not resolved
CREATE UNIQUE INDEX incidents_one_active ON incidents (site_id, condition, subject)
    WHERE state <> 'resolved';
CREATE INDEX incidents_by_site ON incidents (site_id, opened_at);
CREATE INDEX incidents_by_opened ON incidents (opened_at);
CREATE INDEX incidents_by_resolved ON incidents (resolved_at);
CREATE INDEX incidents_suppressed ON incidents (suppressed_by) WHERE suppressed_by IS NOT NULL;
CREATE INDEX incidents_in_maintenance ON incidents (maintenance_id) WHERE maintenance_id IS NOT NULL;

CREATE TABLE timeline (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    at          REAL NOT NULL,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    text        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX timeline_by_incident ON timeline (incident_id, id);

-- the evaluator's per-site state (hold timers, flap history): opaque JSON text
CREATE TABLE eval_state (
    site_id    TEXT PRIMARY KEY,
    state      TEXT NOT NULL,
    updated_at REAL NOT NULL
);
"""

_V2_ESCALATION = """
-- one escalation unit: a group of incidents paged together, with a snapshot of its policy
CREATE TABLE escalations (
    id              INTEGER PRIMARY KEY,
    group_key       TEXT NOT NULL,
    route           TEXT NOT NULL,
    policy          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'active', 'acknowledged', 'withdrawn', 'resolved')),
    level           INTEGER NOT NULL DEFAULT -1,
    round           INTEGER NOT NULL DEFAULT 0,
    created_at      REAL NOT NULL,
    started_at      REAL,
    next_step_at    REAL,
    update_at       REAL,
    updates         INTEGER NOT NULL DEFAULT 0,
    renotified      INTEGER NOT NULL DEFAULT 0,
    acknowledged_at REAL,
    acknowledged_by TEXT,
    closed_at       REAL
);
-- at most one unit per group key is still gathering or escalating
CREATE UNIQUE INDEX escalations_one_live ON escalations (group_key) WHERE status IN ('pending', 'active');
CREATE INDEX escalations_due ON escalations (next_step_at) WHERE next_step_at IS NOT NULL;
CREATE INDEX escalations_open ON escalations (status) WHERE status <> 'resolved';

CREATE TABLE escalation_members (
    escalation_id INTEGER NOT NULL REFERENCES escalations (id),
    incident_id   INTEGER NOT NULL REFERENCES incidents (id),
    joined_at     REAL NOT NULL,
    announced     INTEGER NOT NULL DEFAULT 0 CHECK (announced IN (0, 1)),  -- unused since v3 (escalation_told)
    PRIMARY KEY (escalation_id, incident_id)
);
CREATE INDEX escalation_members_by_incident ON escalation_members (incident_id);

-- who has been paged, at which level and round
CREATE TABLE escalation_pages (
    escalation_id INTEGER NOT NULL REFERENCES escalations (id),
    person        TEXT NOT NULL,
    level         INTEGER NOT NULL,
    round         INTEGER NOT NULL,
    at            REAL NOT NULL,
    PRIMARY KEY (escalation_id, person, level, round)
);

-- personal repeats ("SMS again every 5 min until acknowledged"), one per person and contact
CREATE TABLE escalation_repeats (
    escalation_id INTEGER NOT NULL REFERENCES escalations (id),
    person        TEXT NOT NULL,
    contact       INTEGER NOT NULL,
    level         INTEGER NOT NULL,
    round         INTEGER NOT NULL,
    every         REAL NOT NULL CHECK (every > 0),
    next_at       REAL NOT NULL,
    sent          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (escalation_id, person, contact)
);
CREATE INDEX escalation_repeats_due ON escalation_repeats (next_at);

-- what the escalation did, for people and tests (paged, unreachable, fallback, exhausted, ...)
CREATE TABLE escalation_events (
    id            INTEGER PRIMARY KEY,
    escalation_id INTEGER NOT NULL REFERENCES escalations (id),
    at            REAL NOT NULL,
    kind          TEXT NOT NULL,
    level         INTEGER,
    round         INTEGER,
    person        TEXT,
    text          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX escalation_events_by_unit ON escalation_events (escalation_id, id);

-- every delivery is written here before it is sent; ``key`` is its idempotency key
CREATE TABLE notification_outbox (
    id               INTEGER PRIMARY KEY,
    key              TEXT NOT NULL UNIQUE,
    escalation_id    INTEGER REFERENCES escalations (id),
    person           TEXT,
    channel          TEXT NOT NULL,
    address          TEXT NOT NULL,
    contact          INTEGER,
    kind             TEXT NOT NULL,
    level            INTEGER,
    round            INTEGER,
    message          TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'dead', 'cancelled')),
    due_at           REAL NOT NULL,
    created_at       REAL NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    first_attempt_at REAL,
    last_error       TEXT NOT NULL DEFAULT '',
    finished_at      REAL
);
CREATE INDEX notification_outbox_pending ON notification_outbox (due_at) WHERE status = 'pending';
CREATE INDEX notification_outbox_by_escalation ON notification_outbox (escalation_id, status);

-- "what we sent": written only after the channel accepted it, checked before every send
CREATE TABLE notification_sent (
    key     TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    sent_at REAL NOT NULL
);
"""

_V3_TOLD = """
-- what each person has been told: the incidents a page or an update to them named (the
-- members' old ``announced`` flag said it per group, so whoever was paged earlier missed news)
CREATE TABLE escalation_told (
    escalation_id INTEGER NOT NULL REFERENCES escalations (id),
    person        TEXT NOT NULL,
    incident_id   INTEGER NOT NULL REFERENCES incidents (id),
    PRIMARY KEY (escalation_id, person, incident_id)
);
INSERT OR IGNORE INTO escalation_told (escalation_id, person, incident_id)
    SELECT DISTINCT p.escalation_id, p.person, m.incident_id FROM escalation_pages p
    JOIN escalation_members m ON m.escalation_id = p.escalation_id WHERE m.announced = 1;
"""

#: every migration ever shipped, oldest first
MIGRATIONS: tuple[Migration, ...] = (
    Migration(description="incidents, timeline, evaluation state, maintenance windows", sql=_V1_INCIDENTS),
    Migration(description="escalation state (units, members, pages, repeats, events), notification outbox, sent log",
              sql=_V2_ESCALATION),
    Migration(description="what each person paged has been told (per person, not per group)", sql=_V3_TOLD),
)


def schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(conn: sqlite3.Connection, path: str, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Bring the database at ``conn`` (autocommit mode) to the newest version; return it.

    Raises ``SchemaTooNew`` for a database from a newer sitewatch and ``StoreError`` for a
    SQLite file that belongs to something else.
    """
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    current = schema_version(conn)
    if app_id not in (0, APPLICATION_ID) or (app_id == 0 and current != 0):
        raise StoreError(f"{path}: not a sitewatch incident database (application_id {app_id:#x}, "
                         f"user_version {current})")
    if current > len(migrations):
        raise SchemaTooNew(path, current, len(migrations))
    for version in range(current + 1, len(migrations) + 1):
        # executescript() would COMMIT first; split so the DDL and the bump share one transaction
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(conn) >= version:  # another process migrated meanwhile
                conn.execute("ROLLBACK")
                continue
            for statement in _statements(migrations[version - 1].sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return schema_version(conn)


def _statements(script: str) -> list[str]:
    """Split a script into statements (``complete_statement`` knows trigger bodies)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        raise ValueError(f"incomplete SQL statement in migration: {buf.strip()[:60]!r}")
    return out
