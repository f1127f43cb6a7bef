"""The battery model's documented formula and constants, and the state it drives."""

from __future__ import annotations

import pytest

from sitewatch.simulator.battery import BatterySpec, BatteryStatus, volts_per_cell
from sitewatch.simulator.site_state import SiteState, settle

SPEC = BatterySpec.of(capacity_ah=200, nominal_volts=48, load_watts=1200)  # 9.6 kWh, 1.2 kW → 8 h


def test_runtime_is_charge_times_capacity_over_load() -> None:
    assert SPEC.runtime_seconds(1.0) == pytest.approx(8 * 3600)
    assert SPEC.runtime_seconds(0.5) == pytest.approx(4 * 3600)


def test_a_fast_forwarded_drain_moves_charge_voltage_and_runtime_together() -> None:
    # the demo's --drain 0.05: the charge falls 5 % a minute, but the load stays the site's, so the
    # current is the BTS's own (not hundreds of amperes) and the runtime falls with the charge
    before = SPEC.runtime_seconds(1.0)
    charge = SPEC.charge_after(1.0, 60, ac_present=False, drain_per_minute=0.05)
    assert charge == pytest.approx(0.95)
    assert SPEC.runtime_seconds(charge) == pytest.approx(0.95 * before)
    assert SPEC.volts(charge, ac_present=False) < SPEC.volts(1.0, ac_present=False)
    assert SPEC.amperes(charge, ac_present=False) == pytest.approx(-1200 / SPEC.volts(charge, ac_present=False))
    assert -30 < SPEC.amperes(charge, ac_present=False) < -20


def test_voltage_runs_from_float_to_end_of_discharge() -> None:
    assert SPEC.float_volts == pytest.approx(54.0)  # 24 cells x 2.25 V
    assert SPEC.volts(1.0, ac_present=True) == pytest.approx(54.0)
    assert SPEC.volts(1.0, ac_present=False) == pytest.approx(24 * 2.08)
    assert SPEC.volts(0.0, ac_present=False) == pytest.approx(42.0)  # 1.75 V/cell
    curve = [volts_per_cell(c / 20) for c in range(21)]
    assert curve == sorted(curve) and len(set(curve)) == 21


def test_status_and_current() -> None:
    assert [SPEC.status(c) for c in (1.0, 0.2, 0.19, 0.0)] == [
        BatteryStatus.NORMAL, BatteryStatus.NORMAL, BatteryStatus.LOW, BatteryStatus.DEPLETED]
    assert SPEC.amperes(1.0, ac_present=True) == 0.0  # float
    assert SPEC.amperes(0.5, ac_present=True) == pytest.approx(20.0)  # 0.1 C recharge
    assert SPEC.amperes(0.5, ac_present=False) == pytest.approx(-1200 / (24 * 1.98))


def test_state_drains_while_on_battery_and_recharges_on_ac() -> None:
    state = SiteState(site_id="S", at=1000.0).change(SPEC, 1000.0, mains_ok=False)
    assert state.on_battery and state.on_battery_since == 1000.0 and state.mains_failures == 1
    assert [a.name for a in state.alarms] == ["input_bad", "on_battery"]
    later = settle(state, SPEC, 1000.0 + 4 * 3600)
    assert later.charge == pytest.approx(0.5)
    assert later.seconds_on_battery() == 4 * 3600
    # a generator carries the load: no longer on battery, recharging at 0.1 C (10 h for full)
    running = later.change(SPEC, later.at, generator_running=True)
    assert not running.on_battery and running.alarms == ()
    assert settle(running, SPEC, running.at + 3600).charge == pytest.approx(0.6)
    # the same battery state whatever the number of steps it is settled in
    stepwise = state
    for minute in range(1, 241):
        stepwise = settle(stepwise, SPEC, 1000.0 + minute * 60)
    assert stepwise.charge == pytest.approx(later.charge)


def test_alarm_ids_follow_the_order_raised() -> None:
    state = SiteState(site_id="S", at=0.0, charge=0.25).change(SPEC, 0.0, mains_ok=False, drain_per_minute=0.01)
    low = settle(state, SPEC, 10 * 60)
    assert [(a.name, a.id, a.raised_at) for a in low.alarms] == [
        ("input_bad", 1, 0.0), ("on_battery", 2, 0.0), ("low_battery", 3, 600.0)]
    restored = low.change(SPEC, low.at, mains_ok=True)
    assert [a.name for a in restored.alarms] == ["low_battery"]  # still below 20 % while recharging
