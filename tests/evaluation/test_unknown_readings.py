"""An unknown reading never opens or closes anything, for every condition, including those
that combine several readings (battery low: status, charge and per-cell voltage)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitewatch.core.conditions import Condition, TransitionKind
from sitewatch.core.model import Reading
from sitewatch.evaluation.engine import RUNTIME_HOLD
from tests.evaluation.helpers import T0, Feed, context, interface

OPEN, R = TransitionKind.OPENED, TransitionKind.RESOLVED
C = Condition


def test_battery_low_opened_by_voltage_stays_open_while_the_voltage_is_unknown() -> None:
    # 44.0 V on a 48 V string (24 cells) is 1.83 V/cell: low. Status "normal" is what many UPSes say on battery.
    feed = Feed(context(hold={"battery_low": 0}))
    feed.poll(0, on_battery=1.0, battery_status="normal", battery_voltage_volts=44.0)
    assert feed.kinds(C.BATTERY_LOW) == [(0, OPEN)]
    for t in (60, 120, 180):
        feed.poll(t, on_battery=1.0, battery_status="normal")
    assert feed.kinds(C.BATTERY_LOW) == [(0, OPEN)]
    feed.poll(240, on_battery=1.0, battery_status="normal", battery_voltage_volts=44.0)
    assert feed.kinds(C.BATTERY_LOW) == [(0, OPEN)]  # no second page when the value returns
    feed.poll(300, on_battery=1.0, battery_status="normal", battery_voltage_volts=49.0)
    feed.poll(2000, on_battery=1.0, battery_status="normal", battery_voltage_volts=49.0)
    assert feed.kinds(C.BATTERY_LOW)[-1][1] is R  # a known clear voltage resolves it


def test_battery_depleted_opened_by_charge_stays_open_while_the_charge_is_unknown() -> None:
    feed = Feed(context(hold={"battery_depleted": 0}))
    feed.poll(0, on_battery=1.0, battery_status="normal", battery_charge_ratio=0.0)
    assert feed.kinds(C.BATTERY_DEPLETED) == [(0, OPEN)]
    for t in (60, 120, 180, 900):
        feed.poll(t, on_battery=1.0, battery_status="normal")
    assert feed.kinds(C.BATTERY_DEPLETED) == [(0, OPEN)]


def test_a_combined_condition_clears_on_the_readings_a_device_has() -> None:
    # a UPS without a voltage reading: charge opens battery low, and charge alone clears it
    feed = Feed(context(hold={"battery_low": 0}, clear_hold={"battery_low": 0}))
    feed.poll(0, on_battery=1.0, battery_status="normal", battery_charge_ratio=0.05)
    feed.poll(60, on_battery=1.0, battery_status="normal", battery_charge_ratio=0.8)
    assert feed.kinds(C.BATTERY_LOW) == [(0, OPEN), (60, R)]


# --- every condition: a poll that only loses readings changes nothing -----------------------

_ALARMS = ["battery_bad", "diagnostic_test_failed", "on_bypass", "output_overload", "general_fault",
           "shutdown_imminent", "charger_failed", "on_battery"]
_RATIO = st.one_of(st.sampled_from([0.0, 0.05, 0.2, 0.3, 0.5, 0.9]), st.floats(0.0, 1.0))


@st.composite
def _poll(draw: st.DrawFn) -> dict[str, float | str]:
    """One poll's readings, consistent with one power state (as a real site reports)."""
    on_battery = draw(st.booleans())
    values: dict[str, float | str] = {"on_battery": 1.0 if on_battery else 0.0,
                                      "mains_ok": 0.0 if on_battery else 1.0,
                                      "output_source": "battery" if on_battery else "normal"}
    values["battery_status"] = draw(st.sampled_from(["normal", "low", "depleted", "unknown"]))
    values["battery_charge_ratio"] = draw(_RATIO)
    values["battery_voltage_volts"] = draw(st.sampled_from([40.0, 44.0, 46.5, 49.0, 54.0]))
    values["battery_runtime_seconds"] = draw(st.sampled_from([0.0, 600.0, 1500.0, 3000.0, 9000.0]))
    values["battery_temperature_celsius"] = draw(st.sampled_from([25.0, 38.0, 41.0, 50.0]))
    values["fuel_level_ratio"] = draw(_RATIO)
    values["generator_running"] = draw(st.sampled_from([0.0, 1.0]))
    values["lvd_open"] = draw(st.sampled_from([0.0, 1.0]))
    values["rectifier_failed"] = draw(st.sampled_from([0.0, 1.0]))
    values["eth1_up"] = draw(st.sampled_from([0.0, 1.0]))
    if not on_battery:
        values["output_source"] = draw(st.sampled_from(["normal", "bypass"]))
    values["output_load_ratio"] = draw(st.sampled_from([0.4, 0.92, 1.1]))
    for phase in ("phase1", "phase2", "phase3"):
        values[phase] = 0.0 if on_battery else draw(st.sampled_from([0.0, 150.0, 175.0, 230.0, 265.0]))
    values["input_frequency_hertz"] = draw(st.sampled_from([0.0, 46.0, 47.2, 50.0, 53.5]))
    values["ambient_temperature_celsius"] = draw(st.sampled_from([28.0, 38.0, 42.0]))
    values["door_open"] = draw(st.sampled_from([0.0, 1.0]))
    values["smoke_detected"] = draw(st.sampled_from([0.0, 1.0]))
    # an alarm table (rows of the active alarms, counted by alarms_present) or alarms as 1/0 flags
    active = draw(st.sets(st.sampled_from(_ALARMS)))
    if draw(st.booleans()):
        values.update({f"alarm:{a}": 1.0 for a in active})
        values["alarms_present"] = float(len(active))
    else:
        values.update({f"alarm:{a}": 1.0 if a in active else 0.0 for a in _ALARMS})
    return values


Values = dict[str, float | str | None]


def _readings(values: Values) -> tuple[tuple[tuple[Reading, ...], ...], Values]:
    """(labelled readings, plain readings): ``eth1_up``, ``phaseN`` and ``alarm:NAME`` carry labels."""
    plain = {k: v for k, v in values.items() if k != "eth1_up" and not k.startswith(("phase", "alarm:"))}
    up = values.get("eth1_up")
    labelled = tuple(
        Reading(name="input_voltage_volts", value=v, labels=(("phase", k[-1]),)) if k.startswith("phase") else
        Reading(name="alarm_active", value=v, labels=(("alarm", k.removeprefix("alarm:")),))
        for k, v in values.items() if k.startswith(("phase", "alarm:")) and not isinstance(v, str))
    return (interface("eth1", up if isinstance(up, float) else None), labelled), plain


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=st.lists(st.tuples(st.sampled_from([0.0, 30.0, 60.0, 300.0]), _poll()), min_size=1, max_size=6),
       lost=st.data(), generator=st.booleans(), holds=st.sampled_from([0.0, 60.0]))
def test_a_reading_turning_unknown_neither_opens_nor_resolves_any_condition(
        history: list[tuple[float, dict[str, float | str]]], lost: st.DataObject, generator: bool,
        holds: float) -> None:
    names = [c.value for c in Condition]
    feed = Feed(context(generator=generator, uplinks=("eth1",), hold=dict.fromkeys(names, holds),
                        clear_hold=dict.fromkeys(names, holds)))
    t = 0.0
    for dt, values in history:
        t += dt
        links, plain = _readings(dict(values))
        feed.poll(t, *links, **plain)
    last = dict(history[-1][1])
    gone = lost.draw(st.sets(st.sampled_from(sorted(last)), min_size=1), label="readings turning unknown")
    how = lost.draw(st.sampled_from(["absent", "none"]), label="how")
    after: dict[str, float | str | None] = {k: v for k, v in last.items() if k not in gone}
    if how == "none":
        after.update(dict.fromkeys(gone))
    before = {k: c.raw for k, c in feed.state.conditions.items()}
    opened = {k for k, c in feed.state.conditions.items() if c.open}
    links, plain = _readings(after)
    out = feed.poll(t, *links, **plain)
    assert [(x.condition, x.kind) for x in out if x.kind in (OPEN, R)] == []
    assert {k: c.raw for k, c in feed.state.conditions.items()} == before
    assert {k for k, c in feed.state.conditions.items() if c.open} == opened


def test_the_readings_holding_a_condition_survive_a_restart() -> None:
    feed = Feed(context(hold={"battery_low": 0}))
    feed.poll(0, on_battery=1.0, battery_status="normal", battery_voltage_volts=44.0)
    stored = feed.state.to_json()
    assert '"signals":["voltage"]' in stored
    restarted = Feed(feed.ctx, type(feed.state).from_json(stored))
    assert restarted.state == feed.state
    restarted.poll(60, on_battery=1.0, battery_status="normal")
    restarted.poll(600, on_battery=1.0, battery_status="normal")
    assert restarted.kinds(C.BATTERY_LOW) == []
    assert restarted.state.condition(C.BATTERY_LOW).open


def test_runtime_low_does_not_follow_a_fallback_estimate_when_the_devices_figure_goes_unknown() -> None:
    feed = Feed(context(hold={"battery_runtime_low": 0}, clear_hold={"battery_runtime_low": 0}))
    feed.poll(0, on_battery=1.0, battery_charge_ratio=0.05, battery_runtime_seconds=9000.0)
    assert feed.state.runtime is not None and feed.state.runtime.method == "reported"
    # the device's figure is missing: the load estimate (100 Ah at 1000 W, 5% left) is far lower
    feed.poll(60, on_battery=1.0, battery_charge_ratio=0.05)
    assert feed.kinds(C.BATTERY_RUNTIME_LOW) == []
    assert feed.state.runtime.method == "reported" and feed.state.runtime.depletion_at == T0 + 9000
    feed.poll(120, on_battery=1.0, battery_charge_ratio=0.05, battery_runtime_seconds=8880.0)
    assert feed.kinds(C.BATTERY_RUNTIME_LOW) == []
    # gone for good: after RUNTIME_HOLD the readings at hand answer
    for t in range(180, 180 + int(RUNTIME_HOLD) + 120, 60):
        feed.poll(t, on_battery=1.0, battery_charge_ratio=0.05)
    assert [k for _, k in feed.kinds(C.BATTERY_RUNTIME_LOW)] == [OPEN]
    assert feed.state.runtime is not None and feed.state.runtime.method != "reported"
