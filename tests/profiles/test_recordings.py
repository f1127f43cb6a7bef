"""Every shipped profile against recordings of real devices (and of the MIBs without one),
without an agent: the recording is read as the client would return it for the compiled plan.
The same expectations run end to end, over SNMP, in ``test_end_to_end.py``.
"""

from __future__ import annotations

import pytest

from sitewatch.core.model import CANONICAL, ReadingKind
from sitewatch.snmp.profiles import (
    SYS_OBJECT_ID,
    Profile,
    compile_profiles,
    detect_profiles,
    detection_plan,
    load_profiles,
)
from tests.profiles.expected import DETECTED, EXPECTED, RECORDINGS, check, key, recording_path
from tests.profiles.snmprec import apply_plan, read_snmprec


@pytest.fixture(scope="module")
def profiles() -> dict[str, Profile]:
    return load_profiles()


@pytest.mark.parametrize("recording", RECORDINGS)
def test_detection_picks_the_profiles_for_each_recording(recording: str, profiles: dict[str, Profile]) -> None:
    answers = apply_plan(read_snmprec(recording_path(recording)), detection_plan(profiles))
    sys_oid = answers.get(SYS_OBJECT_ID)
    assert detect_profiles(sys_oid if isinstance(sys_oid, str) else None, answers, profiles) == DETECTED[recording]


@pytest.mark.parametrize("recording", RECORDINGS)
def test_recording_reads_as_expected(recording: str, profiles: dict[str, Profile]) -> None:
    compiled = compile_profiles([profiles[n] for n in DETECTED[recording]])
    readings = compiled.readings(apply_plan(read_snmprec(recording_path(recording)), compiled.plan))
    check(readings, EXPECTED[recording])
    for r in readings:  # everything produced is canonical, with the labels and kind it declares
        canon = CANONICAL[r.name]
        assert tuple(n for n, _ in r.labels) == canon.labels
        if r.value is not None:
            if canon.kind is ReadingKind.STATE:
                assert r.value in canon.states
            else:
                assert isinstance(r.value, float)
            assert r.source, r


def test_every_shipped_profile_is_exercised_by_a_recording(profiles: dict[str, Profile]) -> None:
    used = {n for names in DETECTED.values() for n in names}
    # system is in every compilation; the generator variant is the sitemonitor read the other way
    assert set(profiles) - used == {"system", "packetflux-sitemonitor-generator"}


def test_sitemonitor_wired_for_generator(profiles: dict[str, Profile]) -> None:
    compiled = compile_profiles([profiles["packetflux-sitemonitor-generator"]])
    readings = compiled.readings(apply_plan(read_snmprec(recording_path("sitemonitor")), compiled.plan))
    check(readings, {key("generator_running"): 1.0, key("battery_voltage_volts"): 46.9})
    assert not any(r.name == "mains_ok" for r in readings)


def test_source_and_info_say_where_a_value_came_from(profiles: dict[str, Profile]) -> None:
    compiled = compile_profiles([profiles["ups-mib"], profiles["if-mib"]])
    readings = {(r.name, r.labels): r for r in compiled.readings(
        apply_plan(read_snmprec(recording_path("deltaups")), compiled.plan))}
    assert readings[key("battery_voltage_volts")].source == "1.3.6.1.2.1.33.1.2.5.0=412"
    assert readings[key("battery_current_amperes")].source == "1.3.6.1.2.1.33.1.2.6.0=NULL"
    # upsIdentManufacturer is recorded without its .0: the profile asks for both
    assert readings[key("battery_status")].info == (("manufacturer", "Minuteman"),)
    assert readings[key("link_up", interface="eth0")].info == (("if_index", "2"), ("type", "6"))
    mains = readings[key("mains_ok")]
    assert "1.3.6.1.2.1.33.1.4.1.0=3" in mains.source and "1.3.6.1.2.1.33.1.2.2.0=0" in mains.source
