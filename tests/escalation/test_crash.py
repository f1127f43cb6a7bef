"""``kill -9`` with 100 notifications pending: after restarts, each is delivered (counted at a
real HTTP receiver by its ``Idempotency-Key``), and duplicates are at most one per kill — the
send the receiver accepted in the instant before the process could record it (see
``sitewatch.escalation.outbox``). A restart after everything was sent sends nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

from tests.escalation.outbox_child import COUNT
from tests.notify.receivers import CaptureServer
from tests.store import incident_store

REPO = Path(__file__).resolve().parents[2]


async def _child(db: Path, url: str, mode: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "tests.escalation.outbox_child", str(db), url,
                                                mode, cwd=REPO, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)


async def _kill_after(proc: asyncio.subprocess.Process, http: CaptureServer, delivered: int) -> None:
    await http.wait_for(delivered, within=30, path="/hook")
    os.kill(proc.pid, signal.SIGKILL)
    assert await proc.wait() == -signal.SIGKILL


async def test_kill_9_with_100_pending_each_delivered_once(tmp_path: Path) -> None:
    db = tmp_path / "incidents.sqlite3"
    async with CaptureServer() as http:
        proc = await _child(db, http.url, "fill")
        assert proc.stdout is not None
        assert await asyncio.wait_for(proc.stdout.readline(), 30) == b"queued\n"
        await _kill_after(proc, http, 25)  # first kill, a quarter of the way
        kills = 1
        proc = await _child(db, http.url, "resume")
        await _kill_after(proc, http, 60)
        kills += 1
        proc = await _child(db, http.url, "resume")
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0 and out == b"done\n", err.decode()

        keys = Counter(r.headers["idempotency-key"] for r in http.delivered("/hook"))
        assert sorted(keys) == [f"crash/{n:03d}" for n in range(COUNT)], "every notification arrived"
        duplicates = sum(n - 1 for n in keys.values())
        print(f"kill -9 x{kills}: {len(keys)} distinct keys delivered, {duplicates} duplicate(s)")
        assert duplicates <= kills, keys.most_common(3)
        assert all(r.status == 200 for r in http.requests)

        with incident_store(db) as store:
            rows = store.db.connection.execute("SELECT status, count(*) FROM notification_outbox GROUP BY status")
            assert dict(rows.fetchall()) == {"sent": COUNT}
            assert store.db.connection.execute("SELECT count(*) FROM notification_sent").fetchone()[0] == COUNT

        before = len(http.requests)  # a restart with nothing pending sends nothing
        proc = await _child(db, http.url, "resume")
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
        assert out == b"done\n" and len(http.requests) == before
