"""What the on-call must act on besides an outage: a UPS that cannot carry the next one (battery
bad, charger failed, on bypass, overloaded, faulted), a grid that is degrading (a phase lost, the
voltage or frequency out of range), a shelter whose cooling failed, a door open, smoke.

Each opens after its hold and resolves after its clear hold; an unknown reading changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sitewatch.config.loader import load_config
from sitewatch.config.schema import Criticality
from sitewatch.core.conditions import POWER_CONDITIONS, Condition, Severity, TransitionKind
from sitewatch.core.model import Reading
from sitewatch.evaluation import site_context
from tests.evaluation.helpers import Feed, context, of, phases, words
from tests.evaluation.helpers import alarms as table

OPEN, R = TransitionKind.OPENED, TransitionKind.RESOLVED
C = Condition
Poll = tuple[tuple[Reading, ...], dict[str, float | str]]


def ups_mib(*active: str) -> Poll:
    """A UPS-MIB agent: upsAlarmTable lists the active alarms, upsAlarmsPresent counts them."""
    return table(*active), {"alarms_present": float(len(active)), "output_source": "normal"}


def flags(**values: float) -> Poll:
    """An agent giving each alarm as 1/0 (APC PowerNet, Eaton XUPS scalars)."""
    return table(**values), {}


def plain(**values: float | str) -> Poll:
    return (), dict(values)


# (condition, a poll that makes it active, a poll that clears it)
CASES: list[tuple[Condition, Poll, Poll]] = [
    (C.BATTERY_BAD, ups_mib("battery_bad"), ups_mib()),
    (C.BATTERY_BAD, ups_mib("diagnostic_test_failed"), ups_mib()),
    (C.BATTERY_BAD, flags(battery_bad=1.0), flags(battery_bad=0.0)),
    (C.UPS_ON_BYPASS, plain(output_source="bypass"), plain(output_source="normal")),
    (C.UPS_ON_BYPASS, ups_mib("on_bypass"), ups_mib()),
    (C.UPS_OVERLOAD, ups_mib("output_overload"), ups_mib()),
    (C.UPS_OVERLOAD, plain(output_load_ratio=1.07), plain(output_load_ratio=0.6)),
    (C.UPS_FAULT, ups_mib("general_fault"), ups_mib()),
    (C.UPS_FAULT, ups_mib("ups_output_off"), ups_mib()),
    (C.UPS_FAULT, ups_mib("shutdown_imminent"), ups_mib()),
    (C.CHARGER_FAILED, ups_mib("charger_failed"), ups_mib()),
    (C.MAINS_PHASE_LOST, (phases(231, 0, 229), {}), (phases(231, 228, 229), {})),
    (C.INPUT_OUT_OF_RANGE, (phases(231, 165, 229), {}), (phases(231, 228, 229), {})),
    (C.INPUT_OUT_OF_RANGE, (phases(272), {}), (phases(231), {})),
    (C.INPUT_OUT_OF_RANGE, plain(input_frequency_hertz=46.1), plain(input_frequency_hertz=50.0)),
    (C.ROOM_TEMPERATURE_HIGH, plain(ambient_temperature_celsius=43.0), plain(ambient_temperature_celsius=28.0)),
    (C.DOOR_OPEN, plain(door_open=1.0), plain(door_open=0.0)),
    (C.SMOKE, plain(smoke_detected=1.0), plain(smoke_detected=0.0)),
]


def poll(feed: Feed, t: float, p: Poll) -> None:
    feed.poll(t, p[0], **p[1])


@pytest.mark.parametrize(("condition", "active", "clear"), CASES,
                         ids=[f"{c[0].value}-{i}" for i, c in enumerate(CASES)])
def test_opens_after_hold_and_resolves_after_clear_hold(condition: Condition, active: Poll, clear: Poll) -> None:
    name = condition.value
    feed = Feed(context(hold={name: 40}, clear_hold={name: 50}))
    poll(feed, 0, active)
    poll(feed, 39, active)
    assert feed.kinds(condition) == []
    poll(feed, 40, active)
    assert feed.kinds(condition) == [(40, OPEN)]
    poll(feed, 100, clear)
    poll(feed, 149, clear)
    assert feed.kinds(condition) == [(40, OPEN)]
    poll(feed, 150, clear)
    assert feed.kinds(condition) == [(40, OPEN), (150, R)]


@pytest.mark.parametrize(("condition", "active", "clear"), CASES,
                         ids=[f"{c[0].value}-{i}" for i, c in enumerate(CASES)])
def test_a_poll_without_the_reading_neither_opens_nor_resolves(condition: Condition, active: Poll,
                                                                clear: Poll) -> None:
    feed = Feed(context(hold={condition.value: 0}, clear_hold={condition.value: 0}))
    poll(feed, 0, active)
    assert feed.kinds(condition) == [(0, OPEN)]
    for t in (60, 120):
        feed.poll(t, battery_status="normal")  # the device answered, without the readings behind it
    assert feed.kinds(condition) == [(0, OPEN)] and feed.state.condition(condition).open
    poll(feed, 180, clear)
    assert feed.kinds(condition) == [(0, OPEN), (180, R)]


def test_the_default_holds_and_severities() -> None:
    feed = Feed()
    for t in (0, 59):
        poll(feed, t, ups_mib("on_bypass"))  # a transfer passes through bypass: not yet
    assert feed.kinds(C.UPS_ON_BYPASS) == []
    poll(feed, 60, ups_mib("on_bypass"))
    assert feed.kinds(C.UPS_ON_BYPASS) == [(60, OPEN)]
    feed.poll(0, door_open=1.0)
    feed.poll(29, door_open=1.0)
    assert feed.kinds(C.DOOR_OPEN) == []
    feed.poll(30, door_open=1.0)
    assert feed.kinds(C.DOOR_OPEN) == [(30, OPEN)]
    feed.poll(31, smoke_detected=1.0)
    assert feed.kinds(C.SMOKE) == [(31, OPEN)]  # smoke pages at once
    feed.poll(100, smoke_detected=0.0)
    feed.poll(399, smoke_detected=0.0)
    assert feed.kinds(C.SMOKE) == [(31, OPEN)]  # and is not over because it paused
    feed.poll(400, smoke_detected=0.0)
    assert feed.kinds(C.SMOKE) == [(31, OPEN), (400, R)]
    normal = context()
    assert [normal.severity(c) for c in (C.BATTERY_BAD, C.UPS_ON_BYPASS, C.UPS_OVERLOAD, C.UPS_FAULT,
                                         C.CHARGER_FAILED, C.MAINS_PHASE_LOST, C.INPUT_OUT_OF_RANGE,
                                         C.ROOM_TEMPERATURE_HIGH, C.DOOR_OPEN, C.SMOKE)] == [
        Severity.MAJOR, Severity.MAJOR, Severity.MAJOR, Severity.CRITICAL, Severity.MAJOR, Severity.WARNING,
        Severity.WARNING, Severity.MAJOR, Severity.WARNING, Severity.CRITICAL]
    high = context(criticality=Criticality.HIGH)
    assert (high.severity(C.DOOR_OPEN), high.severity(C.BATTERY_BAD)) == (Severity.MAJOR, Severity.CRITICAL)


def test_a_parent_outage_never_suppresses_them() -> None:
    assert {C.BATTERY_BAD, C.UPS_ON_BYPASS, C.UPS_OVERLOAD, C.UPS_FAULT, C.CHARGER_FAILED, C.MAINS_PHASE_LOST,
            C.INPUT_OUT_OF_RANGE, C.ROOM_TEMPERATURE_HIGH, C.DOOR_OPEN, C.SMOKE} <= POWER_CONDITIONS


# --- alarm tables: an alarm not listed is clear only when the list is known complete ---------

def test_an_alarm_table_row_lost_while_the_count_still_has_it_is_unknown() -> None:
    feed = Feed(context(hold={"battery_bad": 0}, clear_hold={"battery_bad": 0}))
    feed.poll(0, table("battery_bad", "on_battery"), alarms_present=2.0)
    assert feed.kinds(C.BATTERY_BAD) == [(0, OPEN)]
    feed.poll(60, table("on_battery"), alarms_present=2.0)  # a row missing from the walk
    feed.poll(120, table("on_battery"), alarms_present=None)
    assert feed.kinds(C.BATTERY_BAD) == [(0, OPEN)]
    feed.poll(180, table("on_battery"), alarms_present=1.0)  # the agent says one alarm: this one is gone
    assert feed.kinds(C.BATTERY_BAD) == [(0, OPEN), (180, R)]


def test_the_summary_names_the_alarm_in_the_readers_words() -> None:
    feed = Feed(context(hold={"battery_bad": 0, "ups_fault": 0, "ups_on_bypass": 0}))
    out = feed.poll(0, table("diagnostic_test_failed", "shutdown_imminent", "on_bypass"), alarms_present=3.0,
                    output_source="bypass")
    assert words(of(out, C.BATTERY_BAD)[0]) == "device reports battery self-test failed"
    assert words(of(out, C.UPS_FAULT)[0]) == "device reports shutdown imminent, output bypass"
    assert words(of(out, C.UPS_ON_BYPASS)[0]) == "device reports on bypass, output bypass"
    out = feed.poll(60, table(), alarms_present=0.0, output_source="normal")
    assert words(of(out, C.BATTERY_BAD)[0]) == "alarm no longer reported"


def test_bypass_is_still_mains_present() -> None:
    feed = Feed(context(hold={"ups_on_bypass": 0}))
    feed.poll(0, output_source="bypass")
    assert feed.kinds(C.UPS_ON_BYPASS) == [(0, OPEN)]
    assert feed.kinds(C.MAINS_LOST) == [] and feed.kinds(C.ON_BATTERY) == []


def test_overload_hysteresis_and_thresholds_from_config() -> None:
    feed = Feed(context(hold={"ups_overload": 0}, clear_hold={"ups_overload": 0}, ups_load_high=0.95,
                        ups_load_clear=0.8))
    for i, load in enumerate((0.96, 0.9, 0.94, 0.85, 0.93)):
        feed.poll(60 * i, output_load_ratio=load)
    assert feed.kinds(C.UPS_OVERLOAD) == [(0, OPEN)]
    assert words(feed.log[0]) == "load 96%"
    feed.poll(600, output_load_ratio=0.7)
    assert feed.kinds(C.UPS_OVERLOAD) == [(0, OPEN), (600, R)]


# --- mains phases --------------------------------------------------------------------------

def test_single_phase_sites_never_lose_a_phase() -> None:
    feed = Feed(context(hold={"mains_phase_lost": 0}))
    for t, volts in enumerate((0.0, 230.0, 40.0, 231.0)):
        feed.poll(60 * t, phases(volts))
    assert feed.kinds(C.MAINS_PHASE_LOST) == []


def test_one_phase_of_three_lost_and_back() -> None:
    feed = Feed()  # default: hold 30 s, clear hold 60 s
    feed.poll(0, phases(231, 0, 229))
    (t,) = of(feed.poll(30, phases(231, 0, 229)), C.MAINS_PHASE_LOST)
    assert (t.kind, words(t)) == (OPEN, "mains 231/0/229 V on 3 phases")
    feed.poll(60, phases(231, 150, 229))  # coming back, not yet there (hysteresis)
    feed.poll(200, phases(231, 150, 229))
    assert feed.kinds(C.MAINS_PHASE_LOST) == [(30, OPEN)]
    feed.poll(300, phases(231, 226, 229))
    feed.poll(360, phases(231, 226, 229))
    assert feed.kinds(C.MAINS_PHASE_LOST) == [(30, OPEN), (360, R)]


def test_every_phase_lost_is_mains_lost_not_a_phase_lost() -> None:
    feed = Feed(context(hold={"mains_phase_lost": 0, "input_out_of_range": 0}))
    feed.poll(0, phases(0, 0, 0), mains_ok=0.0)
    assert feed.kinds(C.MAINS_PHASE_LOST) == [] and feed.kinds(C.INPUT_OUT_OF_RANGE) == []


def test_a_phase_unknown_keeps_a_phase_lost_open_and_opens_nothing() -> None:
    feed = Feed(context(hold={"mains_phase_lost": 0}, clear_hold={"mains_phase_lost": 0}))
    feed.poll(0, phases(231, 0, 229))
    feed.poll(60, phases(231, None, 229))
    assert feed.kinds(C.MAINS_PHASE_LOST) == [(0, OPEN)]
    fresh = Feed(context(hold={"mains_phase_lost": 0}))
    fresh.poll(0, phases(231, None, 0))
    assert fresh.kinds(C.MAINS_PHASE_LOST) == [(0, OPEN)]  # known phases say it already
    fresh.poll(60, phases(231, None, 229))
    assert fresh.kinds(C.MAINS_PHASE_LOST) == [(0, OPEN)]


def test_input_range_thresholds_from_config() -> None:
    feed = Feed(context(hold={"input_out_of_range": 0}, clear_hold={"input_out_of_range": 0},
                        input_voltage_low=200, input_voltage_low_clear=205, input_frequency_high=51,
                        input_frequency_high_clear=50.6))
    feed.poll(0, phases(198), input_frequency_hertz=50.0)
    assert feed.kinds(C.INPUT_OUT_OF_RANGE) == [(0, OPEN)]
    assert words(feed.log[-1]) == "mains 198 V (single phase), 50.0 Hz"
    feed.poll(60, phases(203), input_frequency_hertz=50.0)  # inside the hysteresis band
    feed.poll(120, phases(207), input_frequency_hertz=50.0)
    feed.poll(180, phases(230), input_frequency_hertz=51.2)
    feed.poll(240, phases(230), input_frequency_hertz=50.0)
    assert feed.kinds(C.INPUT_OUT_OF_RANGE) == [(0, OPEN), (120, R), (180, OPEN), (240, R)]


def test_no_input_at_all_is_not_out_of_range() -> None:
    feed = Feed(context(hold={"input_out_of_range": 0}))
    feed.poll(0, phases(0), input_frequency_hertz=0.0, mains_ok=0.0)
    assert feed.kinds(C.INPUT_OUT_OF_RANGE) == []


def test_room_temperature_hysteresis() -> None:
    feed = Feed(context(hold={"room_temperature_high": 0}, clear_hold={"room_temperature_high": 0},
                        room_temperature_high=38, room_temperature_clear=34))
    for i, celsius in enumerate((38.5, 36.0, 39.0, 35.0, 37.5)):
        feed.poll(60 * i, ambient_temperature_celsius=celsius)
    assert feed.kinds(C.ROOM_TEMPERATURE_HIGH) == [(0, OPEN)]
    assert words(feed.log[0]) == "room 38.5 °C"
    feed.poll(600, ambient_temperature_celsius=33.0)
    assert feed.kinds(C.ROOM_TEMPERATURE_HIGH)[-1] == (600, R)


def test_thresholds_and_holds_from_a_configuration_file_in_layers(tmp_path: Path) -> None:
    path = tmp_path / "sitewatch.yaml"
    path.write_text(
        "thresholds:\n"
        "  default:\n"
        "    input_voltage_low: 200\n"
        "    input_voltage_low_clear: 205\n"
        "  by_kind:\n"
        "    bts:\n"
        "      hold: {door_open: 0, room_temperature_high: 0, input_out_of_range: 0}\n"
        "sites:\n"
        "  - id: GL-BTS-001\n"
        "    name: Pleiku BTS 1\n"
        "    kind: bts\n"
        "    province: Gia Lai\n"
        "    thresholds: {room_temperature_high: 35, room_temperature_clear: 32}\n", encoding="utf-8")
    config = load_config(path, known_profiles=frozenset())
    feed = Feed(site_context(config, config.sites[0]))
    feed.poll(0, phases(196), door_open=1.0, ambient_temperature_celsius=36.0)
    assert [(t.condition, t.kind) for t in feed.log] == [
        (C.INPUT_OUT_OF_RANGE, OPEN), (C.ROOM_TEMPERATURE_HIGH, OPEN), (C.DOOR_OPEN, OPEN)]
    assert feed.ctx.timings[C.SMOKE][:2] == (0.0, 300.0)  # the built-in holds under the layers
