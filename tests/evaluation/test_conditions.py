"""Each condition opens after its hold and not before, resolves after its clear hold, respects
its hysteresis, and ignores unknown readings."""

from __future__ import annotations

import pytest

from sitewatch.config.schema import Criticality
from sitewatch.core.conditions import Condition, Severity, TransitionKind
from tests.evaluation.helpers import Feed, context, of, phases, words

OPEN, R = TransitionKind.OPENED, TransitionKind.RESOLVED
C = Condition

# (condition, readings that make it active, readings that clear it, site options)
CASES = [
    (C.MAINS_LOST, {"mains_ok": 0.0}, {"mains_ok": 1.0}, {}),
    (C.MAINS_LOST, {"output_source": "battery"}, {"output_source": "normal"}, {}),
    (C.ON_BATTERY, {"on_battery": 1.0}, {"on_battery": 0.0}, {}),
    (C.BATTERY_LOW, {"battery_charge_ratio": 0.30}, {"battery_charge_ratio": 0.60}, {}),
    (C.BATTERY_LOW, {"battery_status": "low"}, {"battery_status": "normal"}, {}),
    (C.BATTERY_LOW, {"on_battery": 1.0, "battery_voltage_volts": 24 * 1.85},
     {"on_battery": 1.0, "battery_voltage_volts": 24 * 2.05}, {}),
    (C.BATTERY_RUNTIME_LOW, {"on_battery": 1.0, "battery_runtime_seconds": 1200.0},
     {"on_battery": 1.0, "battery_runtime_seconds": 3000.0}, {}),
    (C.BATTERY_RUNTIME_LOW, {"on_battery": 1.0, "battery_runtime_seconds": 1200.0}, {"on_battery": 0.0}, {}),
    (C.BATTERY_DEPLETED, {"battery_status": "depleted"}, {"battery_status": "normal"}, {}),
    (C.BATTERY_DEPLETED, {"battery_charge_ratio": 0.0}, {"battery_charge_ratio": 0.4}, {}),
    (C.LVD_OPEN, {"lvd_open": 1.0}, {"lvd_open": 0.0}, {}),
    (C.BATTERY_TEMPERATURE_HIGH, {"battery_temperature_celsius": 45.0}, {"battery_temperature_celsius": 30.0}, {}),
    (C.GENERATOR_FAILED, {"mains_ok": 0.0, "generator_running": 0.0},
     {"mains_ok": 0.0, "generator_running": 1.0}, {"generator": True}),
    (C.GENERATOR_FAILED, {"mains_ok": 0.0, "generator_running": 0.0}, {"mains_ok": 1.0}, {"generator": True}),
    (C.FUEL_LOW, {"fuel_level_ratio": 0.10}, {"fuel_level_ratio": 0.50}, {}),
    (C.RECTIFIER_FAILED, {"rectifier_failed": 1.0}, {"rectifier_failed": 0.0}, {}),
]


@pytest.mark.parametrize(("condition", "active", "clear", "options"), CASES,
                         ids=[f"{c[0].value}-{next(iter(c[1]))}" for c in CASES])
def test_opens_after_hold_and_resolves_after_clear_hold(condition: Condition, active: dict[str, float],
                                                        clear: dict[str, float], options: dict[str, bool]) -> None:
    name = condition.value
    feed = Feed(context(hold={name: 40}, clear_hold={name: 50}, **options))
    feed.poll(0, **active)
    feed.poll(39, **active)
    assert feed.kinds(condition) == []
    feed.poll(40, **active)
    assert feed.kinds(condition) == [(40, OPEN)]
    feed.poll(100, **clear)
    feed.poll(149, **clear)
    assert feed.kinds(condition) == [(40, OPEN)]
    feed.poll(150, **clear)
    assert feed.kinds(condition) == [(40, OPEN), (150, R)]


def test_mains_summary_names_the_phases_and_the_default_holds_apply() -> None:
    feed = Feed()  # defaults: mains_lost hold 30 s, clear hold 60 s
    assert feed.poll(0, phases(0, 0, 0), mains_ok=0.0) == ()
    opened = of(feed.poll(30, phases(0, 0, 0), mains_ok=0.0), C.MAINS_LOST)
    assert [(t.kind, words(t), t.source) for t in opened] == [(OPEN, "mains 0 V on 3 phases", "poll")]
    feed.poll(90, phases(229, 231, 230), mains_ok=1.0)
    resolved = of(feed.poll(150, phases(229, 231, 230), mains_ok=1.0), C.MAINS_LOST)
    assert [(t.kind, words(t)) for t in resolved] == [(R, "mains 229/231/230 V on 3 phases")]


def test_on_battery_summary_and_runtime_on_battery_transitions() -> None:
    feed = Feed(context(hold={"on_battery": 0}))
    (t,) = of(feed.poll(0, on_battery=1.0, seconds_on_battery=240.0, battery_charge_ratio=0.82,
                        battery_runtime_seconds=11400.0), C.ON_BATTERY)
    assert words(t) == "on battery for 4 min, charge 82%, ~3 h 10 min left (from the device's own figure)"
    assert t.runtime is not None and (t.runtime.seconds, t.runtime.method) == (11400.0, "reported")
    assert t.runtime.depletion_at == t.at + 11400.0


@pytest.mark.parametrize(("low", "bounce", "clear", "condition", "reading"), [
    (0.38, (0.45, 0.39, 0.48, 0.41, 0.49), 0.55, C.BATTERY_LOW, "battery_charge_ratio"),
    (0.15, (0.22, 0.19, 0.24, 0.18), 0.30, C.FUEL_LOW, "fuel_level_ratio"),
    (41.0, (39.0, 40.5, 37.5, 42.0, 38.0), 36.0, C.BATTERY_TEMPERATURE_HIGH, "battery_temperature_celsius"),
])
def test_a_value_bouncing_inside_the_hysteresis_band_moves_nothing(
        low: float, bounce: tuple[float, ...], clear: float, condition: Condition, reading: str) -> None:
    feed = Feed(context(hold={condition.value: 0}))
    feed.poll(0, **{reading: low})
    for i, value in enumerate(bounce * 4, 1):  # across the opening threshold many times
        feed.poll(60 * i, **{reading: value})
    assert feed.kinds(condition) == [(0, OPEN)]
    assert feed.state.condition(condition).changes == ()  # not even a raw change: no flapping
    feed.poll(10_000, **{reading: clear})
    assert feed.kinds(condition) == [(0, OPEN), (10_000, R)]


def test_cell_voltage_hysteresis_while_on_battery() -> None:
    feed = Feed(context(hold={"battery_low": 0}))
    feed.poll(0, on_battery=1.0, battery_voltage_volts=24 * 1.88)
    for i, v in enumerate((1.95, 1.89, 1.99, 1.92) * 3, 1):
        feed.poll(60 * i, on_battery=1.0, battery_voltage_volts=24 * v)
    assert feed.kinds(C.BATTERY_LOW) == [(0, OPEN)]
    assert words(of(tuple(feed.log), C.BATTERY_LOW)[0]).startswith("1.88 V/cell (45.1 V)")
    feed.poll(2000, on_battery=1.0, battery_voltage_volts=24 * 2.01)
    assert feed.kinds(C.BATTERY_LOW)[-1] == (2000, R)


def test_unknown_readings_neither_open_nor_close_and_do_not_reset_timers() -> None:
    feed = Feed()
    feed.poll(0, mains_ok=0.0)
    before = feed.state
    assert feed.poll(10) == () and feed.poll(20, mains_ok=None) == ()
    assert feed.state is before  # nothing remembered changed
    feed.poll(30, mains_ok=0.0)
    assert feed.kinds(C.MAINS_LOST) == [(30, OPEN)]  # the hold ran from 0 through the unknowns
    feed.poll(100, mains_ok=1.0)
    for t in range(110, 1000, 60):  # clear for 60 s, but nothing known after the first poll
        feed.poll(t, battery_status="unknown", mains_ok=None)
    assert feed.kinds(C.MAINS_LOST) == [(30, OPEN)]
    feed.poll(1000, mains_ok=1.0)
    assert feed.kinds(C.MAINS_LOST) == [(30, OPEN), (1000, R)]


def test_mains_derived_without_a_mains_reading() -> None:
    feed = Feed(context(hold={"mains_lost": 0}, clear_hold={"mains_lost": 0}))
    (t,) = of(feed.poll(0, on_battery=1.0), C.MAINS_LOST)
    assert words(t) == "mains lost (on battery, no mains reading)"
    assert of(feed.poll(60, on_battery=0.0), C.MAINS_LOST)[0].kind is R
    # with a generator, "not on battery" may be the generator carrying the load: unknown
    gen = Feed(context(generator=True, hold={"mains_lost": 0}, clear_hold={"mains_lost": 0}))
    gen.poll(0, on_battery=1.0)
    gen.poll(60, on_battery=0.0)
    gen.poll(120, on_battery=0.0, generator_running=1.0)
    assert gen.kinds(C.MAINS_LOST) == [(0, OPEN)]
    gen.poll(180, on_battery=0.0, generator_running=0.0)
    assert gen.kinds(C.MAINS_LOST) == [(0, OPEN), (180, R)]


def test_cells_inferred_from_the_float_voltage_when_nominal_is_missing() -> None:
    feed = Feed(context(nominal_voltage=None, hold={"battery_low": 0}))
    feed.poll(0, on_battery=0.0, mains_ok=1.0, battery_voltage_volts=54.2)
    assert feed.state.cells == 24
    (t,) = of(feed.poll(60, on_battery=1.0, battery_voltage_volts=44.0), C.BATTERY_LOW)
    assert words(t).startswith("1.83 V/cell (44.0 V)")
    unknown = Feed(context(nominal_voltage=None, hold={"battery_low": 0}))
    assert of(unknown.poll(0, on_battery=1.0, battery_voltage_volts=44.0), C.BATTERY_LOW) == []


def test_generator_failed_needs_a_generator_and_mains_lost() -> None:
    none = Feed(context(generator=False))
    none.poll(0, mains_ok=0.0, generator_running=0.0)
    none.poll(600, mains_ok=0.0, generator_running=0.0)
    assert none.kinds(C.GENERATOR_FAILED) == []
    gen = Feed(context(generator=True))
    gen.poll(0, mains_ok=1.0, generator_running=0.0)  # on mains the generator is supposed to rest
    assert gen.kinds(C.GENERATOR_FAILED) == []
    gen.poll(60, mains_ok=0.0, generator_running=0.0)
    assert gen.kinds(C.GENERATOR_FAILED) == []  # the generator gets its start-up hold (120 s)
    gen.poll(120, mains_ok=0.0, generator_running=0.0)
    assert gen.kinds(C.GENERATOR_FAILED) == []
    gen.poll(180, mains_ok=0.0, generator_running=0.0)
    assert gen.kinds(C.GENERATOR_FAILED) == [(180, OPEN)]
    assert words(gen.log[-1]) == "mains lost and generator not running"


def test_battery_depleted_and_low_both_open_on_depleted() -> None:
    feed = Feed()
    out = feed.poll(0, battery_status="depleted", battery_charge_ratio=0.0)
    assert {t.condition for t in out if t.kind is OPEN} == {C.BATTERY_DEPLETED, C.BATTERY_LOW}


def test_severity_follows_the_site_criticality() -> None:
    normal, critical = context(), context(criticality=Criticality.CRITICAL)
    assert normal.severity(C.MAINS_LOST) is Severity.WARNING
    assert critical.severity(C.MAINS_LOST) is Severity.CRITICAL
    assert context(criticality=Criticality.HIGH).severity(C.LINK_DOWN) is Severity.CRITICAL
    assert normal.severity(C.BATTERY_DEPLETED) is Severity.CRITICAL
