"""Compiling combinations of profiles: the fetch plan, the implicit ``system`` profile, the
cache, precedence between profiles that produce the same reading, and inconsistent profiles."""

from __future__ import annotations

import pytest

from sitewatch.core.errors import ProfileError
from sitewatch.core.model import SnmpValue
from sitewatch.snmp.profiles import Profile, compile_profiles, load_profiles
from tests.profiles.expected import key

PROFILES = load_profiles()
ELTEK_VOLTAGE = "1.3.6.1.4.1.12148.9.3.2.0"
SENSOR = "1.3.6.1.2.1.99.1.1.1"


def test_plan_gets_scalars_and_walks_columns() -> None:
    c = compile_profiles([PROFILES["ups-mib"], PROFILES["if-mib"]])
    assert c.names == ("system", "ups-mib", "if-mib")
    assert c.plan.scalars[:2] == ("1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.2.0")  # sysUpTime, sysObjectID
    assert "1.3.6.1.2.1.33.1.2.5.0" in c.plan.scalars
    assert "1.3.6.1.2.1.33.1.1.1" in c.plan.scalars  # upsIdentManufacturer without .0 as well
    assert len(c.plan.scalars) == len(set(c.plan.scalars))
    assert set(c.plan.columns) == {
        "1.3.6.1.2.1.33.1.3.3.1.3", "1.3.6.1.2.1.33.1.6.2.1.2",  # upsInputVoltage, upsAlarmDescr
        "1.3.6.1.2.1.2.2.1.8", "1.3.6.1.2.1.2.2.1.7", "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.3",
        "1.3.6.1.2.1.31.1.1.1.1", "1.3.6.1.2.1.31.1.1.1.18",
    }


def test_plan_includes_unit_selectors_and_row_filters() -> None:
    sp2 = compile_profiles([PROFILES["eltek-sp2"]]).plan
    assert "1.3.6.1.4.1.12148.10.2.15.0" in sp2.scalars  # powerSystemCurrentDecimalSetting
    sensors = compile_profiles([PROFILES["entity-sensor"]]).plan
    assert {f"{SENSOR}.{c}" for c in (1, 2, 3, 4, 5)} | {"1.3.6.1.2.1.47.1.1.1.1.2"} == set(sensors.columns)


def test_compiled_once_per_combination() -> None:
    a = compile_profiles([PROFILES["ups-mib"], PROFILES["if-mib"]])
    assert compile_profiles([PROFILES["ups-mib"], PROFILES["if-mib"]]) is a
    assert compile_profiles([PROFILES["if-mib"], PROFILES["ups-mib"]]) is not a  # order is precedence
    assert compile_profiles([PROFILES["system"], PROFILES["ups-mib"], PROFILES["if-mib"]]).names == a.names


def test_first_listed_profile_wins_unless_it_knows_nothing() -> None:
    both = compile_profiles([PROFILES["eltek-smartpack"], PROFILES["entity-sensor"]])
    raw: dict[str, SnmpValue] = {ELTEK_VOLTAGE: 5323, f"{SENSOR}.1.3": 4, f"{SENSOR}.2.3": 9, f"{SENSOR}.3.3": 3,
                                 f"{SENSOR}.4.3": 47058}

    def voltages(raw: dict[str, SnmpValue]) -> list[float | str | None]:
        return [r.value for r in both.readings(raw) if r.name == "battery_voltage_volts"]

    assert voltages(raw) == [53.23]
    raw[ELTEK_VOLTAGE] = None
    assert voltages(raw) == [47.058]
    del raw[f"{SENSOR}.4.3"]
    assert voltages(raw) == [None]


def test_an_inconsistent_profile_does_not_compile() -> None:
    bad = Profile.model_validate({
        "name": "bad", "description": "built in code, not loaded",
        "scalars": [{"oid": "1.3.6.1.4.1.99.1.0", "reading": "input_voltage_volts", "type": "int"}],
    })
    with pytest.raises(ProfileError, match=r"profile bad: scalars\[0\]\.labels: input_voltage_volts takes phase"):
        compile_profiles([bad])
    with pytest.raises(ProfileError, match="listed twice"):
        compile_profiles([PROFILES["ups-mib"], PROFILES["ups-mib"]])


def test_local_names_stay_inside_their_profile() -> None:
    # both use _rectifier_failed; each profile's rule sees only its own rows
    c = compile_profiles([PROFILES["eltek-smartpack"], PROFILES["huawei-site-monitor"]])
    raw: dict[str, SnmpValue] = {"1.3.6.1.4.1.12148.9.5.5.2.1.2.0": 1, "1.3.6.1.4.1.2011.6.164.1.3.2.2.1.99.1": 2}
    failed = [r for r in c.readings(raw) if (r.name, r.labels) == key("rectifier_failed")]
    assert [r.value for r in failed] == [0.0]  # eltek (listed first) knows: no failure
    assert not any(r.name.startswith("_") for r in c.readings(raw))
