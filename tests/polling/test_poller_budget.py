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

from sitewatch.core.clock import SystemClock
from sitewatch.core.model import PollErrorKind
from sitewatch.polling.poller import ClientRouter, SitePlan, SitePoller, TargetPlan
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


def plan(site_id: str, port: int, budget: float, request_timeout: float = 30.0) -> SitePlan:
    target = Target(host="127.0.0.1", port=port, community=b"public", timeout=request_timeout, retries=0)
    return SitePlan(site_id=site_id, budget=budget, targets=(TargetPlan(target=target, profile_names=("ups-mib",)),))


#: far below the 30 s request timeout: a poll this much over its budget was not cut by it
CUT_BY_THE_BUDGET = 5.0


async def test_a_poll_that_outlasts_its_budget_is_a_timeout_at_the_budget(poller: SitePoller,
                                                                            silent_port: int) -> None:
    budgets = (0.3, 0.3, 0.6)
    results = await asyncio.gather(*(poller.poll(plan(f"S{i}", silent_port, b)) for i, b in enumerate(budgets)))
    assert [r.error for r in results] == [PollErrorKind.TIMEOUT] * 3
    assert [r.error_detail for r in results] == [f"site poll exceeded its {b:g}s budget" for b in budgets]
    for r, budget in zip(results, budgets, strict=True):
        # never before its budget (the 0.6 s poll outlives the 0.3 s ones' sweeps), and cut by it:
        # the SNMP request alone would have waited 30 s
        assert budget <= r.duration_seconds < budget + CUT_BY_THE_BUDGET, (budget, r.duration_seconds)


async def test_cancelling_a_poll_is_not_taken_for_its_budget(poller: SitePoller, silent_port: int) -> None:
    task = asyncio.create_task(poller.poll(plan("S1", silent_port, 5.0)))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_budget_that_runs_out_after_its_poll_ended_cancels_nothing(poller: SitePoller,
                                                                           silent_port: int) -> None:
    # the first poll ends at its SNMP timeout, long before its budget; the second, in the same
    # task, is still running when the first's budget runs out, and must run to its own
    first = await poller.poll(plan("S1", silent_port, 1.0, request_timeout=0.1))
    assert first.error is PollErrorKind.TIMEOUT and "budget" not in first.error_detail, first.error_detail
    t0 = time.monotonic()
    second = await poller.poll(plan("S2", silent_port, 1.5))
    assert second.error_detail == "site poll exceeded its 1.5s budget"
    assert second.duration_seconds >= 1.5 and time.monotonic() - t0 >= 1.5
