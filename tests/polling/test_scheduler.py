"""The poll scheduler: spread over the interval, bounded, never overlapping a site with itself."""

from __future__ import annotations

import asyncio

from sitewatch.polling.scheduler import PollScheduler, site_offset


class FakeClock:
    def __init__(self, t: float = 0.0) -> None:
        self.t = t

    def time(self) -> float:
        return 1_700_000_000.0 + self.t

    def monotonic(self) -> float:
        return self.t


class Recorder:
    """A poll function whose polls finish only when the test says so."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.started: list[tuple[str, float]] = []
        self.gates: dict[str, asyncio.Event] = {}
        self.hold: set[str] = set()

    async def poll(self, site_id: str) -> None:
        self.started.append((site_id, self.clock.t))
        if site_id in self.hold:
            gate = self.gates.setdefault(site_id, asyncio.Event())
            await gate.wait()
            del self.gates[site_id]

    def release(self, site_id: str) -> None:
        self.hold.discard(site_id)
        if site_id in self.gates:
            self.gates[site_id].set()


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def _advance(clock: FakeClock, sched: PollScheduler, until: float, step: float = 0.5) -> None:
    while clock.t < until:
        clock.t = min(until, clock.t + step)
        sched.tick()
        await _settle()


def test_offsets_are_stable_and_within_the_interval() -> None:
    offs = [site_offset(f"GL-BTS-{i:03d}", 60) for i in range(1000)]
    assert all(0 <= o < 60 for o in offs)
    assert offs == [site_offset(f"GL-BTS-{i:03d}", 60) for i in range(1000)]
    # spread: every 6-second slice of the minute gets a share of the fleet
    buckets = [sum(1 for o in offs if k * 6 <= o < (k + 1) * 6) for k in range(10)]
    assert min(buckets) > 60, buckets


async def test_each_site_polled_once_per_interval_spread_over_it() -> None:
    clock = FakeClock(0.0)
    rec = Recorder(clock)
    sched = PollScheduler(poll=rec.poll, interval=60, concurrency=50, clock=clock)
    sites = [f"S{i}" for i in range(200)]
    sched.set_sites(sites)
    await _advance(clock, sched, 60)
    first = dict(rec.started)
    assert sorted(first) == sorted(sites)
    assert len(rec.started) == 200  # once each in the first interval
    starts = sorted(first.values())
    assert starts[0] < 6 and starts[-1] > 54  # spread, not a burst
    await _advance(clock, sched, 120)
    assert len(rec.started) == 400
    second = {s: t for s, t in rec.started[200:]}
    assert all(abs(second[s] - first[s] - 60) <= 0.5 for s in sites)  # same phase each interval
    await sched.stop()


async def test_concurrency_is_bounded_and_a_stuck_site_delays_nobody() -> None:
    clock = FakeClock(0.0)
    rec = Recorder(clock)
    sched = PollScheduler(poll=rec.poll, interval=10, concurrency=3, clock=clock)
    sites = [f"S{i}" for i in range(30)]
    rec.hold = {"S0"}  # a dead site: its poll never finishes in this test
    sched.set_sites(sites)
    await _advance(clock, sched, 10)
    assert sched.running == 1
    assert {s for s, _ in rec.started} == set(sites)  # everyone else polled on time
    assert [s for s, _ in rec.started].count("S0") == 1
    await _advance(clock, sched, 40)
    assert [s for s, _ in rec.started].count("S0") == 1  # never overlaps itself
    assert [s for s, _ in rec.started].count("S1") == 4
    rec.release("S0")
    await _settle()
    await _advance(clock, sched, 50)
    assert [s for s, _ in rec.started].count("S0") == 2  # resumes in its own phase
    await sched.stop()


async def test_concurrency_limit_queues_the_rest() -> None:
    clock = FakeClock(0.0)
    rec = Recorder(clock)
    sched = PollScheduler(poll=rec.poll, interval=1, concurrency=2, clock=clock)
    rec.hold = {f"S{i}" for i in range(6)}
    sched.set_sites(rec.hold.copy())
    await _advance(clock, sched, 1)
    assert sched.running == 2 and len(rec.started) == 2
    rec.release(rec.started[0][0])
    await _settle()
    assert sched.running == 2 and len(rec.started) == 3  # a freed slot is refilled at once
    await sched.stop()


async def test_poll_now_and_removed_sites() -> None:
    clock = FakeClock(0.0)
    rec = Recorder(clock)
    sched = PollScheduler(poll=rec.poll, interval=60, concurrency=10, clock=clock)
    sched.set_sites(["A", "B"])
    await _advance(clock, sched, 60)
    n = len(rec.started)
    sched.poll_now("A")
    await _settle()
    assert rec.started[n][0] == "A" and rec.started[n][1] == 60
    sched.set_sites(["A"])
    await _advance(clock, sched, 200)
    assert all(s == "A" for s, t in rec.started if t > 60)
    await sched.stop()


async def test_a_poll_longer_than_the_interval_skips_missed_slots() -> None:
    clock = FakeClock(0.0)
    rec = Recorder(clock)
    sched = PollScheduler(poll=rec.poll, interval=10, concurrency=10, clock=clock)
    rec.hold = {"A"}
    sched.set_sites(["A"])
    await _advance(clock, sched, 10)
    t0 = rec.started[0][1]
    await _advance(clock, sched, t0 + 25)  # the poll hangs for 2.5 intervals
    rec.release("A")
    await _settle()
    await _advance(clock, sched, t0 + 31)
    times = [t for _, t in rec.started]
    assert len(times) == 2
    assert abs(times[1] - (t0 + 30)) <= 0.5  # next slot in phase, not back to back
    await sched.stop()


async def test_a_new_interval_applies_at_once_spread_over_it() -> None:
    clock = FakeClock(0.0)
    rec = Recorder(clock)
    sched = PollScheduler(poll=rec.poll, interval=300, concurrency=50, clock=clock)
    sites = [f"S{i}" for i in range(100)]
    sched.set_sites(sites)
    await _advance(clock, sched, 300)
    assert len(rec.started) == 100
    sched.set_interval(30)  # a reload: the waiting sites do not wait out the old 5 minutes
    await _advance(clock, sched, 330)
    after = rec.started[100:]
    assert sorted(s for s, _ in after) == sorted(sites)
    starts = sorted(t for _, t in after)
    assert starts[0] < 303 and starts[-1] > 327  # spread over the new interval, not a burst
    await _advance(clock, sched, 360)
    assert len(rec.started) == 300
    await sched.stop()
