"""Issue 10, item 2, through the whole daemon: vital tasks are supervised.

A failure is injected into each task through a seam (an attribute of the real object the task
calls), and what the outside world sees is checked: ``/readyz``, the metrics, the dead man's
switch heartbeat (a real HTTP receiver) and systemd's notifications (a datagram socket standing
in for systemd at ``$NOTIFY_SOCKET``).
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import sitewatch.daemon
from sitewatch.config.loader import load_config
from sitewatch.config.oncall_schema import Heartbeat
from sitewatch.daemon import Daemon
from sitewatch.simulator import Fleet
from sitewatch.simulator.fleetconfig import fleet_config, write_fleet_config
from tests.daemon.conftest import Running, Samples, free_tcp_port, running_daemon, site, value, write_config
from tests.daemon.test_paging_e2e import _bts, _config, _sms_to, _until
from tests.notify.receivers import CaptureServer, SmtpCapture

HEARTBEAT_EVERY = 0.3
WATCHDOG_USEC = 400_000  # pings every 0.2 s


class SystemdListener:
    """What systemd would receive from ``sd_notify``: one entry per datagram."""

    def __init__(self, name: str) -> None:
        self.address = f"@{name}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + name)
        self.sock.setblocking(False)
        self.datagrams: list[str] = []
        asyncio.get_running_loop().add_reader(self.sock, self._read)

    def _read(self) -> None:
        while True:
            try:
                self.datagrams.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return

    def count(self, line: str) -> int:
        return sum(line in d.split("\n") for d in self.datagrams)

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.sock)
        self.sock.close()


@asynccontextmanager
async def systemd(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AsyncIterator[SystemdListener]:
    listener = SystemdListener(f"sitewatch-test-{tmp_path.name}-{id(tmp_path)}")
    monkeypatch.setenv("NOTIFY_SOCKET", listener.address)
    monkeypatch.setenv("WATCHDOG_USEC", str(WATCHDOG_USEC))
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    try:
        yield listener
    finally:
        listener.close()


async def readyz(d: Running) -> tuple[int, str]:
    r = await d.http.get("/readyz")
    return r.status_code, r.text


async def wait_ready(d: Running, ok: bool, line: str, within: float = 20.0) -> str:
    """Wait until /readyz answers ``ok`` with ``line`` in its body; returns the body."""
    async with asyncio.timeout(within):
        while True:
            status, text = await readyz(d)
            if (status == 200) == ok and line in text:
                return text
            await asyncio.sleep(0.05)


def restarts(m: Samples, task: str) -> float:
    return value(m, "sitewatch_task_restarts_total", task=task) or 0.0


@contextmanager
def broken(obj: object, attr: str, exc: Callable[[], Exception]) -> Iterator[list[int]]:
    """While inside, ``obj.attr(...)`` raises ``exc()``; yields the count of calls that did."""
    original = getattr(obj, attr)
    calls = [0]

    def fail(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        raise exc()

    setattr(obj, attr, fail)
    try:
        yield calls
    finally:
        setattr(obj, attr, original)


async def test_outbox_worker_killed_restarted_counted_unready_silent_then_delivers_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with systemd(monkeypatch, tmp_path) as sd, CaptureServer() as sms, SmtpCapture() as smtp:
        listen = f"127.0.0.1:{free_tcp_port()}"
        config = _config(tmp_path, sms, smtp, [_bts(1)], listen, interval=1.0, group_wait=0.5, group_interval=6.0)
        config = config.model_copy(update={"notifications": config.notifications.model_copy(update={
            "heartbeat": Heartbeat(url=f"{sms.url}/heartbeat", interval=HEARTBEAT_EVERY)})})
        async with Fleet(config, workdir=tmp_path / "sim") as fleet:
            path = tmp_path / "fleet.yaml"
            write_fleet_config(path, fleet_config(config, list(fleet.sites.values()), fleet.ports(),
                                                  state_dir=tmp_path / "state"))
            def mails_to_an() -> list[Any]:
                return [m for m in smtp.messages if m.rcpt_tos == ("an@vienthong-gialai.example",)]

            async with running_daemon(path) as d:
                # running: READY once polling started, watchdog pings and heartbeats flow
                await _until(lambda: sd.count("READY=1") == 1 and sd.count("WATCHDOG=1") >= 2
                             and len(sms.delivered("/heartbeat")) >= 2)
                await wait_ready(d, True, "[+] outbox (vital): running")

                outbox = d.daemon.escalation.outbox
                with broken(outbox, "due", lambda: sqlite3.OperationalError("disk I/O error")) as calls:
                    fleet.set_mains("BTS01", False)  # the page is queued, and wakes the (broken) worker
                    text = await wait_ready(d, False, "[-] outbox (vital): down")
                    assert "OperationalError: disk I/O error" in text, text
                    await d.wait_for(lambda m: (value(m, "sitewatch_outbox_depth") or 0) >= 2
                                     and restarts(m, "outbox") >= 2
                                     and value(m, "sitewatch_task_up", task="outbox", vital="true") == 0)
                    # from here on nothing may beat: wait until two more restarts failed (3 s of backoff)
                    beats, pings = len(sms.delivered("/heartbeat")), sd.count("WATCHDOG=1")
                    m = await d.wait_for(lambda m: restarts(m, "outbox") >= 4, within=30)
                    assert len(sms.delivered("/heartbeat")) == beats
                    assert sd.count("WATCHDOG=1") == pings
                    assert _sms_to(sms, "+84905110101") == [] and smtp.messages == []
                    assert calls[0] >= 4
                    assert any(line.startswith("STATUS=degraded: down: outbox (OperationalError")
                               for dg in sd.datagrams for line in dg.split("\n")), sd.datagrams
                # the seam heals: the next restart holds, the queued page goes out once
                await wait_ready(d, True, "[+] outbox (vital): running, ")
                healed = restarts(await d.metrics(), "outbox")
                assert healed >= restarts(m, "outbox")
                await _until(lambda: len(_sms_to(sms, "+84905110101")) == 1 and len(mails_to_an()) == 1)
                await _until(lambda: len(sms.delivered("/heartbeat")) > beats and sd.count("WATCHDOG=1") > pings)
                after = await d.wait_for(lambda m: value(m, "sitewatch_outbox_depth") == 0)
                assert restarts(after, "outbox") == healed
                assert len(_sms_to(sms, "+84905110101")) == 1 and len(mails_to_an()) == 1
    assert sd.count("STOPPING=1") == 1


JOB_SEAMS: dict[str, tuple[Callable[[Daemon], object], str, bool]] = {
    # job → (the object it calls, the attribute broken, vital)
    "dispatch-due-polls": (lambda d: d.scheduler, "tick", True),
    "incident-housekeeping": (lambda d: d.incidents, "tick", True),
    "store-checkpoint": (lambda d: d.db, "checkpoint", False),
    "escalation-timers": (lambda d: d.escalation, "tick", True),
    "escalation-audit": (lambda d: d.escalation, "audit", True),
    "shift-notices": (lambda d: sitewatch.daemon, "shift_starts", False),
    "escalation-prune": (lambda d: d.escalation, "prune", False),
    "heartbeat": (lambda d: d.heartbeat, "ping", False),
}


def run_now(d: Running, job: str) -> None:
    d.daemon.jobs.modify_job(job, next_run_time=datetime.now(d.daemon.jobs.timezone))


@pytest.mark.parametrize("job", sorted(JOB_SEAMS))
async def test_a_failing_job_is_counted_and_a_vital_one_fails_readiness_until_it_succeeds(
        tmp_path: Path, job: str) -> None:
    owner, attr, vital = JOB_SEAMS[job]
    kind = "vital" if vital else "optional"
    heartbeat = {"notifications": {"heartbeat": {"url": "http://127.0.0.1:9/", "interval": 3600}}}
    path = write_config(tmp_path, [site("S1", 9, "public")], heartbeat)
    async with running_daemon(path) as d:
        await wait_ready(d, True, f"[+] {job} ({kind}): running\n")
        with broken(owner(d.daemon), attr, lambda: RuntimeError(f"{attr} broke")):
            run_now(d, job)
            m = await d.wait_for(lambda m: restarts(m, job) >= 1)
            assert value(m, "sitewatch_task_up", task=job, vital=str(vital).lower()) == 0
            status, text = await readyz(d)
            assert f"[-] {job} ({kind}): down for " in text and f"RuntimeError: {attr} broke" in text, text
            assert status == (503 if vital else 200), text
        # healed: the first run after the backoff succeeds
        async with asyncio.timeout(20):
            while (await readyz(d))[1].count(f"[+] {job} ({kind}): running, 1 restart(s)\n") == 0:
                run_now(d, job)
                await asyncio.sleep(0.2)
        assert (await readyz(d))[0] == 200


async def test_a_taken_trap_port_is_retried_until_free(tmp_path: Path) -> None:
    path = write_config(tmp_path, [site("S1", 9, "public")])
    blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with blocker:
        host, port = load_config(path).traps.listen.rsplit(":", 1)
        blocker.bind((host, int(port)))
        async with running_daemon(path) as d:
            m = await d.wait_for(lambda m: restarts(m, "traps") >= 1)
            assert value(m, "sitewatch_task_up", task="traps", vital="false") == 0
            _, text = await readyz(d)
            assert "[-] traps (optional): down" in text and "OSError" in text, text
            blocker.close()  # freed: the next attempt binds
            await wait_ready(d, True, "[+] traps (optional): running", within=30)
            assert d.daemon.traps is not None and d.daemon.traps.address == (host, int(port))
