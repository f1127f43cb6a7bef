"""The supervisor on its own: restarts with backoff, counting, once-per-outage tracebacks,
vital vs optional, jobs that fail until they succeed."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from sitewatch.core.clock import SystemClock
from sitewatch.runtime.supervisor import Backoff, Supervisor

FAST = Backoff(initial=0.05, maximum=0.2)


async def until(check: Callable[[], bool], within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while True:
            if check():
                return
            await asyncio.sleep(0.01)


def test_backoff_doubles_up_to_its_maximum() -> None:
    assert [Backoff(initial=1, maximum=30).delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


async def test_a_task_that_keeps_failing_is_down_counted_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    changes: list[bool] = []
    sup = Supervisor(clock=SystemClock(), backoff=FAST, settle=0.3)
    sup.on_change = lambda: changes.append(sup.healthy())
    failing = True
    runs = 0

    async def worker() -> None:
        nonlocal runs
        runs += 1
        if failing:
            raise OSError("database is locked")
        await asyncio.Event().wait()

    with caplog.at_level(logging.DEBUG, logger="sitewatch.runtime.supervisor"):
        sup.start("outbox", worker, vital=True)
        await until(lambda: runs >= 4)
        [st] = sup.status()
        assert not st.up and not sup.healthy() and st.restarts >= 3 and st.error == "OSError: database is locked"
        assert [s.name for s in sup.down()] == ["outbox"]
        assert sup.describe()[0].startswith("[-] outbox (vital): down for 0 s, ")
        tracebacks = [r for r in caplog.records if r.exc_info]
        assert len(tracebacks) == 1 and "vital task outbox failed" in tracebacks[0].getMessage()
        failing = False
        await until(sup.healthy)
    assert changes == [False, True]
    assert sup.describe() == [f"[+] outbox (vital): running, {sup.status()[0].restarts} restart(s)"]
    assert any("outbox is running again" in r.getMessage() for r in caplog.records)
    await sup.stop()


async def test_a_task_that_ends_on_its_own_is_restarted_but_not_after_stop() -> None:
    sup = Supervisor(clock=SystemClock(), backoff=FAST)
    runs = 0

    async def once() -> None:
        nonlocal runs
        runs += 1

    sup.start("traps", once, vital=False)
    await until(lambda: runs >= 2)
    st = sup.status()[0]
    assert st.error == "RuntimeError: the task ended on its own" and st.restarts >= 1
    assert sup.healthy()  # optional tasks never make sitewatch unhealthy
    keeper = next(t for t in asyncio.all_tasks() if t.get_name() == "supervise-traps")
    sup.stopping()
    await sup.stop()
    assert keeper.done()  # the loop that restarts it has ended: nothing runs it again


async def test_a_restart_that_fails_at_once_never_counts_as_up() -> None:
    sup = Supervisor(clock=SystemClock(), backoff=Backoff(initial=0.02, maximum=0.02), settle=0.5)
    ups: list[bool] = []
    sup.on_change = lambda: ups.append(sup.healthy())
    runs = 0

    async def crash() -> None:
        nonlocal runs
        runs += 1
        raise ValueError("boom")

    sup.start("outbox", crash, vital=True)
    await until(lambda: runs >= 10)
    assert ups == [False]  # down once, and never up between the ten attempts
    await sup.stop()


async def test_a_failing_job_is_down_until_a_run_succeeds_and_skips_runs_in_its_backoff() -> None:
    sup = Supervisor(clock=SystemClock(), backoff=Backoff(initial=0.2, maximum=1))
    calls = 0
    fail = True

    async def tick() -> None:
        nonlocal calls
        calls += 1
        if fail:
            raise KeyError("site")

    job = sup.job("escalation-timers", tick, vital=True)
    await job()
    assert calls == 1 and not sup.healthy() and sup.status()[0].restarts == 1
    fail = False
    await job()  # within the backoff: skipped
    assert calls == 1 and not sup.healthy()
    await asyncio.sleep(0.25)
    await job()
    assert calls == 2 and sup.healthy() and sup.status()[0].error == "KeyError: 'site'"


def test_the_collector_exposes_restarts_and_up_per_task() -> None:
    sup = Supervisor(clock=SystemClock())
    sup.job("heartbeat", lambda: asyncio.sleep(0), vital=False)
    sup.job("dispatch-due-polls", lambda: asyncio.sleep(0), vital=True)
    registry = CollectorRegistry()
    registry.register(sup.collector())
    text = generate_latest(registry).decode()
    assert 'sitewatch_task_restarts_total{task="heartbeat"} 0.0' in text
    assert 'sitewatch_task_up{task="dispatch-due-polls",vital="true"} 1.0' in text
    with pytest.raises(ValueError, match="already supervised"):
        sup.job("heartbeat", lambda: asyncio.sleep(0), vital=False)


async def test_a_task_that_fails_again_soon_after_settling_backs_off_longer() -> None:
    sup = Supervisor(clock=SystemClock(), backoff=Backoff(initial=0.05, maximum=10), settle=0.05)
    ended: list[float] = []
    loop = asyncio.get_running_loop()

    async def flaky() -> None:
        ended.append(loop.time())
        await asyncio.sleep(0.1)  # settles (up), then fails well before running `maximum`
        raise OSError("flaky")

    sup.start("outbox", flaky, vital=True)
    await until(lambda: len(ended) >= 4)
    await sup.stop()
    gaps = [b - a - 0.1 for a, b in itertools.pairwise(ended)]  # the backoff between runs
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1 and gaps[2] >= 0.2, gaps
    assert sup.status()[0].restarts >= 3
