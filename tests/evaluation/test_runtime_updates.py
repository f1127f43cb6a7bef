"""The runtime estimate inside evaluation: battery_runtime_low during a simulated discharge,
runtime on battery transitions, and UPDATED only when the prediction really moves."""

from __future__ import annotations

from sitewatch.core.conditions import Condition, TransitionKind
from sitewatch.simulator.battery import BatterySpec
from tests.evaluation.helpers import T0, Feed, context, words

SPEC = BatterySpec.of(capacity_ah=100, nominal_volts=48, load_watts=2400)  # 2 h on a full charge
UPDATED = TransitionKind.UPDATED


def _discharge(feed: Feed, start: float, stop: float, charge: float, spec: BatterySpec = SPEC) -> float:
    """Polls every 60 s on battery from ``start`` to ``stop`` (the simulator's readings, no
    device runtime) under ``spec``'s load; returns the charge at ``stop``."""
    t = start
    while t < stop:
        feed.poll(t, mains_ok=0.0, on_battery=1.0, battery_charge_ratio=round(charge, 2),
                  battery_voltage_volts=round(spec.volts(charge, ac_present=False), 1),
                  battery_current_amperes=round(spec.amperes(charge, ac_present=False), 1))
        charge = spec.charge_after(charge, 60, ac_present=False, drain_per_minute=None)
        t += 60
    return charge


def test_runtime_low_opens_with_a_sensible_estimate_and_updates_stay_rare() -> None:
    feed = Feed(context(capacity_ah=100, nominal_voltage=48, load_watts=2400))
    feed.poll(-60, mains_ok=1.0, on_battery=0.0, battery_charge_ratio=1.0)
    assert feed.state.runtime is None
    _discharge(feed, 0, 7200, 1.0)
    (low,) = [t for t in feed.log if t.condition is Condition.BATTERY_RUNTIME_LOW and t.kind is not UPDATED]
    true_left = 7200 - (low.at - T0)
    assert low.kind is TransitionKind.OPENED and low.runtime is not None
    assert 1740 <= true_left <= 1800 + 120  # opened within two polls of the threshold
    assert abs(low.runtime.seconds - true_left) < 0.05 * true_left
    assert low.runtime.method in ("charge_trend", "voltage_trend")
    assert "threshold 30 min" in words(low)
    on_battery = [t for t in feed.log if t.condition is Condition.ON_BATTERY]
    assert on_battery[0].kind is TransitionKind.OPENED and on_battery[0].runtime is not None
    # a steady discharge: the prediction holds still, so 120 polls give a few updates (the trend
    # taking over from the capacity estimate; the last minutes, when the voltage falls off)
    assert sum(t.kind is UPDATED for t in on_battery) <= 3
    s = feed.state
    assert s.runtime is not None and abs(s.runtime.depletion_at - (T0 + 7200)) < 300


def test_a_load_step_updates_the_open_incident() -> None:
    feed = Feed(context(capacity_ah=100, nominal_voltage=48, load_watts=2400))
    charge = _discharge(feed, 0, 1800, 1.0)
    before = len(feed.log)
    tripled = BatterySpec.of(capacity_ah=100, nominal_volts=48, load_watts=3 * 2400)
    _discharge(feed, 1800, 2700, charge, tripled)  # the load triples
    updates = [t for t in feed.log[before:] if t.condition is Condition.ON_BATTERY and t.kind is UPDATED]
    assert updates, "the predicted depletion moved by far more than 20 %"
    assert updates[-1].runtime is not None and updates[-1].runtime.seconds < 0.5 * (7200 - 2700)


def test_back_on_mains_resolves_and_forgets_the_window() -> None:
    feed = Feed(context(capacity_ah=100, nominal_voltage=48, load_watts=2400))
    _discharge(feed, 0, 600, 1.0)
    assert feed.state.battery and feed.state.on_battery_since == T0
    feed.poll(600, mains_ok=1.0, on_battery=0.0, battery_charge_ratio=0.9)
    feed.poll(660, mains_ok=1.0, on_battery=0.0, battery_charge_ratio=0.9)
    resolved = [t.condition for t in feed.log if t.kind is TransitionKind.RESOLVED]
    assert set(resolved) == {Condition.MAINS_LOST, Condition.ON_BATTERY}
    s = feed.state
    assert (s.battery, s.on_battery_since, s.runtime) == ((), None, None)


def test_a_second_poll_at_the_same_instant_does_not_weigh_the_battery_twice() -> None:
    # two answers at one instant (a trap's confirmation poll next to the scheduled one): the charge
    # trend is one sample there, not two, so the estimate and the runtime incident do not move
    feed = Feed(context(hold={"battery_runtime_low": 0}))
    battery = {"on_battery": 1.0, "battery_status": "normal", "battery_runtime_seconds": 0.0}
    feed.poll(0, **battery, battery_charge_ratio=0.0, battery_voltage_volts=49.0)
    feed.poll(300, **battery, battery_charge_ratio=0.2, battery_voltage_volts=46.5, lvd_open=0.0)
    before = feed.kinds(Condition.BATTERY_RUNTIME_LOW)
    assert feed.poll(300, **battery, battery_charge_ratio=0.2, battery_voltage_volts=46.5) == ()
    assert feed.kinds(Condition.BATTERY_RUNTIME_LOW) == before
