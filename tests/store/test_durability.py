"""``kill -9`` mid-stream, reopen: every committed incident and timeline entry is there, nothing
is doubled, the evaluation state agrees with the incidents, the dedup index holds; and how
long a transition write takes."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from sitewatch.core.conditions import POWER_CONDITIONS, Condition, Severity, Summary, Transition, TransitionKind
from sitewatch.core.incident import EventKind
from sitewatch.incidents.lifecycle import IncidentLifecycle
from sitewatch.store.incidents import IncidentStore
from tests.incidents.conftest import SITES, T0
from tests.store import incident_store

REPO = Path(__file__).resolve().parents[2]


def _run_and_kill(db: Path, at_least: int) -> list[int]:
    """Start the writer, SIGKILL it after it reported ``at_least`` commits (plus a random few
    milliseconds), and return every step it reported."""
    proc = subprocess.Popen([sys.executable, "-m", "tests.store.crash_writer", str(db)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    steps: list[int] = []
    try:
        while len(steps) < at_least:
            line = proc.stdout.readline()
            assert line, f"writer ended early: rc={proc.wait()} {proc.stderr.read()}"
            steps.append(int(line))
        time.sleep(random.uniform(0, 0.02))
        os.kill(proc.pid, signal.SIGKILL)
        steps += [int(x) for x in proc.stdout.read().split()]
        assert proc.wait() == -signal.SIGKILL, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    return steps


def _check_consistent(db: Path, reported: list[int]) -> int:
    """Everything reported is stored exactly once; returns the last committed step."""
    with incident_store(db) as store:
        assert store.db.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        states = {s: json.loads(b) for s, b in store.load_eval_states().items()}
        last = int(max(s["step"] for s in states.values()))
        # committed = reported, plus at most the one commit the kill caught before its print
        assert last in (reported[-1], reported[-1] + 1)
        incidents = store.query_incidents()
        events = [e for i in incidents for e in store.timeline(i.id)]
        steps = Counter(int(e.text.split()[1]) for e in events if e.kind in (
            EventKind.OPENED, EventKind.UPDATED, EventKind.RESOLVED))
        assert sorted(steps) == list(range(last + 1)), "a committed step is missing"
        assert set(steps.values()) == {1}, "a step was recorded twice"
        # the evaluation state and the incidents were committed together
        for site, st in states.items():
            mine = [i for i in incidents if i.site_id == site]
            kinds = Counter(e.kind.value for i in mine for e in store.timeline(i.id))
            assert len(mine) == st["counts"]["opened"] == kinds["opened"], site
            assert kinds["updated"] == st["counts"]["updated"] and kinds["resolved"] == st["counts"]["resolved"]
            assert sum(i.state.value != "resolved" for i in mine) == (st["phase"] != 0)
        # dependencies are consistent: children are suppressed exactly while the hub is down
        hub = store.active_incident("HUB", Condition.SITE_UNREACHABLE)
        for i in store.open_incidents():
            if i.site_id != "HUB":
                assert i.suppressed_by == (None if hub is None else hub.id), i
        # and the partial unique index is still enforced on the reopened file
        active = Counter(i.key for i in store.open_incidents())
        assert all(n == 1 for n in active.values())
        if hub is not None:
            with pytest.raises(sqlite3.IntegrityError):
                store.create_incident(site_id="HUB", condition=Condition.SITE_UNREACHABLE, severity=Severity.MAJOR,
                                      at=T0)
    return last


def test_kill_9_mid_stream_loses_and_doubles_nothing(tmp_path: Path) -> None:
    db = tmp_path / "state" / "incidents.sqlite3"
    last = -1
    for _ in range(3):
        reported = _run_and_kill(db, at_least=300)
        assert reported[0] == last + 1  # the writer resumed from the stored state, nothing re-done
        assert reported == list(range(reported[0], reported[-1] + 1))
        last = _check_consistent(db, reported)


def test_the_writer_detects_a_store_that_disagrees_with_the_evaluation_state(tmp_path: Path) -> None:
    """The crash test can fail: a lost evaluation state makes the resumed writer re-open."""
    db = tmp_path / "incidents.sqlite3"
    _run_and_kill(db, at_least=30)
    raw = sqlite3.connect(db)
    raw.execute("DELETE FROM eval_state")
    raw.commit()
    raw.close()
    proc = subprocess.run([sys.executable, "-m", "tests.store.crash_writer", str(db)], cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 3 and "gave" in proc.stderr


def _timed_writes(store: IncidentStore, n: int) -> list[tuple[float, float]]:
    """One transaction per transition, with the site's evaluation state, as the daemon does.
    Returns (wall, CPU) seconds per write: on a shared machine the wall time includes waiting
    for a core, the CPU time does not."""
    life = IncidentLifecycle(store, SITES)
    sites, conditions = sorted(SITES), sorted(POWER_CONDITIONS, key=lambda c: c.value)
    kinds = (TransitionKind.OPENED, TransitionKind.UPDATED, TransitionKind.RESOLVED)
    blob = json.dumps({"hold": {c.value: T0 for c in conditions}, "flaps": list(range(20))})
    out = []
    for k in range(n):
        t = Transition(site_id=sites[k % len(sites)], condition=conditions[(k // len(sites)) % len(conditions)],
                       kind=kinds[(k // (len(sites) * len(conditions))) % 3], at=T0 + k,
                       summary=Summary(text=f"step {k}"))
        wall, cpu = time.perf_counter(), time.thread_time()
        with store.transaction():
            assert life.apply([t], T0 + k)
            store.save_eval_state(t.site_id, blob, T0 + k)
        out.append((time.perf_counter() - wall, time.thread_time() - cpu))
    return out


def _centiles(xs: list[float]) -> str:
    xs = sorted(xs)
    return f"p50 {statistics.median(xs) * 1e6:.0f} µs, p99 {xs[int(len(xs) * 0.99)] * 1e6:.0f} µs"


@pytest.mark.parametrize("synchronous", ["NORMAL", "FULL"])
def test_transition_write_latency(tmp_path: Path, synchronous: str) -> None:
    with incident_store(tmp_path / "lat.sqlite3", synchronous=synchronous) as store:  # type: ignore[arg-type]
        took = _timed_writes(store, len(SITES) * len(POWER_CONDITIONS) * 3 * 4)
        wal_pages, copied = store.db.checkpoint()
        assert copied == wal_pages
    wall, cpu = [w for w, _ in took], [c for _, c in took]
    print(f"\ntransition + eval state write, synchronous={synchronous}, {len(took)} writes: "
          f"wall {_centiles(wall)}; CPU {_centiles(cpu)}")
    if synchronous == "NORMAL":
        assert statistics.median(wall) < 0.001, "a transition write must stay well under a millisecond"
