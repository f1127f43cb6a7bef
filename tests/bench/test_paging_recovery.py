"""The paging-recovery benchmark still runs, on a small storm: a short gateway outage, then the
backlog delivered once each, in order per recipient (its figures are what the README shows)."""

from __future__ import annotations

from bench.paging_recovery import run


async def test_a_small_storm_through_a_short_outage() -> None:
    figures = await run(sites=8, outage=3.0, storm=1.0, level_wait="10m")
    assert figures["sms_queued_before_recovery"] >= 8
    assert figures["backlog_not_delivered"] == 0
    assert figures["sms_delivered_twice"] == 0
    assert figures["dead_letters"] == 0
    assert figures["same_recipient_pairs_out_of_order"] == 0
    assert 0 < figures["gateway_requests_while_down"] <= 3 + 2  # down after 3 failures, then probes
    assert figures["drain_after_recovery_seconds"] <= 20  # the first probe after the outage, then at once
