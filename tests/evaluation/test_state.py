"""The evaluation state survives a restart (JSON round trip) with the same timers, stays small,
and does not change when nothing happens."""

from __future__ import annotations

import json

import pytest

from sitewatch.core.conditions import Condition, TransitionKind
from sitewatch.evaluation import SiteEvalState
from sitewatch.evaluation.battery import MAX_SAMPLES
from tests.evaluation.helpers import Feed, context, interface

OPEN, R = TransitionKind.OPENED, TransitionKind.RESOLVED
M = Condition.MAINS_LOST


def _restart(feed: Feed) -> Feed:
    """kill -9 and start again: only the JSON the store kept survives."""
    return Feed(context(), SiteEvalState.from_json(feed.state.to_json()))


def _script(feed: Feed, start: int, stop: int) -> None:
    """Mains lost at 0 for 200 s, then 14 polls of flapping, then steady mains."""
    for t in range(start, stop, 10):
        ok = 0.0 if t < 200 else (float(t // 60 % 2) if t < 1040 else 1.0)
        feed.poll(t, mains_ok=ok, on_battery=1.0 - ok, battery_charge_ratio=1.0 - t / 10_000)
        if t % 300 == 0:
            feed.fail(t + 5)


@pytest.mark.parametrize("cut", [20, 230, 700, 1100])  # mid hold, mid clear hold, mid flap, mid steady
def test_a_restart_anywhere_continues_the_same_timers(cut: int) -> None:
    straight = Feed()
    _script(straight, 0, 3000)
    first = Feed()
    _script(first, 0, cut)
    second = _restart(first)
    _script(second, cut, 3000)
    assert first.log + second.log == straight.log
    assert second.state == straight.state


def test_round_trip_of_a_busy_state() -> None:
    feed = Feed(context(hold={"link_down": 0}, nominal_voltage=None))
    feed.poll(0, interface("eth1", 0.0), mains_ok=1.0, battery_voltage_volts=54.0)
    for t in range(60, 1200, 60):
        feed.poll(t, interface("eth1", 0.0), mains_ok=float(t // 60 % 2), on_battery=1.0,
                  battery_charge_ratio=1 - t / 5000, battery_voltage_volts=49.0, battery_runtime_seconds=9000.0 - t)
    feed.fail(1300)
    s = feed.state
    assert s.conditions and s.battery and s.runtime and s.cells == 24 and s.failed_polls == 1
    text = s.to_json()
    assert SiteEvalState.from_json(text) == s
    assert json.loads(text)["v"] == 1
    assert SiteEvalState().to_json() == '{"v":1}'


@pytest.mark.parametrize("bad", ["", "[]", '{"v":99}', '{"v":1,"conditions":[{"c":"no_such"}]}',
                                 '{"v":1,"battery":[[1]]}'])
def test_garbage_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        SiteEvalState.from_json(bad)


def test_nothing_changes_in_steady_state() -> None:
    feed = Feed()
    ok = dict(mains_ok=1.0, on_battery=0.0, battery_charge_ratio=1.0, battery_status="normal",
              battery_voltage_volts=54.0, battery_temperature_celsius=25.0, lvd_open=0.0, rectifier_failed=0.0)
    feed.poll(0, interface("eth0", 1.0), **ok)
    before = feed.state
    assert before == SiteEvalState() and before.to_json() == '{"v":1}'  # a healthy site remembers nothing
    assert feed.poll(60, interface("eth0", 1.0), **ok) == ()
    assert feed.state is before and not feed.state.changed_from(before)
    feed.poll(120, interface("eth0", 1.0), **{**ok, "mains_ok": 0.0})
    assert feed.state.changed_from(before)


def test_state_stays_bounded_through_a_long_outage() -> None:
    feed = Feed()
    for t in range(0, 10 * 3600, 10):
        feed.poll(t, mains_ok=float(t // 10 % 2), on_battery=1.0, battery_charge_ratio=max(0.0, 1 - t / 40_000))
    s = feed.state
    assert len(s.battery) == MAX_SAMPLES
    assert all(b.at - a.at >= 60 for a, b in zip(s.battery[:-2], s.battery[1:-1], strict=True))
    assert len(s.condition(M).changes) <= 91  # 900 s window at one change per 10 s poll
    assert len(s.to_json()) < 6000
    assert [k for _, k in feed.kinds(M)] == [OPEN]
