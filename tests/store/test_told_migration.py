"""Upgrading mid-escalation (schema 2 → 3): what the old per-group ``announced`` flag said is
kept as told to everyone paged, so nobody gets an update repeating what they already had, and
a member nobody was told of is still news."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sitewatch.core.conditions import Condition
from sitewatch.incidents.lifecycle import IncidentLifecycle
from sitewatch.store.escalations import EscalationStore
from tests.incidents.conftest import SITES, T0, tr
from tests.store import incident_store


def test_announced_members_become_told_to_everyone_paged(tmp_path: Path) -> None:
    db = tmp_path / "incidents.sqlite3"
    with incident_store(db) as store:
        changes = IncidentLifecycle(store, SITES).apply(
            [tr("BTS-2", Condition.ON_BATTERY), tr("BTS-3", Condition.ON_BATTERY)], T0)
        announced, new = (c.incident.id for c in changes)
    with sqlite3.connect(db) as old:  # the database as sitewatch with schema 2 left it
        old.executescript(f"""
            DROP TABLE escalation_told;
            PRAGMA user_version = 2;
            INSERT INTO escalations (id, group_key, route, policy, status, created_at) VALUES
                (1, 'district', 'route 1', '{{}}', 'active', {T0});
            INSERT INTO escalation_members (escalation_id, incident_id, joined_at, announced) VALUES
                (1, {announced}, {T0}, 1), (1, {new}, {T0 + 60}, 0);
            INSERT INTO escalation_pages (escalation_id, person, level, round, at) VALUES
                (1, 'an', 0, 0, {T0 + 30}), (1, 'binh', 1, 0, {T0 + 630});
        """)
    with incident_store(db) as store:
        assert store.db.schema_version == 3
        assert EscalationStore(store.db).untold(1) == {"an": frozenset({new}), "binh": frozenset({new})}
