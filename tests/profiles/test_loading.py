"""Loading profiles: shipped and users' directories, overrides, and errors that name the file,
the line and the field (one bad-profile case per error)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sitewatch.core.errors import ProfileError
from sitewatch.snmp.profiles import (
    SHIPPED_DIR,
    available_profile_names,
    compile_profiles,
    load_profiles,
)
from tests.profiles.expected import key

SHIPPED = {"system", "ups-mib", "if-mib", "entity-sensor", "eltek-smartpack", "eltek-sp2", "vertiv-netsure",
           "vertiv-ees", "huawei-site-monitor", "algcom-dc-ups", "packetflux-sitemonitor",
           "packetflux-sitemonitor-generator", "delta-orion", "zte-zxdu", "himoinsa-genset",
           "alpha-cordex", "apc-powernet", "eaton-xups", "eaton-sc200", "eaton-sc300", "snr-erd"}

GOOD = """\
name: {name}
description: a test profile
scalars:
  - oid: 1.3.6.1.4.1.99.1.0
    reading: battery_voltage_volts
    type: int
    scale: 0.01
"""


def write(d: Path, name: str, text: str) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{name}.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def error_of(d: Path) -> str:
    with pytest.raises(ProfileError) as e:
        load_profiles([d])
    return str(e.value)


def test_shipped_profiles_are_package_data_and_all_load() -> None:
    assert {p.stem for p in SHIPPED_DIR.glob("*.yaml")} == SHIPPED
    assert set(load_profiles()) == SHIPPED
    assert available_profile_names() == frozenset(SHIPPED)
    assert (SHIPPED_DIR / "README.md").is_file()


def test_user_directory_adds_and_overrides(tmp_path: Path) -> None:
    write(tmp_path, "my-plant", GOOD.format(name="my-plant"))
    # a site whose UPS card sends upsBatteryVoltage in 0.01 V: same name replaces the shipped one
    write(tmp_path, "ups-mib", GOOD.format(name="ups-mib").replace("1.3.6.1.4.1.99.1.0", "1.3.6.1.2.1.33.1.2.5.0"))
    profiles = load_profiles([tmp_path])
    assert available_profile_names([str(tmp_path)]) == frozenset(SHIPPED | {"my-plant"})
    readings = compile_profiles([profiles["ups-mib"]]).readings({"1.3.6.1.2.1.33.1.2.5.0": 412})
    assert {(r.name, r.labels): r.value for r in readings}[key("battery_voltage_volts")] == pytest.approx(4.12)
    assert load_profiles()["ups-mib"] is not profiles["ups-mib"]  # the shipped set is untouched


def test_later_directory_wins(tmp_path: Path) -> None:
    write(tmp_path / "a", "x", GOOD.format(name="x"))
    write(tmp_path / "b", "x", GOOD.format(name="x").replace("0.01", "0.1"))
    assert load_profiles([tmp_path / "a", tmp_path / "b"])["x"].scalars[0].scale == 0.1


def test_missing_directory(tmp_path: Path) -> None:
    assert "not a directory" in error_of(tmp_path / "nope")


@pytest.mark.parametrize(("text", "where", "says"), [
    ("name: bad\ndescription: x\nscalars:\n  - oid: 1.3.6.1.4.1.99.1.0\n    reading: [unclosed\n",
     "bad.yaml:6", "YAML syntax error: while parsing a flow sequence started at line 5"),
    (GOOD.format(name="bad") + "    scael: 2\n", "bad.yaml:8: scalars[0].scael", "did you mean 'scale'"),
    (GOOD.format(name="bad").replace("battery_voltage_volts", "battery_volts"), "bad.yaml:5: scalars[0].reading",
     "unknown reading 'battery_volts'"),
    (GOOD.format(name="bad").replace("type: int", "type: integer"), "bad.yaml:6: scalars[0].type", "int"),
    (GOOD.format(name="bad").replace("1.3.6.1.4.1.99.1.0", "ups.battery.voltage"), "bad.yaml:4: scalars[0].oid",
     "not a dotted numeric OID"),
    (GOOD.format(name="bad").replace("reading: battery_voltage_volts", "reading: input_voltage_volts"),
     "bad.yaml:4: scalars[0].labels", "input_voltage_volts takes phase"),
    ("name: bad\ndescription: x\nscalars:\n  - oid: 1.3.6.1.4.1.99.1.0\n    reading: battery_status\n"
     "    type: enum\n    enum: {1: fine}\n", "bad.yaml:7: scalars[0].enum", "'fine' is not a state of battery_status"),
    ("name: bad\ndescription: x\nscalars:\n  - oid: 1.3.6.1.4.1.99.1.0\n    reading: mains_ok\n    type: gauge\n",
     "bad.yaml:6: scalars[0].type", "mains_ok is a bool reading"),
    ("name: bad\ndescription: x\nscalars:\n  - oid: 1.3.6.1.4.1.99.1.0\n    reading: mains_ok\n"
     "    type: enum\n    enum: {1: absent}\n", "bad.yaml:7: scalars[0].enum", "only for table columns"),
    ("name: bad\ndescription: x\nderive:\n  - reading: lvd_open\n    any: [{of: _nowhere, eq: true}]\n",
     "bad.yaml:5: derive[0].any", "'_nowhere' is not a local name"),
    ("name: bad\ndescription: x\nderive:\n  - reading: lvd_open\n    count: [{of: alarm_active, eq: true}]\n",
     "bad.yaml:5: derive[0].count", "count makes a number, but lvd_open is a bool reading"),
    ("name: bad\ndescription: x\nderive:\n  - reading: mains_ok\n    any: [{of: on_battery, eq: true, gt: 1}]\n",
     "bad.yaml:5: derive[0].any[0]", "exactly one of eq, ne, in, gt, ge, lt, le"),
    ("name: bad\ndescription: x\nderive:\n  - reading: lvd_open\n    max: {of: battery_temperature_celsius}\n",
     "bad.yaml:5: derive[0].max", "max makes a number, but lvd_open is a bool reading"),
    ("name: bad\ndescription: x\nderive:\n  - reading: battery_temperature_celsius\n"
     "    max: {of: input_voltage_volts, labels: {probe: '1'}}\n", "bad.yaml:5: derive[0].max.labels",
     "input_voltage_volts has no label 'probe'"),
    ("name: bad\ndescription: x\nderive:\n  - reading: battery_temperature_celsius\n    max: {of: _probe}\n"
     "    count: [{of: alarm_active, eq: true}]\n", "bad.yaml:4: derive[0]", "exactly one of any, none, count, max"),
    (GOOD.format(name="other"), "bad.yaml:1: name", "must be in a file named other.yaml"),
    (GOOD.format(name="bad") + "    unknown_when: [{in: [4]}]\n", "bad.yaml:8: scalars[0].unknown_when[0]",
     "exactly one of oid (a scalar) or column"),
    (GOOD.format(name="bad") + "    unknown_when: [{column: 1.3.6.1.4.1.99.2.1, in: [4]}]\n",
     "bad.yaml:8: scalars[0].unknown_when[0].column", "column is for table columns"),
    ("name: bad\ndescription: x\ntables:\n  - name: t\n    index: 1.3.6.1.4.1.99.2.1\n    index_arcs: 2\n"
     "    max_index_from: 1.3.6.1.4.1.99.1.0\n    columns: [{oid: 1.3.6.1.4.1.99.2.1, reading: alarm_active,"
     " type: present}]\n", "bad.yaml:4: tables[0]", "max_index_from needs a table indexed by one number"),
    ("name: bad\ndescription: x\ntables:\n  - name: t\n    index: 1.3.6.1.4.1.99.2.1\n"
     "    where: [{column: 1.3.6.1.4.1.99.2.2}]\n    columns: [{oid: 1.3.6.1.4.1.99.2.1, reading: alarm_active,"
     " type: present}]\n", "bad.yaml:6: tables[0].where[0]", "needs 'in', 'not_in' or 'contains'"),
    ("name: bad\ndescription: x\ndescription: y\n", "bad.yaml:3: description", "given twice"),
    (GOOD.format(name="bad") + "    mask: 128\n", "bad.yaml:4: scalars[0]", "'mask' is for types enum and bool"),
    ("name: bad\ndescription: x\nscalars:\n  - oid: 1.3.6.1.4.1.99.1.0\n    reading: mains_ok\n    type: enum\n"
     "    mask: 3\n    enum: {1: true, 4: false}\n", "bad.yaml:4: scalars[0]", "enum keys 4 have bits outside mask 3"),
    ("name: bad\ndescription: x\ntables:\n  - name: t\n    index: 1.3.6.1.4.1.99.2.1\n    index_info: ifIndex\n"
     "    columns: [{oid: 1.3.6.1.4.1.99.2.1, reading: alarm_active, type: present}]\n",
     "bad.yaml:6: tables[0].index_info", "snake_case"),
    ("name: bad\ndescription: x\ncontacts:\n  - {input: 2, oid: 1.3.6.1.4.1.99.3.2, states: {0: open, 1: closed},"
     " means: fire}\n", "bad.yaml:4: contacts[0].means", "unknown meaning 'fire'"),
    ("name: bad\ndescription: x\ncontacts:\n  - {input: 2, oid: 1.3.6.1.4.1.99.3.2, states: {0: open, 1: open}}\n",
     "bad.yaml:4: contacts[0]", "both open and closed"),
])
def test_errors_name_file_line_and_field(tmp_path: Path, text: str, where: str, says: str) -> None:
    write(tmp_path, "bad", text)
    message = error_of(tmp_path)
    assert where in message, message
    assert says in message, message


def test_every_error_of_a_directory_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "one", GOOD.format(name="one").replace("type: int", "type: nope"))
    write(tmp_path, "two", GOOD.format(name="two").replace("battery_voltage_volts", "nope"))
    message = error_of(tmp_path)
    assert "one.yaml:6" in message and "two.yaml:5" in message
