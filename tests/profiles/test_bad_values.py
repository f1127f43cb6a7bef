"""What real agents send instead of clean values, through the shipped profiles: sentinels, NULL,
SNMP exceptions, wrong types, garbage text, out-of-range numbers, unmapped enums. Each must
read as unknown (``None``), never as a number; good values next to them must still read right.
"""

from __future__ import annotations

import pytest

from sitewatch.core.model import Reading, SnmpException, SnmpValue
from sitewatch.snmp.profiles import CompiledProfiles, compile_profiles, load_profiles
from sitewatch.snmp.values import make_reading, render
from tests.profiles.expected import ABSENT, key

UPS = "1.3.6.1.2.1.33.1"
IF = "1.3.6.1.2.1.2.2.1"
VEC = "1.3.6.1.4.1.885.3.2"
RUNTIME, VOLTAGE, CHARGE, TEMP, STATUS, SOURCE = (f"{UPS}.2.3.0", f"{UPS}.2.5.0", f"{UPS}.2.4.0", f"{UPS}.2.7.0",
                                                  f"{UPS}.2.1.0", f"{UPS}.4.1.0")
EXCEPTIONS = list(SnmpException)


def compiled(*names: str) -> CompiledProfiles:
    profiles = load_profiles()
    return compile_profiles([profiles[n] for n in names])


def read(c: CompiledProfiles, raw: dict[str, SnmpValue]) -> dict[tuple[str, tuple[tuple[str, str], ...]], Reading]:
    return {(r.name, r.labels): r for r in c.readings(raw)}


def value(c: CompiledProfiles, raw: dict[str, SnmpValue], name: str, **labels: str) -> object:
    return read(c, raw)[key(name, **labels)].value


@pytest.mark.parametrize("sentinel", [-1, 2147483647, 4294967295])
def test_ups_runtime_sentinels_are_unknown(sentinel: int) -> None:
    c = compiled("ups-mib")
    assert value(c, {RUNTIME: sentinel}, "battery_runtime_seconds") is None
    assert value(c, {RUNTIME: 22}, "battery_runtime_seconds") == 1320.0


@pytest.mark.parametrize("bad", [None, *EXCEPTIONS, b"412", "1.3.6.1.4.1", b"", b"\x00\x00"])
def test_null_exceptions_and_wrong_types_are_unknown(bad: SnmpValue) -> None:
    c = compiled("ups-mib")
    assert value(c, {VOLTAGE: bad}, "battery_voltage_volts") is None
    assert value(c, {STATUS: bad}, "battery_status") is None


def test_missing_object_is_unknown_not_absent() -> None:
    readings = read(compiled("ups-mib"), {})
    assert readings[key("battery_voltage_volts")].value is None
    assert readings[key("battery_voltage_volts")].source == f"{VOLTAGE}=missing"


@pytest.mark.parametrize(("oid", "raw", "name"), [
    (CHARGE, 101, "battery_charge_ratio"),  # more than 100 %
    (TEMP, 200, "battery_temperature_celsius"),  # outside -40..100 C
    (TEMP, -41, "battery_temperature_celsius"),
    (VOLTAGE, 20000, "battery_voltage_volts"),  # 2 kV
])
def test_out_of_range_is_unknown(oid: str, raw: int, name: str) -> None:
    assert value(compiled("ups-mib"), {oid: raw}, name) is None


def test_gauge32_in_place_of_integer_and_sign() -> None:
    c = compiled("ups-mib")
    assert value(c, {STATUS: 2}, "battery_status") == "normal"  # Gauge32 2 arrives as int 2
    assert value(c, {TEMP: 4294967291}, "battery_temperature_celsius") == -5.0  # Gauge32 of Integer32 -5
    assert value(c, {f"{UPS}.2.6.0": -12}, "battery_current_amperes") == pytest.approx(-1.2)
    huawei = compiled("huawei-site-monitor")
    assert value(huawei, {"1.3.6.1.4.1.2011.6.164.1.6.1.3.0": -5}, "battery_voltage_volts") is None  # gauge < 0


def test_unmapped_enum_value_is_unknown() -> None:
    c = compiled("ups-mib")
    assert value(c, {SOURCE: 9}, "output_source") is None
    assert value(c, {SOURCE: 0}, "output_source") is None
    assert value(c, {SOURCE: 5}, "output_source") == "battery"


@pytest.mark.parametrize(("raw", "want"), [
    (b"54.01", 54.01), (b"54.01\x00\x00\x00", 54.01), (b" 54.01 ", 54.01), ("54.01", 54.01), (54, 54.0),
    (b"-48.5", 48.5),  # psSystemVoltage of a -48 V plant: its magnitude
    (b"n/a", None), (b"", None), (b"54,01", None), (b"nan", None), (b"inf", None), (b"1_000", None),
    (b"\x00\x00", None), (b"\xff\xfe", None), (None, None), (SnmpException.NO_SUCH_INSTANCE, None),
])
def test_text_numbers(raw: SnmpValue, want: float | None) -> None:
    got = value(compiled("vertiv-netsure"), {f"{VEC}.1.1.0": raw}, "battery_voltage_volts")
    assert got == (pytest.approx(want) if want is not None else None)


def test_interface_status_codes() -> None:
    c = compiled("if-mib")
    raw: dict[str, SnmpValue] = {
        f"{IF}.8.1": 1, f"{IF}.8.2": 2, f"{IF}.8.3": 0, f"{IF}.8.4": 6, f"{IF}.8.5": 7, f"{IF}.8.6": 4,
        f"{IF}.7.1": 1, f"{IF}.7.2": 1, f"{IF}.7.4": 2,
        f"{IF}.2.1": b"uplink\x00\x00", f"{IF}.2.3": b"",
    }
    readings = read(c, raw)
    assert readings[key("link_up", interface="uplink")].value == 1.0  # NULs stripped from ifDescr
    assert readings[key("link_up", interface="2")].value == 0.0  # no name: the ifIndex
    assert readings[key("link_up", interface="3")].value is None  # 0: not an ifOperStatus
    assert key("link_up", interface="4") not in readings  # notPresent: no interface
    assert key("link_admin_up", interface="4") not in readings
    assert readings[key("link_up", interface="5")].value == 0.0  # lowerLayerDown
    assert readings[key("link_up", interface="6")].value is None  # unknown(4)
    assert readings[key("link_admin_up", interface="5")].value is None  # no ifAdminStatus for it


def test_ups_alarm_table_and_derived_mains() -> None:
    c = compiled("ups-mib")
    raw: dict[str, SnmpValue] = {SOURCE: 3, f"{UPS}.2.2.0": 0,
                                 f"{UPS}.6.2.1.2.7": f"{UPS}.6.3.6", f"{UPS}.6.2.1.2.9": f"{UPS}.6.3.16",
                                 f"{UPS}.6.2.1.2.11": "1.3.6.1.4.1.99.1"}
    readings = read(c, raw)
    assert readings[key("alarm_active", alarm="input_bad")].value == 1.0
    assert readings[key("alarm_active", alarm="fan_failure")].value == 1.0
    assert readings[key("alarm_active", alarm="1.3.6.1.4.1.99.1")].value == 1.0  # a vendor alarm keeps its OID
    assert readings[key("alarm_active", alarm="input_bad")].info == (
        ("ups_alarm_id", "7"), ("alarm_oid", f"{UPS}.6.3.6"))
    assert readings[key("alarms_present")].value == 3.0  # counted: no upsAlarmsPresent
    assert readings[key("mains_ok")].value == 0.0  # upsAlarmInputBad, though the output is normal
    assert readings[key("on_battery")].value == 0.0
    raw[f"{UPS}.6.1.0"] = 2  # upsAlarmsPresent, when the agent has it, is what counts
    assert value(c, raw, "alarms_present") == 2.0


@pytest.mark.parametrize(("source", "seconds", "on_battery", "mains_ok"), [
    (5, 0, 1.0, 0.0),  # output from battery
    (3, 120, 1.0, 0.0),  # counting seconds on battery
    (3, 0, 0.0, 1.0),
    (4, 0, 0.0, 1.0),  # bypass: still mains
    (None, None, None, None),  # nothing known: unknown, not "mains ok"
    (SnmpException.NO_SUCH_OBJECT, 0, 0.0, 1.0),  # one input is enough
])
def test_ups_on_battery_and_mains(source: SnmpValue, seconds: SnmpValue, on_battery: float | None,
                                  mains_ok: float | None) -> None:
    c = compiled("ups-mib")
    raw = {SOURCE: source, f"{UPS}.2.2.0": seconds}
    assert value(c, raw, "on_battery") == on_battery
    assert value(c, raw, "mains_ok") == mains_ok


def test_eltek_mains_falls_back_to_phase_voltages() -> None:
    c = compiled("eltek-smartpack")
    ac, alarm = "1.3.6.1.4.1.12148.9.6", "1.3.6.1.4.1.12148.9.7.1.11.0"
    assert value(c, {alarm: 1, f"{ac}.1.0": 230}, "mains_ok") == 0.0  # the controller's alarm wins
    assert value(c, {f"{ac}.1.0": 0, f"{ac}.2.0": 0, f"{ac}.3.0": 231}, "mains_ok") == 1.0  # one phase up
    assert value(c, {f"{ac}.1.0": 0, f"{ac}.2.0": 12, f"{ac}.3.0": 0}, "mains_ok") == 0.0
    assert value(c, {f"{ac}.1.0": 0, f"{ac}.2.0": 0, f"{ac}.3.0": 0}, "on_battery") == 1.0
    assert value(c, {}, "mains_ok") is None


def test_entity_sensor_scale_status_and_choice() -> None:
    c = compiled("entity-sensor")
    s = "1.3.6.1.2.1.99.1.1.1"
    raw: dict[str, SnmpValue] = {
        f"{s}.1.2": 4, f"{s}.2.2": 9, f"{s}.3.2": 1, f"{s}.4.2": 999, f"{s}.5.2": 3,  # nonoperational: skipped
        f"{s}.1.5": 4, f"{s}.2.5": 8, f"{s}.3.5": 0, f"{s}.4.5": -53400, f"{s}.5.5": 1,  # -53.4 V (milli)
        f"{s}.1.9": 4, f"{s}.2.9": 9, f"{s}.3.9": 0, f"{s}.4.9": 12, f"{s}.5.9": 1,  # a later one: not chosen
    }
    assert value(c, raw, "battery_voltage_volts") == pytest.approx(53.4)
    raw[f"{s}.2.5"] = 99  # not a SensorDataScale: unknown rather than a guess
    assert value(c, raw, "battery_voltage_volts") is None


def test_same_values_give_the_same_reading_objects_and_bool_is_not_an_int() -> None:
    c = compiled("ups-mib")
    first, second = read(c, {STATUS: 2, VOLTAGE: 412}), read(c, {STATUS: 2, VOLTAGE: 412})
    assert first[key("battery_voltage_volts")] is second[key("battery_voltage_volts")]
    assert value(c, {STATUS: True}, "battery_status") is None  # True == 1 == 2 - 1, but not an INTEGER
    assert value(c, {VOLTAGE: 412.0}, "battery_voltage_volts") is None  # type: ignore[dict-item]


def test_make_reading_is_a_reading() -> None:
    args = {"name": "link_up", "value": 1.0, "labels": (("interface", "eth0"),), "source": "x=1",
            "info": (("if_index", "2"),)}
    made = make_reading(**args)  # type: ignore[arg-type]
    assert made == Reading(**args)  # type: ignore[arg-type]
    assert hash(made) == hash(Reading(**args))  # type: ignore[arg-type]


UPS_LINES, UPS_INPUT = f"{UPS}.3.2.0", f"{UPS}.3.3.1.3"


@pytest.mark.parametrize(("lines", "phases"), [
    (1, {"1": 229.0}),  # a single-phase UPS answering rows 2 and 3 at 0 V: they do not exist
    (3, {"1": 229.0, "2": 0.0, "3": 0.0}),  # a three-phase UPS that lost two phases: 0 V is real
    (0, {}),
    (None, {"1": 229.0, "2": 0.0, "3": 0.0}),  # no upsInputNumLines: every row the agent has counts
    (-1, {"1": 229.0, "2": 0.0, "3": 0.0}),
    (b"1", {"1": 229.0, "2": 0.0, "3": 0.0}),
])
def test_ups_input_rows_beyond_the_declared_line_count_do_not_exist(lines: SnmpValue,
                                                                     phases: dict[str, float]) -> None:
    c = compiled("ups-mib")
    raw: dict[str, SnmpValue] = {f"{UPS_INPUT}.1": 229, f"{UPS_INPUT}.2": 0, f"{UPS_INPUT}.3": 0}
    if lines is not None:
        raw[UPS_LINES] = lines
    got = {dict(r.labels)["phase"]: r.value for r in c.readings(raw) if r.name == "input_voltage_volts"}
    assert got == phases
    assert UPS_LINES in c.plan.scalars


ELTEK_AC2, ELTEK_MAINS_ALARM = "1.3.6.1.4.1.12148.9.6.2.0", "1.3.6.1.4.1.12148.9.7.1.11.0"


def test_eltek_phase_at_zero_is_unknown_only_while_the_controller_reports_no_mains_alarm() -> None:
    c = compiled("eltek-smartpack")
    for alarm, volts, want in [(0, 0, None), (1, 0, 0.0), (0, 231, 231.0), (None, 0, 0.0), (0, 0, None)]:
        raw: dict[str, SnmpValue] = {ELTEK_AC2: volts}
        if alarm is not None:
            raw[ELTEK_MAINS_ALARM] = alarm
        r = read(c, raw)[key("input_voltage_volts", phase="2")]
        assert r.value == want, (alarm, volts, r)  # the same compiled profile, poll after poll
        assert r.source == f"{ELTEK_AC2}={volts} {ELTEK_MAINS_ALARM}={'missing' if alarm is None else alarm}"


SP2_PHASE_STATUS, SP2_PHASE = "1.3.6.1.4.1.12148.10.3.4.1.2", "1.3.6.1.4.1.12148.10.3.4.1.6"
SP2_TEMP_STATUS, SP2_TEMP, SP2_TEMP_SCALE = ("1.3.6.1.4.1.12148.10.10.7.1.0", "1.3.6.1.4.1.12148.10.10.7.5.0",
                                             "1.3.6.1.4.1.12148.10.2.16.0")


@pytest.mark.parametrize(("status", "want"), [
    (1, 0.0), (3, 0.0), (8, 0.0),  # normal and alarm levels: a measured 0 V
    (0, None), (5, None),  # error, disconnected: the phase is there, its value is not a measurement
    (4, ABSENT), (6, ABSENT),  # disabled, notPresent: no such phase
    (None, 0.0),  # no status column: the value stands
])
def test_sp2_phase_reads_by_its_own_status(status: int | None, want: object) -> None:
    c = compiled("eltek-sp2")
    raw: dict[str, SnmpValue] = {f"{SP2_PHASE}.1": 230, f"{SP2_PHASE}.2": 0}
    if status is not None:
        raw[f"{SP2_PHASE_STATUS}.2"] = status
    readings = read(c, raw)
    assert readings[key("input_voltage_volts", phase="1")].value == 230.0
    if want is ABSENT:
        assert key("input_voltage_volts", phase="2") not in readings
    else:
        assert readings[key("input_voltage_volts", phase="2")].value == want


@pytest.mark.parametrize(("status", "want"), [(1, 25.0), (2, 25.0), (0, None), (4, None), (5, None), (6, None),
                                              (None, 25.0)])
def test_sp2_value_with_a_status_saying_no_sensor_is_unknown(status: int | None, want: float | None) -> None:
    raw: dict[str, SnmpValue] = {SP2_TEMP: 77, SP2_TEMP_SCALE: 1}  # 77 F
    if status is not None:
        raw[SP2_TEMP_STATUS] = status
    assert value(compiled("eltek-sp2"), raw, "battery_temperature_celsius") == pytest.approx(want)


SP2_PROBE_STATUS, SP2_PROBE = "1.3.6.1.4.1.12148.10.10.18.3.1.2", "1.3.6.1.4.1.12148.10.10.18.3.1.6"


@pytest.mark.parametrize(("summary_status", "probe_status", "want"), [
    (1, 1, 25.0), (None, 1, 25.0),  # the summary while its monitor reports it (77 F)
    (4, 1, 30.0), (0, 10, 30.0), (5, None, 30.0), (6, 2, 30.0),  # else the hotter probe (86 F)
    (4, 0, 20.0), (4, 5, 20.0),  # a probe in error or disconnected is not a measurement
    (4, 4, 20.0), (4, 6, 20.0),  # a disabled or notPresent probe is no probe
])
def test_sp2_battery_temperature_falls_back_to_the_hottest_probe(summary_status: int | None,
                                                                 probe_status: int | None, want: float) -> None:
    raw: dict[str, SnmpValue] = {SP2_TEMP: 77, SP2_TEMP_SCALE: 1, f"{SP2_PROBE}.1.1": 68, f"{SP2_PROBE}.1.2": 86}
    if summary_status is not None:
        raw[SP2_TEMP_STATUS] = summary_status
    if probe_status is not None:
        raw[f"{SP2_PROBE_STATUS}.1.2"] = probe_status
    assert value(compiled("eltek-sp2"), raw, "battery_temperature_celsius") == pytest.approx(want)


def test_sp2_battery_temperature_without_summary_or_probe_is_unknown() -> None:
    raw: dict[str, SnmpValue] = {SP2_TEMP: 0, SP2_TEMP_STATUS: 4, SP2_TEMP_SCALE: 0,
                                 f"{SP2_PROBE}.1.1": 0, f"{SP2_PROBE_STATUS}.1.1": 4}
    assert value(compiled("eltek-sp2"), raw, "battery_temperature_celsius") is None


SP2_FAILED_STATUS, SP2_FAILED, SP2_RECTIFIER = ("1.3.6.1.4.1.12148.10.5.4.1.0", "1.3.6.1.4.1.12148.10.5.4.5.0",
                                                "1.3.6.1.4.1.12148.10.5.6.1.2")


@pytest.mark.parametrize(("rows", "want"), [
    ([1, 1, 1, 1, 1, 1], 0.0),  # all normal
    ([1, 1, 1, 3, 1, 1], 1.0),  # majorAlarm
    ([1, 18], 1.0), ([7, 1], 1.0), ([8], 1.0), ([10], 1.0),  # critical, minorAndMajor, majorLow/High
    ([1, 5], 1.0),  # disconnected: the controller lost the rectifier
    ([1, 2, 9, 11, 19], 0.0),  # minor levels and warning: still delivering
    ([1, 0], 0.0),  # a row in error says nothing; the known row is normal
    ([0, 0], None),  # no row known
    ([1, 4, 6], 0.0), ([4, 6], None),  # disabled and notPresent slots are no rectifier
    ([], None),
])
def test_sp2_rectifier_failed_from_the_rectifier_rows_without_the_error_monitor(rows: list[int],
                                                                                want: float | None) -> None:
    raw: dict[str, SnmpValue] = {f"{SP2_RECTIFIER}.{i}": s for i, s in enumerate(rows, 1)}
    for summary in ({}, {SP2_FAILED_STATUS: 4, SP2_FAILED: 0}, {SP2_FAILED_STATUS: 0, SP2_FAILED: 0}):
        assert value(compiled("eltek-sp2"), raw | summary, "rectifier_failed") == want, summary


@pytest.mark.parametrize(("count", "rows", "want"), [(0, [1, 3], 0.0), (2, [1, 1], 1.0), (1, [], 1.0)])
def test_sp2_rectifier_error_monitor_wins_while_it_reports(count: int, rows: list[int], want: float) -> None:
    raw: dict[str, SnmpValue] = {SP2_FAILED_STATUS: 1, SP2_FAILED: count}
    raw |= {f"{SP2_RECTIFIER}.{i}": s for i, s in enumerate(rows, 1)}
    r = read(compiled("eltek-sp2"), raw)[key("rectifier_failed")]
    assert r.value == want
    assert r.source.startswith(f"{SP2_FAILED}={count}")


@pytest.mark.parametrize(("profile", "left", "total", "extra"), [
    ("eltek-smartpack", "1.3.6.1.4.1.12148.9.3.20.2.0", "1.3.6.1.4.1.12148.9.3.20.4.0", {}),
    ("eltek-sp2", "1.3.6.1.4.1.12148.10.10.9.5.0", "1.3.6.1.4.1.12148.10.10.11.5.0",
     {"1.3.6.1.4.1.12148.10.2.17.0": 0}),  # capacity in Ah: left / total
])
def test_a_total_capacity_of_zero_gives_no_charge_ratio(profile: str, left: str, total: str,
                                                         extra: dict[str, SnmpValue]) -> None:
    c = compiled(profile)
    for raw_total, want in [(0, None), (400, 0.5)]:
        readings = read(c, {left: 200, total: raw_total, **extra})
        assert readings[key("battery_charge_ratio")].value == want
        assert readings[key("battery_status")].value == (None if want is None else "normal")


HIMOINSA_STATUS = "1.3.6.1.4.1.41809.1.46.0"


@pytest.mark.parametrize(("status", "running", "alarm"), [
    (389, 1.0, 1.0),  # generator contactor + alarm + auto + running
    (6, 0.0, 0.0),  # auto + stopped
    (4, None, 0.0),  # neither running nor stopped: unknown, not "stopped"
    (3, None, 0.0),  # both bits at once: unknown
    (4294967295, None, 1.0),  # every bit set (a Gauge32 of -1): running and stopped both claimed
    (b"389", None, None),  # a bitmap as text is not read
    (None, None, None),
])
def test_status_bitmap_bits_are_read_through_mask(status: SnmpValue, running: float | None,
                                                  alarm: float | None) -> None:
    readings = read(compiled("himoinsa-genset"), {HIMOINSA_STATUS: status})
    assert readings[key("generator_running")].value == running
    assert readings[key("alarm_active", alarm="genset")].value == alarm
    assert readings[key("generator_running")].source == f"{HIMOINSA_STATUS}={render(status)}"


@pytest.mark.parametrize(("failed", "count", "want"), [(0, 4, 0.0), (2, 4, 1.0), (None, 4, None)])
def test_delta_rectifier_failure_count(failed: int | None, count: int, want: float | None) -> None:
    orion = "1.3.6.1.4.1.20246.2.3.1.1.1.2.4"
    raw: dict[str, SnmpValue] = {f"{orion}.1.0": count}
    if failed is not None:
        raw[f"{orion}.2.0"] = failed
    readings = read(compiled("delta-orion"), raw)
    assert readings[key("rectifier_failed")].value == want  # never "no failure" when not reported
    assert readings[key("rectifiers_installed")].value == count
