"""``derive`` rules the profiles share, on small profiles written for the test: ``max`` (the
highest known instance) and "first known wins" between a profile's sources of one reading."""

from __future__ import annotations

from typing import Any

import pytest

from sitewatch.core.model import SnmpException, SnmpValue
from sitewatch.snmp.profile_schema import Profile
from sitewatch.snmp.profiles import CompiledProfiles, compile_profiles

SUMMARY, PROBE, STATUS = "1.3.6.1.4.1.99.1.0", "1.3.6.1.4.1.99.2.1.3", "1.3.6.1.4.1.99.2.1.2"


def probes(**extra: Any) -> CompiledProfiles:
    """A summary temperature and, when it is unknown, the hottest probe of a table."""
    return compile_profiles([Profile.model_validate({
        "name": "probes", "description": "a summary and its probes",
        "scalars": [{"oid": SUMMARY, "reading": "battery_temperature_celsius", "type": "int",
                     "unknown_when": [{"oid": "1.3.6.1.4.1.99.1.1", "in": [4]}]}],
        "tables": [{"name": "probes", "index": PROBE,
                    "where": [{"column": STATUS, "not_in": [4], "missing_ok": True}],
                    "columns": [{"oid": PROBE, "reading": "_probe", "type": "int", "range": [-40, 100],
                                 "unknown_when": [{"column": STATUS, "in": [0]}]}]}],
        "derive": [{"reading": "battery_temperature_celsius", "max": {"of": "_probe", **extra}}],
    })])


def temperature(c: CompiledProfiles, raw: dict[str, SnmpValue]) -> tuple[object, str]:
    [r] = [r for r in c.readings(raw) if r.name == "battery_temperature_celsius"]
    return r.value, r.source


def test_max_is_the_highest_known_probe_and_names_it_as_the_source() -> None:
    raw: dict[str, SnmpValue] = {f"{PROBE}.1": 18, f"{PROBE}.2": 21, f"{PROBE}.3": 19}
    assert temperature(probes(), raw) == (21.0, f"{PROBE}.2=21 {STATUS}=missing")


@pytest.mark.parametrize(("probe2", "status2", "want"), [
    (85, 0, 18.0),  # a probe in error is skipped, however hot it reads
    (85, 4, 18.0),  # a disabled probe is no probe
    (2147483647, None, 18.0),  # out of range: unknown, skipped
    (SnmpException.NO_SUCH_INSTANCE, None, 18.0),
    (-5, None, 18.0),  # negative temperatures compare as numbers
    (25, 1, 25.0),
])
def test_max_skips_what_is_unknown(probe2: SnmpValue, status2: int | None, want: float) -> None:
    raw: dict[str, SnmpValue] = {f"{PROBE}.1": 18, f"{PROBE}.2": probe2}
    if status2 is not None:
        raw[f"{STATUS}.2"] = status2
    assert temperature(probes(), raw)[0] == want


def test_max_of_nothing_known_is_unknown() -> None:
    assert temperature(probes(), {})[0] is None
    assert temperature(probes(), {f"{PROBE}.1": 0, f"{STATUS}.1": 0, f"{PROBE}.2": 0, f"{STATUS}.2": 4}) == (
        None, f"{SUMMARY}=missing 1.3.6.1.4.1.99.1.1=missing")


def test_the_summary_wins_while_known_and_the_probes_stand_in_when_it_is_not() -> None:
    c = probes()
    raw: dict[str, SnmpValue] = {SUMMARY: 24, f"{PROBE}.1": 30}
    assert temperature(c, raw) == (24.0, f"{SUMMARY}=24 1.3.6.1.4.1.99.1.1=missing")
    raw["1.3.6.1.4.1.99.1.1"] = 4  # the summary monitor disabled: its 24 is not a measurement
    assert temperature(c, raw) == (30.0, f"{PROBE}.1=30 {STATUS}=missing")


def test_max_reads_only_the_instances_with_its_labels() -> None:
    c = compile_profiles([Profile.model_validate({
        "name": "phases", "description": "the highest of two phases",
        "tables": [{"name": "ac", "index": PROBE, "labels": {"phase": {"from": "index"}},
                    "columns": [{"oid": PROBE, "reading": "input_voltage_volts", "type": "int"}]}],
        "derive": [{"reading": "_l2", "max": {"of": "input_voltage_volts", "labels": {"phase": "2"}}},
                   {"reading": "mains_ok", "any": [{"of": "_l2", "ge": 100}]}],
    })])
    got = {r.name: r.value for r in c.readings({f"{PROBE}.1": 231, f"{PROBE}.2": 12})}
    assert got["mains_ok"] == 0.0  # phase 1 at 231 V is not phase 2
