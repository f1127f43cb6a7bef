"""A site's poll never outlasts its budget, and cancelling a poll still cancels it.

The budget is enforced by one periodic check for all running polls (not a timer per poll); these
tests poll an agent that never answers (a bound UDP socket on 127.0.0.1 that reads nothing)
with a per-request timeout far longer than the budget.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from sitewatch.clock import SystemClock
from sitewatch.model import PollErrorKind
from sitewatch.poller import BUDGET_SWEEP_SECONDS, ClientRouter, SitePlan, SitePoller, TargetPlan
from sitewatch.snmp.client import Target
from sitewatch.snmp.lean_client import LeanSnmpClient
from sitewatch.snmp.profiles import load_profiles


@pytest.fixture
def silent_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


@pytest.fixture
async def poller() -> AsyncIterator[SitePoller]:
    client = LeanSnmpClient()
    yield SitePoller(clients=ClientRouter(v1v2=client, v3=client), profiles=load_profiles(), clock=SystemClock())
    await client.close()


def plan(site_id: str, port: int, budget: float) -> SitePlan:
    target = Target(host="127.0.0.1", port=port, community=b"public", timeout=30.0, retries=0)
    return SitePlan(site_id=site_id, budget=budget, targets=(TargetPlan(target=target, profile_names=("ups-mib",)),))


async def test_a_poll_that_outlasts_its_budget_is_a_timeout_at_the_budget(poller: SitePoller,
                                                                            silent_port: int) -> None:
    t0 = time.monotonic()
    results = await asyncio.gather(*(poller.poll(plan(f"S{i}", silent_port, budget)) for i, budget in
                                     enumerate((0.3, 0.3, 0.6))))
    elapsed = time.monotonic() - t0
    assert [r.error for r in results] == [PollErrorKind.TIMEOUT] * 3
    assert results[0].error_detail == "site poll exceeded its 0.3s budget"
    for r, budget in zip(results, (0.3, 0.3, 0.6), strict=True):
        assert budget <= r.duration_seconds < budget + BUDGET_SWEEP_SECONDS + 0.2
    assert elapsed < 0.6 + BUDGET_SWEEP_SECONDS + 0.3
    assert not any(r.ok for r in results)


async def test_cancelling_a_poll_is_not_taken_for_its_budget(poller: SitePoller, silent_port: int) -> None:
    task = asyncio.create_task(poller.poll(plan("S1", silent_port, 5.0)))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_poll_within_its_budget_is_left_alone(poller: SitePoller, silent_port: int) -> None:
    # budgets that ran out after their polls ended cancel nothing: a later poll in the same task
    # runs to its own end
    first = await poller.poll(plan("S1", silent_port, 0.2))
    assert first.error is PollErrorKind.TIMEOUT
    await asyncio.sleep(3 * BUDGET_SWEEP_SECONDS)
    sleeper = asyncio.current_task()
    assert sleeper is not None and sleeper.cancelling() == 0
    second = await poller.poll(plan("S2", silent_port, 0.4))
    assert second.error is PollErrorKind.TIMEOUT and second.duration_seconds >= 0.4
