"""The SQLite file itself: schema migrations, reopening, refusing what it must not touch,
transactions, the dedup index, queries and the evaluator's state."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from sitewatch.config.loader import load_config
from sitewatch.core.conditions import Condition, Phrase, RuntimeEstimate, Severity, Summary, part
from sitewatch.core.incident import EventKind, IncidentState
from sitewatch.incidents.errors import IncidentNotFound
from sitewatch.store.database import SqliteDatabase, database_path
from sitewatch.store.errors import SchemaTooNew, StoreError
from sitewatch.store.incidents import IncidentStore
from sitewatch.store.schema import MIGRATIONS, Migration, migrate, schema_version
from tests.incidents.conftest import T0
from tests.store import incident_store


def _open(store: IncidentStore, site: str = "BTS-2", condition: Condition = Condition.ON_BATTERY,
          subject: str = "", at: float = T0) -> int:
    return store.create_incident(site_id=site, condition=condition, subject=subject, severity=Severity.WARNING,
                                 at=at).id


def test_new_file_is_migrated_to_the_latest_schema_in_wal_mode(db_path: Path) -> None:
    assert not db_path.exists()
    with incident_store(db_path) as store:
        assert store.db.schema_version == len(MIGRATIONS) >= 1
        _open(store)
        assert Path(f"{db_path}-wal").exists()
    raw = sqlite3.connect(db_path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"incidents", "timeline", "eval_state", "maintenance_windows"} <= tables
    assert raw.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    raw.close()


def test_reopening_keeps_everything_and_migrates_nothing(db_path: Path) -> None:
    with incident_store(db_path) as store:
        iid = _open(store)
        store.add_event(iid, at=T0, kind=EventKind.OPENED, text="input 0 V")
        store.save_eval_state("BTS-2", '{"hold": {"mains_lost": 1790000000}}', T0)
    with incident_store(db_path) as store:
        assert store.db.schema_version == len(MIGRATIONS)
        incident, timeline = store.incident_with_timeline(iid)
        assert incident.state is IncidentState.OPEN and incident.site_id == "BTS-2"
        assert [(e.kind, e.text) for e in timeline] == [(EventKind.OPENED, "input 0 V")]
        assert store.load_eval_states() == {"BTS-2": '{"hold": {"mains_lost": 1790000000}}'}


def test_a_later_migration_applies_to_an_existing_database_and_keeps_its_data(db_path: Path) -> None:
    with incident_store(db_path) as store:
        iid = _open(store)
    newer = (*MIGRATIONS, Migration(description="outbox", sql="CREATE TABLE outbox (key TEXT PRIMARY KEY);\n"
                                                             "CREATE INDEX outbox_k ON outbox (key);"))
    raw = sqlite3.connect(db_path, isolation_level=None)
    assert migrate(raw, str(db_path), newer) == len(MIGRATIONS) + 1
    assert raw.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
    assert raw.execute("SELECT site_id FROM incidents WHERE id = ?", (iid,)).fetchone()[0] == "BTS-2"
    raw.close()
    # and this (older) code now refuses the file rather than guess
    n = len(MIGRATIONS)
    with pytest.raises(SchemaTooNew, match=rf"schema version {n + 1} is newer than this sitewatch knows \({n}\)"):
        SqliteDatabase(db_path)


def test_a_failing_migration_leaves_the_previous_version(db_path: Path) -> None:
    SqliteDatabase(db_path).close()
    broken = (*MIGRATIONS, Migration(description="bad", sql="CREATE TABLE t2 (a);\nCREATE TABLE t2 (a);"))
    raw = sqlite3.connect(db_path, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="already exists"):
        migrate(raw, str(db_path), broken)
    assert schema_version(raw) == len(MIGRATIONS)
    assert raw.execute("SELECT count(*) FROM sqlite_master WHERE name = 't2'").fetchone()[0] == 0
    raw.close()


def test_a_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    raw = sqlite3.connect(other)
    raw.execute("CREATE TABLE x (a)")
    raw.execute("PRAGMA user_version = 7")
    raw.commit()
    raw.close()
    with pytest.raises(StoreError, match="not a sitewatch incident database"):
        SqliteDatabase(other)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match=r"garbage\.db"):
        SqliteDatabase(garbage)


def test_at_most_one_unresolved_incident_per_key(store: IncidentStore) -> None:
    first = store.get_incident(_open(store, "AGG", Condition.LINK_DOWN, "eth1"))
    _open(store, "AGG", Condition.LINK_DOWN, "eth2")  # another subject is another key
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        _open(store, "AGG", Condition.LINK_DOWN, "eth1")
    store.save_incident(replace(first, state=IncidentState.RESOLVED, resolved_at=T0 + 60, resolved_by="sitewatch"))
    again = _open(store, "AGG", Condition.LINK_DOWN, "eth1", at=T0 + 120)
    assert again != first.id
    assert store.active_incident("AGG", Condition.LINK_DOWN, "eth1") == store.get_incident(again)


def test_transaction_is_all_or_nothing_and_nested_blocks_are_savepoints(store: IncidentStore) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        _open(store, "BTS-2")
        store.save_eval_state("BTS-2", "{}", T0)
        raise RuntimeError("poll handler crashed")
    assert store.open_incidents() == [] and store.load_eval_states() == {}

    with store.transaction():
        kept = _open(store, "BTS-2")
        with pytest.raises(sqlite3.IntegrityError), store.transaction():
            store.add_event(kept, at=T0, kind=EventKind.COMMENT, text="undone")
            _open(store, "BTS-2")  # duplicate key: this inner block is undone, the outer one goes on
        store.save_eval_state("BTS-2", '{"n": 1}', T0)
    assert [i.id for i in store.open_incidents()] == [kept]
    assert store.timeline(kept) == []
    assert store.load_eval_states() == {"BTS-2": '{"n": 1}'}


def test_incident_fields_round_trip(store: IncidentStore) -> None:
    rt = RuntimeEstimate(seconds=5400.0, method="charge_trend", at=T0 + 30)
    created = store.create_incident(site_id="BTS-HOSP", condition=Condition.BATTERY_RUNTIME_LOW,
                                    severity=Severity.CRITICAL, at=T0, flapping=True,
                                    summary=Summary.of(part(Phrase.CHARGE, ratio=0.38)),
                                    runtime=rt)
    assert store.get_incident(created.id) == created
    assert created.runtime is not None and created.runtime.depletion_at == T0 + 30 + 5400
    with pytest.raises(IncidentNotFound, match="no incident #999"):
        store.get_incident(999)


def test_queries_filter_by_state_site_condition_and_since(store: IncidentStore) -> None:
    a = _open(store, "BTS-2", Condition.MAINS_LOST, at=T0)
    b = _open(store, "BTS-3", Condition.MAINS_LOST, at=T0 + 10)
    c = _open(store, "KT-1", Condition.SITE_UNREACHABLE, at=T0 + 20)
    old = store.get_incident(_open(store, "KT-1", Condition.ON_BATTERY, at=T0 - 7200))
    store.save_incident(replace(old, state=IncidentState.RESOLVED, resolved_at=T0 - 3600, resolved_by="x"))
    store.save_incident(replace(store.get_incident(b), state=IncidentState.ACKNOWLEDGED, acknowledged_at=T0 + 11,
                                acknowledged_by="An"))

    assert [i.id for i in store.open_incidents()] == [a, b, c]  # acknowledged is still open
    assert [i.id for i in store.open_incidents(["KT-1"])] == [c]
    assert [i.id for i in store.query_incidents()] == [c, b, a, old.id]  # newest first
    assert [i.id for i in store.query_incidents(states=[IncidentState.ACKNOWLEDGED])] == [b]
    assert [i.id for i in store.query_incidents(site_ids=["BTS-2", "BTS-3"])] == [b, a]
    assert [i.id for i in store.query_incidents(conditions=[Condition.SITE_UNREACHABLE])] == [c]
    assert [i.id for i in store.query_incidents(since=T0 - 1800)] == [c, b, a]
    assert [i.id for i in store.query_incidents(since=T0 - 5000)] == [c, b, a, old.id]
    assert [i.id for i in store.query_incidents(limit=2)] == [c, b]
    assert store.query_incidents(site_ids=[]) == []


def test_eval_state_is_opaque_text_upserted_and_pruned(store: IncidentStore) -> None:
    store.save_eval_state("BTS-2", '{"v": 1}', T0)
    store.save_eval_state("BTS-2", '{"v": 2}', T0 + 1)
    store.save_eval_state("GONE", '{"v": 0}', T0)
    assert store.load_eval_states() == {"BTS-2": '{"v": 2}', "GONE": '{"v": 0}'}
    assert store.prune_eval_states(["BTS-2", "BTS-3"]) == 1
    assert store.load_eval_states() == {"BTS-2": '{"v": 2}'}


def test_database_path_lives_in_the_state_dir(tmp_path: Path) -> None:
    cfg = tmp_path / "sitewatch.yaml"
    cfg.write_text("daemon: {state_dir: state}\n")
    config = load_config(cfg)
    assert database_path(config) == tmp_path / "state" / "incidents.sqlite3"
    cfg.write_text("daemon: {state_dir: state}\nincidents: {database: /srv/sw/incidents.db}\n")
    assert database_path(load_config(cfg)) == Path("/srv/sw/incidents.db")


def test_a_summary_stored_by_an_older_version_reads_back_as_its_text(db_path: Path) -> None:
    with incident_store(db_path) as store:
        created = store.create_incident(site_id="BTS-2", condition=Condition.MAINS_LOST, severity=Severity.WARNING,
                                        at=T0, summary=Summary.of(part(Phrase.MAINS_LOST)))
    with sqlite3.connect(db_path) as older:  # what an older version wrote: its English words
        older.execute("UPDATE incidents SET summary = ? WHERE id = ?", ("mains 0 V on 3 phases", created.id))
    older.close()
    with incident_store(db_path) as store:
        assert store.get_incident(created.id).summary == Summary(text="mains 0 V on 3 phases")
