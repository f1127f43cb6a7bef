"""Dry contacts read as the site wired them: the same recorded controller gives mains, door or
nothing depending on the target's ``inputs``; the level that alarms is the site's choice."""

from __future__ import annotations

import pytest

from sitewatch.config.schema import SnmpTarget
from sitewatch.core.errors import ProfileError
from sitewatch.polling.site_plans import _target
from sitewatch.snmp.contacts import wire, wiring_of
from sitewatch.snmp.profiles import Profile, compile_profiles, load_profiles
from tests.profiles.expected import ABSENT, check, key, recording_path
from tests.profiles.snmprec import apply_plan, read_snmprec


@pytest.fixture(scope="module")
def profiles() -> dict[str, Profile]:
    return load_profiles()


def _read(profiles: dict[str, Profile], recording: str, names: tuple[str, ...], inputs: dict[int, object] | None
          ) -> dict[tuple[str, tuple[tuple[str, str], ...]], object]:
    target = SnmpTarget.model_validate({"host": "127.0.0.1", "credential": "c", "profiles": list(names),
                                        **({"inputs": inputs} if inputs is not None else {})})
    compiled = compile_profiles([wire(profiles[n], wiring_of(target.inputs)) for n in names])
    readings = compiled.readings(apply_plan(read_snmprec(recording_path(recording)), compiled.plan))
    return {(r.name, r.labels): r for r in readings}


def test_snr_erd_input_power_read_as_mains(profiles: dict[str, Profile]) -> None:
    # the recorded unit: DI2 "Input-Power" low(0) = closed; DI3-5 "free" high(1) = open
    got = _read(profiles, "snr-erd", ("snr-erd",), {2: {"means": "mains", "alarm_when": "open"}, 3: "door",
                                                    4: {"means": "alarm", "name": "high_temperature"}})
    mains = got[key("mains_ok")]
    assert mains.value == 1.0 and mains.info == (("label", "Input-Power"),)  # type: ignore[attr-defined]
    assert "1.3.6.1.4.1.40418.2.6.2.1.1.3.1.2=0" in mains.source  # type: ignore[attr-defined]
    assert got[key("door_open")].value == 1.0  # type: ignore[attr-defined]  # nothing wired: open = alarm
    assert got[key("alarm_active", alarm="high_temperature")].value == 1.0  # type: ignore[attr-defined]
    assert key("smoke_detected") not in got  # input 5 means nothing here


def test_the_alarm_level_is_the_sites_choice(profiles: dict[str, Profile]) -> None:
    # the same closed contact, wired to close on mains failure: mains lost
    got = _read(profiles, "snr-erd", ("snr-erd",), {2: {"means": "mains", "alarm_when": "closed"}})
    assert got[key("mains_ok")].value == 0.0  # type: ignore[attr-defined]


def test_packetflux_keeps_its_default_without_inputs_and_follows_the_site_with_them(
        profiles: dict[str, Profile]) -> None:
    names = ("packetflux-sitemonitor",)
    check(_read(profiles, "sitemonitor", names, None).values(),  # type: ignore[arg-type]
          {key("mains_ok"): 1.0, key("on_battery"): 0.0})
    rewired = _read(profiles, "sitemonitor", names, {3: "generator"})
    assert rewired[key("generator_running")].value == 1.0  # type: ignore[attr-defined]
    assert key("mains_ok") not in rewired  # the site said input 3 is the generator, not mains
    assert rewired[key("on_battery")].value is None  # type: ignore[attr-defined]  # nothing to derive it from


def test_target_plan_carries_the_wiring() -> None:
    from sitewatch.config.schema import Config

    config = Config.model_validate({
        "credentials": {"c": {"version": "2c", "community": {"value": "x"}}},
        "sites": [{"id": "S1", "name": "S1", "kind": "bts", "province": "Gia Lai", "snmp": [
            {"host": "127.0.0.1", "credential": "c", "profiles": ["snr-erd"], "inputs": {2: "mains", 3: "smoke"}}]}]})
    plan = _target(config, config.sites[0], 0)
    assert plan.inputs is not None
    assert [(w.input, w.means, w.alarm_when) for w in plan.inputs] == [(2, "mains", "open"), (3, "smoke", "open")]


def test_a_profile_declaring_an_unknown_meaning_is_refused(profiles: dict[str, Profile]) -> None:
    bad = profiles["snr-erd"].model_copy(update={"contacts": (
        profiles["snr-erd"].contacts[0].model_copy(update={"means": "fire"}),)})
    with pytest.raises(ProfileError, match="unknown meaning 'fire'"):
        compile_profiles([bad])


def test_recording_without_wiring_gives_no_power_reading(profiles: dict[str, Profile]) -> None:
    check(_read(profiles, "snr-erd", ("snr-erd",), None).values(),  # type: ignore[arg-type]
          {key("mains_ok"): ABSENT})
