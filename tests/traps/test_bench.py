"""The trap latency bench runs end to end (a few traps, so it stays cheap)."""

from __future__ import annotations

from bench.trap_latency import Stage, measure
from sitewatch.core.conditions import Condition, TrapEvent


async def test_bench_measures_every_trap_and_runs_the_stage() -> None:
    staged: list[TrapEvent] = []

    async def stage(event: TrapEvent) -> None:
        staged.append(event)

    s: Stage = stage
    report = await measure(20, 400.0, "tight", s, stage_name="collect", warmup=3)
    assert report["received"] == 20
    assert report["counts"]["accepted"] == 23
    assert len(staged) == 23
    assert staged[0].asserts == ((Condition.ON_BATTERY, "", True), (Condition.MAINS_LOST, "", True))
    for key in ("receive_to_event", "send_to_event", "send_to_done"):
        assert report[key]["n"] == 20
        assert 0 <= report[key]["p50_ms"] <= report[key]["p99_ms"] <= report[key]["max_ms"]
    assert report["first_trap_ms"] is not None
