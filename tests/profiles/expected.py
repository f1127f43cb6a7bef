"""What each recording must read as, shared by the unit and the end-to-end tests.

Values for the real recordings come from tests/fixtures/snmprec/librenms/README.md; values for
the recordings built from MIB text (``tests/fixtures/snmprec``) from the scenario in each file's
header. ``None`` means the reading must be there and unknown; ``ABSENT`` that it must not be.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

import pytest

from sitewatch.core.model import Reading
from tests.agents import FIXTURES

__all__ = ["ABSENT", "BUILT", "DETECTED", "EXPECTED", "RECORDINGS", "check", "key", "recording_path"]

#: recordings built for these tests from MIB text
BUILT: Final = Path(__file__).resolve().parents[1] / "fixtures" / "snmprec"

ABSENT: Final = object()

Key = tuple[str, tuple[tuple[str, str], ...]]


def key(name: str, **labels: str) -> Key:
    return name, tuple(sorted(labels.items()))


def recording_path(name: str) -> Path:
    built = BUILT / f"{name}.snmprec"
    return built if built.exists() else FIXTURES / f"{name}.snmprec"


#: recording → the profiles detection must choose (vendor first, then the others by name)
DETECTED: Final[Mapping[str, tuple[str, ...]]] = {
    "deltaups": ("if-mib", "ups-mib"),
    "abbups_abbups": ("if-mib", "ups-mib"),
    "huaweiups_ups2000": ("ups-mib",),
    "netsure": ("vertiv-netsure", "if-mib"),
    "eltek-webpower": ("eltek-smartpack", "if-mib"),
    "algcom-dc-ups": ("algcom-dc-ups",),
    "sitemonitor": ("packetflux-sitemonitor",),
    "snr-erd": ("snr-erd", "if-mib"),
    "aviat-wtm": ("entity-sensor", "if-mib"),
    "siklu": ("if-mib",),
    "eltek-sp2": ("eltek-sp2",),
    "vertiv-ees": ("vertiv-ees",),
    "huawei-site-monitor": ("huawei-site-monitor",),
    "huawei-smu": ("huawei-site-monitor",),  # real SMU, generic Net-SNMP sysObjectID: by probe
    "delta-orion": ("delta-orion",),
    "zte-zxdu": ("zte-zxdu",),
    "alpha-cordex": ("alpha-cordex",),
    "alpha-cordex-mains-lost": ("alpha-cordex",),
    "himoinsa-genset": ("himoinsa-genset",),
    "himoinsa-genset-fail-to-start": ("himoinsa-genset",),
    "apc": (),  # an APC NetBotz rack monitor (318.1.3.8): not a UPS, PowerNet UPS objects absent
    "apc-powernet": ("apc-powernet",),
    "eaton-xups": ("eaton-xups",),
    "eaton-sc200": ("eaton-sc200", "if-mib"),
    "eaton-sc200-mains-fail": ("eaton-sc200",),
    "eaton-sc300": ("eaton-sc300",),
    # built with the values devices send for what they do not have (one per profile)
    "apc-powernet-sentinels": ("apc-powernet",),
    "eaton-xups-sentinels": ("eaton-xups",),
    "eaton-sc200-sentinels": ("eaton-sc200",),
    "eaton-sc300-sentinels": ("eaton-sc300",),
    "ups-mib-sentinels": ("ups-mib",),
    "if-mib-sentinels": ("if-mib",),
    "entity-sensor-sentinels": ("entity-sensor",),
    "eltek-smartpack-sentinels": ("eltek-smartpack",),
    "eltek-sp2-sentinels": ("eltek-sp2",),
    # summary monitors disabled or not answered: the plant's tables stand in
    "eltek-sp2-disabled-summaries": ("eltek-sp2",),
    "eltek-sp2-rectifier-failed": ("eltek-sp2",),
    "vertiv-ees-sentinels": ("vertiv-ees",),
    "vertiv-netsure-sentinels": ("vertiv-netsure",),
    "huawei-site-monitor-sentinels": ("huawei-site-monitor",),
    "algcom-dc-ups-sentinels": ("algcom-dc-ups",),
    "packetflux-sitemonitor-sentinels": ("packetflux-sitemonitor",),
    "delta-orion-sentinels": ("delta-orion",),
    "zte-zxdu-sentinels": ("zte-zxdu",),
}
RECORDINGS: Final = tuple(DETECTED)

EXPECTED: Final[Mapping[str, Mapping[Key, object]]] = {
    "deltaups": {
        key("battery_voltage_volts"): 41.2,  # upsBatteryVoltage 412 x 0.1 V
        key("battery_charge_ratio"): 1.0,
        key("battery_runtime_seconds"): 22 * 60,
        key("battery_temperature_celsius"): 23.0,
        key("battery_current_amperes"): None,  # recorded as NULL
        key("battery_status"): "normal",
        key("seconds_on_battery"): 0.0,
        key("output_source"): "normal",
        key("input_voltage_volts", phase="1"): 121.0,
        key("input_frequency_hertz"): 59.9,  # upsInputFrequency.1 599 x 0.1 Hz (a 60 Hz grid)
        key("mains_ok"): 1.0,
        key("on_battery"): 0.0,
        key("alarms_present"): None,  # the card has no upsAlarm group
        key("uptime_seconds"): 3405.85,
        key("link_up", interface="lo"): 1.0,  # ifDescr "lo" NUL-padded, no ifName
        key("link_up", interface="eth0"): 1.0,
        key("link_up", interface="tunl0"): 0.0,
        key("link_admin_up", interface="tunl0"): 0.0,
    },
    "abbups_abbups": {
        key("battery_voltage_volts"): 434.8,
        key("battery_runtime_seconds"): 452 * 60,
        key("input_voltage_volts", phase="1"): 239.0,
        key("input_voltage_volts", phase="2"): 239.0,
        key("input_voltage_volts", phase="3"): 238.0,
        key("input_frequency_hertz"): 50.0,
        key("mains_ok"): 1.0,
        key("uptime_seconds"): None,  # the walk has no sysUpTime
    },
    "huaweiups_ups2000": {
        key("battery_runtime_seconds"): None,  # 4294967295 = -1 sent as Gauge32
        key("battery_voltage_volts"): 270.7,  # Gauge32 in place of INTEGER
        key("battery_current_amperes"): 0.4,
        key("battery_status"): "normal",
        key("battery_charge_ratio"): 1.0,
        key("input_voltage_volts", phase="1"): 233.0,
        key("input_frequency_hertz"): 50.0,
        key("mains_ok"): 1.0,
        key("on_battery"): 0.0,
    },
    "netsure": {
        key("battery_voltage_volts"): 54.01,  # psSystemVoltage "54.01" (text)
        key("battery_current_amperes"): 0.0,  # psBatteryCurrent "0.00"
        key("battery_runtime_seconds"): None,
        key("alarm_active", alarm="major"): 0.0,
        key("alarm_active", alarm="minor"): 0.0,
        key("mains_ok"): ABSENT,  # the VEC MIB has no AC values
        key("link_up", interface="1"): 1.0,  # empty ifDescr: the index names it
    },
    "eltek-webpower": {
        key("battery_voltage_volts"): 53.23,  # 5323 x 0.01 V
        key("input_voltage_volts", phase="1"): 233.0,
        key("input_voltage_volts", phase="2"): 235.0,
        key("input_voltage_volts", phase="3"): 236.0,
        key("battery_temperature_celsius"): 24.0,
        key("battery_runtime_seconds"): 1406 * 60,
        key("battery_charge_ratio"): 1.0,  # 1360 Ah left of 1360
        key("battery_status"): "normal",
        key("mains_ok"): 1.0,
        key("on_battery"): 0.0,
        key("rectifier_failed"): 0.0,
        key("lvd_open"): 0.0,
        key("alarm_active", alarm="ac_mains"): 0.0,
        key("alarms_present"): 0.0,
        key("link_up", interface="Ethernet Interface"): 1.0,
    },
    "algcom-dc-ups": {
        key("mains_ok"): 1.0,  # acFail 0
        key("on_battery"): 0.0,
        key("battery_voltage_volts"): 53.9,
        key("battery_current_amperes"): 0.0,
        key("battery_status"): "normal",  # chargerStatus 5 CHARGING_FLOAT
        key("input_voltage_volts", phase="1"): None,  # optional sensor not fitted (0)
        key("alarms_present"): 0.0,
    },
    "sitemonitor": {
        key("battery_voltage_volts"): 46.9,
        key("ambient_temperature_celsius"): 31.6,  # analog input 0, 316 tenths
        key("mains_ok"): 1.0,  # switch input 3 closed (mains-present relay)
        key("on_battery"): 0.0,
    },
    "snr-erd": {  # no input means anything until the site wires it (test_contacts)
        key("mains_ok"): ABSENT,
        key("door_open"): ABSENT,
        key("link_up", interface="st"): 1.0,
        key("uptime_seconds"): 3532.25,
    },
    "aviat-wtm": {
        key("battery_voltage_volts"): 47.058,  # entPhySensor voltsDC, scale units, precision 3
        key("battery_temperature_celsius"): ABSENT,  # no sensor is a battery's
        key("link_up", interface="GigabitEthernet1/1"): 1.0,
        key("link_up", interface="GigabitEthernet1/2"): 0.0,
        key("link_up", interface="Radio1"): 1.0,
        key("link_up", interface="Vlan1"): 1.0,
        key("link_up", interface="TenGigE1/1"): ABSENT,  # notPresent
        key("link_up", interface="TenGigE1/2"): ABSENT,
        key("link_admin_up", interface="Radio1"): None,  # the walk has no ifAdminStatus
    },
    "siklu": {
        key("link_up", interface="Eth2"): 0.0,  # a real link-down:
        key("link_admin_up", interface="Eth2"): 1.0,  # administratively up
        key("link_up", interface="Eth0"): 1.0,
        key("link_up", interface="Host"): 1.0,
        key("link_up", interface="vlan 287"): 1.0,
    },
    "eltek-sp2": {
        key("battery_voltage_volts"): 48.7,
        key("battery_current_amperes"): -41.2,  # -412 deciamperes
        key("battery_temperature_celsius"): 25.0,  # 77 F
        key("battery_runtime_seconds"): 142 * 60,
        key("battery_charge_ratio"): 0.78,  # 312 of 400 Ah
        key("battery_status"): "normal",
        key("input_voltage_volts", phase="1"): 0.0,
        key("mains_ok"): 0.0,
        key("on_battery"): 1.0,
        key("generator_running"): 1.0,
        key("fuel_level_ratio"): 0.64,
        key("rectifier_failed"): 1.0,
        key("lvd_open"): 1.0,  # load LVLD 2 disconnected
        key("alarm_active", alarm="mains"): 1.0,
        key("alarm_active", alarm="generator"): 0.0,
        key("alarms_present"): 3.0,
    },
    "vertiv-ees": {
        key("battery_voltage_volts"): 53.52,  # psBatteryVoltage invalid: systemVoltage -53520 mV
        key("battery_current_amperes"): -41.2,
        key("battery_charge_ratio"): 0.87,
        key("battery_temperature_celsius"): 25.0,  # the probe of type battery(2)
        key("input_voltage_volts", phase="1"): 0.0,
        key("input_voltage_volts", phase="3"): None,  # 2147483647
        key("mains_ok"): 0.0,  # acFail(8)
        key("on_battery"): 1.0,
        key("rectifier_failed"): 1.0,
        key("alarm_active", alarm="Mains Failure"): 1.0,
        key("alarm_active", alarm="Door Alarm"): 0.0,
        key("alarms_present"): 2.0,
    },
    "huawei-site-monitor": {
        key("battery_voltage_volts"): 49.8,
        key("battery_current_amperes"): -25.3,
        key("battery_runtime_seconds"): 185 * 60,
        key("battery_charge_ratio"): 0.742,
        key("battery_temperature_celsius"): 26.5,
        key("input_voltage_volts", phase="2"): 0.0,
        key("mains_ok"): 0.0,  # acOff(2)
        key("on_battery"): 1.0,  # disCharge(3)
        key("generator_running"): 1.0,
        key("rectifier_failed"): 1.0,
        key("lvd_open"): 0.0,
        key("alarm_active", alarm="AC Power Failure"): 1.0,
        key("alarm_active", alarm="Door Alarm"): 0.0,
        key("alarms_present"): 2.0,
        key("load_current_amperes"): 25.3,  # hwDcsTotalCurrent 253 x 0.1 A
        key("rectifier_current_amperes"): 0.0,  # no AC: the rectifiers give nothing
        key("rectifiers_installed"): 3.0,
    },
    # The real SMU recording holds identity objects only: every power reading is there and
    # unknown, none reads as 0 (no mains, no failed rectifier, no battery voltage of 0 V).
    "huawei-smu": {
        key("uptime_seconds"): 1401660.78,
        key("battery_voltage_volts"): None,
        key("mains_ok"): None,
        key("on_battery"): None,
        key("rectifier_failed"): None,
        key("rectifiers_installed"): None,
        key("load_current_amperes"): None,
        key("lvd_open"): None,
        key("generator_running"): None,
        key("alarms_present"): None,
        key("input_voltage_volts", phase="1"): ABSENT,  # no AC input unit row
    },
    "delta-orion": {
        key("battery_voltage_volts"): 49.2,  # dcSystemVoltage 4920 x 10 mV
        key("load_current_amperes"): 32.5,
        key("battery_current_amperes"): -32.5,
        key("battery_temperature_celsius"): 23.5,
        key("rectifier_current_amperes"): 0.0,
        key("rectifiers_installed"): 6.0,
        key("rectifier_failed"): 1.0,  # dcNumberRectifiersFailure 1
        key("mains_ok"): 0.0,  # dcMainsFailureAlarm active(2)
        key("on_battery"): 1.0,  # dcChargeState discharge(2)
        key("alarm_active", alarm="mains_failure"): 1.0,
        key("alarm_active", alarm="critical"): 1.0,
        key("alarm_active", alarm="urgent"): 1.0,
        key("alarm_active", alarm="non_urgent"): 0.0,
        key("alarms_present"): 3.0,
        key("battery_runtime_seconds"): ABSENT,  # the MIB has none
    },
    "zte-zxdu": {
        key("battery_voltage_volts"): 49.8,
        key("load_current_amperes"): 41.3,
        key("battery_current_amperes"): -41.3,
        key("rectifier_current_amperes"): 0.0,
        key("battery_temperature_celsius"): 31.5,
        key("battery_charge_ratio"): 0.62,
        key("battery_status"): "normal",
        key("input_voltage_volts", phase="1"): 0.0,
        key("input_voltage_volts", phase="3"): 0.0,
        key("mains_ok"): 0.0,
        key("on_battery"): 1.0,
        key("rectifier_failed"): ABSENT,  # not matched in the scans: not guessed
    },
    "alpha-cordex": {
        key("battery_voltage_volts"): 54.48,  # rectSysBatteryVoltage 54480 (3 decimals)
        key("load_current_amperes"): 38.25,
        key("battery_current_amperes"): 1.2,
        key("rectifier_current_amperes"): 39.45,
        key("battery_temperature_celsius"): 24.5,
        key("battery_charge_ratio"): 0.985,
        key("battery_runtime_seconds"): 7.25 * 3600,
        key("battery_status"): "normal",
        key("mains_ok"): 1.0,  # rectifier AC input 229.5 V
        key("on_battery"): 0.0,
        key("alarm_active", alarm="4.17.2"): 1.0,  # rectifier 2, major(3)
        key("alarm_active", alarm="4.17.1"): 0.0,
        key("alarm_active", alarm="2.5.1"): 1.0,  # warning(1)
        key("alarms_present"): 2.0,
        key("rectifier_failed"): 1.0,  # a rectifier alarm at major or above
        key("rectifiers_installed"): ABSENT,
    },
    "alpha-cordex-mains-lost": {
        key("battery_voltage_volts"): 49.2,  # battery voltage missing: the bus, -49200 as magnitude
        key("battery_current_amperes"): -40.1,
        key("rectifier_current_amperes"): 0.0,
        key("battery_temperature_celsius"): None,  # not answered
        key("battery_charge_ratio"): 0.41,
        key("battery_runtime_seconds"): 2.5 * 3600,
        key("mains_ok"): 0.0,
        key("on_battery"): 1.0,
        key("rectifier_failed"): 0.0,  # every rectifier alarm row normal
        key("alarms_present"): 1.0,
    },
    "himoinsa-genset": {
        key("generator_running"): 1.0,  # status 389: bit 1 set
        key("generator_fault"): 0.0,
        key("alarm_active", alarm="genset"): 1.0,  # bit 128
        key("fuel_level_ratio"): 0.655,  # 655 tenths of a percent
        key("generator_run_seconds"): 1234 * 3600.0,
        key("input_voltage_volts", phase="1"): 0.0,
        key("mains_ok"): 0.0,
        key("battery_voltage_volts"): ABSENT,  # the starter battery is not the site's
    },
    "himoinsa-genset-fail-to-start": {
        key("generator_running"): 0.0,  # status 134: stopped
        key("generator_fault"): 1.0,  # falloArranqueMeasure 1
        key("alarm_active", alarm="genset"): 1.0,
        key("fuel_level_ratio"): None,  # not answered
        key("generator_run_seconds"): 87 * 3600.0,
        key("input_voltage_volts", phase="1"): None,
        key("mains_ok"): 0.0,  # from caidaRedMeasure 1
    },
    "apc": {
        key("output_source"): ABSENT,  # detection chose no UPS profile
        key("uptime_seconds"): None,  # the walk has no sysUpTime
    },
    "apc-powernet": {
        key("output_source"): "battery",  # upsBasicOutputStatus onBattery(3)
        key("on_battery"): 1.0,
        key("mains_ok"): 0.0,
        key("seconds_on_battery"): 300.0,  # 30000 ticks
        key("battery_charge_ratio"): 0.873,  # upsHighPrec 873 tenths, not upsAdv 87 %
        key("battery_runtime_seconds"): 1740.0,  # 174000 ticks
        key("battery_voltage_volts"): 50.2,
        key("battery_current_amperes"): 21.5,
        key("battery_temperature_celsius"): 28.3,
        key("battery_status"): "normal",
        key("input_voltage_volts", phase="1"): 0.0,
        key("output_load_ratio"): 0.452,
        key("alarm_active", alarm="battery_bad"): 1.0,  # batteryNeedsReplacing(2)
        key("alarm_active", alarm="on_battery"): 1.0,
        key("alarm_active", alarm="on_bypass"): 0.0,
        key("alarm_active", alarm="output_overload"): 0.0,
        key("alarm_active", alarm="low_battery"): 0.0,
        key("alarm_active", alarm="general_fault"): 0.0,
        key("alarm_active", alarm="awaiting_power"): 0.0,
        key("alarms_present"): 2.0,
    },
    "eaton-xups": {
        key("output_source"): "battery",
        key("on_battery"): 1.0,
        key("mains_ok"): 0.0,  # xupsInputStatus inputBad(1)
        key("input_frequency_hertz"): 0.0,  # xupsInputFrequency 0: no input
        key("ambient_temperature_celsius"): None,  # no environment sensor: noSuchInstance, unknown
        key("battery_runtime_seconds"): 1260.0,
        key("battery_voltage_volts"): 216.0,
        key("battery_current_amperes"): -18.0,  # +18 A "positive when discharging"
        key("battery_charge_ratio"): 0.81,
        key("battery_status"): "normal",  # xupsBatteryLowCapacity no(2)
        key("input_voltage_volts", phase="1"): 0.0,
        key("input_voltage_volts", phase="2"): 0.0,
        key("input_voltage_volts", phase="3"): 0.0,
        key("output_load_ratio"): 0.37,
        key("alarm_active", alarm="on_battery"): 1.0,  # xupsAlarmDescr xupsOnBattery
        key("alarm_active", alarm="input_bad"): 1.0,  # xupsInputFailure
        key("alarm_active", alarm="battery_bad"): 0.0,  # xupsBatteryFailure no(2)
        key("alarms_present"): 2.0,
    },
    "eaton-sc200": {
        key("battery_voltage_volts"): 54.81,  # bus-Voltage 5481 x 0.01 V
        key("battery_current_amperes"): 0.0,
        key("battery_temperature_celsius"): 17.0,
        key("battery_runtime_seconds"): None,  # the walk has no btr-Time-Remaining
        key("input_voltage_volts", phase="1"): 245.0,  # ac-Voltage
        key("load_current_amperes"): 17.0,
        key("mains_ok"): 1.0,  # no ac-Supply-State: from ac-Voltage 245 V
        key("on_battery"): 0.0,
        key("generator_running"): None,  # the walk has no generator-State
        key("rectifier_failed"): 0.0,  # 3 registered, not failed; 123 slots not-Detected
        key("alarm_active", alarm="Cabdoor-Middle Bay"): 1.0,  # digital input 5 active-Minor(3)
        key("alarm_active", alarm="Load Fuse Fail"): 0.0,
        key("alarm_active", alarm="ACD Fan Fail"): ABSENT,  # di-Status disabled(0)
        key("alarm_active", alarm="Digital Input 11"): ABSENT,
        key("alarms_present"): 1.0,
        key("link_up", interface="eth0"): 1.0,
        key("uptime_seconds"): 4591672.19,
    },
    "eaton-sc200-mains-fail": {
        key("mains_ok"): 0.0,  # ac-Supply-State failed(1)
        key("on_battery"): 1.0,
        key("input_voltage_volts", phase="1"): 0.0,
        key("battery_voltage_volts"): 49.8,
        key("battery_current_amperes"): -42.0,  # discharging
        key("battery_temperature_celsius"): 26.0,
        key("battery_runtime_seconds"): 9000.0,  # btr-Time-Remaining during discharge(101)
        key("load_current_amperes"): 41.0,
        key("generator_running"): 1.0,  # running(86)
        key("rectifier_failed"): 1.0,  # rectifier 3 comms-Lost(3)
        key("alarm_active", alarm="ac_fail"): 1.0,  # active-Critical(5)
        key("alarm_active", alarm="in_discharge"): 1.0,
        key("alarm_active", alarm="rectifier_comms_lost"): 1.0,
        key("alarm_active", alarm="battery_test_fail"): 0.0,
        key("alarm_active", alarm="Cabdoor-Power Pod"): 1.0,  # digital input 3 active-Major(2)
        key("alarm_active", alarm="Digital Input 4"): ABSENT,  # disabled
        key("alarms_present"): 4.0,
    },
    "eaton-sc300": {
        key("mains_ok"): 0.0,  # acSupplyState failed(1)
        key("on_battery"): 1.0,
        key("input_voltage_volts", phase="1"): 0.0,
        key("battery_voltage_volts"): 50.12,
        key("battery_current_amperes"): -30.0,
        key("battery_temperature_celsius"): 24.0,
        key("battery_runtime_seconds"): 9000.0,  # btrTimeRemaining 150 minutes
        key("load_current_amperes"): 30.0,
        key("generator_running"): 0.0,  # notRunning(85)
        key("rectifier_failed"): 0.0,
        key("alarm_active", alarm="ac_fail"): 1.0,
        key("alarm_active", alarm="Door"): 0.0,
        key("alarms_present"): 1.0,
    },
    # A value the device does not have reads as unknown (None), a row it does not have as absent:
    # never a plausible number.
    "ups-mib-sentinels": {
        key("battery_current_amperes"): None,  # -1: not supported (not -0.1 A)
        key("battery_temperature_celsius"): None,  # 2147483647
        key("battery_runtime_seconds"): None,  # -1
        key("battery_charge_ratio"): None,  # 4294967295 = -1 as Gauge32
        key("battery_voltage_volts"): 54.5,
        key("battery_status"): "normal",
        key("input_voltage_volts", phase="1"): 229.0,
        key("input_voltage_volts", phase="2"): ABSENT,  # beyond upsInputNumLines 1 (not 0 V)
        key("input_voltage_volts", phase="3"): ABSENT,
        key("mains_ok"): 1.0,
        key("on_battery"): 0.0,
        key("alarms_present"): 0.0,
    },
    "apc-powernet-sentinels": {
        key("output_source"): None,  # upsBasicOutputStatus unknown(1)
        key("on_battery"): 0.0,  # time on battery 0
        key("mains_ok"): 1.0,
        key("battery_charge_ratio"): 1.0,  # upsHighPrec -1: upsAdv 100 %
        key("battery_temperature_celsius"): None,  # upsHighPrec -1, upsAdv 2147483647
        key("battery_current_amperes"): None,  # upsHighPrec -1, upsAdv missing
        key("battery_voltage_volts"): 27.0,  # upsHighPrec missing: upsAdv
        key("input_voltage_volts", phase="1"): 231.0,
        key("output_load_ratio"): 0.2,  # upsHighPrec 4294967295 (-1 as Gauge32): upsAdv 20 %
        key("battery_runtime_seconds"): 3600.0,
        key("alarm_active", alarm="battery_bad"): 0.0,
        key("alarm_active", alarm="on_bypass"): None,  # output source unknown
        key("alarm_active", alarm="awaiting_power"): None,
    },
    "eaton-xups-sentinels": {
        key("battery_runtime_seconds"): None,  # -1
        key("battery_current_amperes"): None,  # missing
        key("battery_status"): "normal",  # ABM unknown(5), no LowCapacity: from 100 %
        key("output_load_ratio"): None,  # -1
        key("input_voltage_volts", phase="1"): 230.0,
        key("input_voltage_volts", phase="2"): ABSENT,  # beyond xupsInputNumPhases 1 (not 0 V)
        key("input_voltage_volts", phase="3"): ABSENT,
        key("mains_ok"): 1.0,  # no xupsInputStatus: not on battery, no input alarm
        key("on_battery"): 0.0,
        key("alarm_active", alarm="battery_bad"): None,  # xupsBatteryFailure missing
        key("alarms_present"): 0.0,
    },
    "eaton-sc200-sentinels": {
        key("mains_ok"): 1.0,  # ac-Supply-State unavailable(2): from ac-Voltage 238 V
        key("on_battery"): 0.0,
        key("generator_running"): None,  # missing(88)
        key("battery_runtime_seconds"): None,  # charge state unavailable(103)
        key("battery_voltage_volts"): 53.9,
        key("battery_current_amperes"): 0.0,
        key("load_current_amperes"): 9.0,
        key("rectifier_failed"): 0.0,  # slots 3-6 not-Detected; slot 2 without a failed state
        key("alarm_active", alarm="sensor_fail"): None,  # reserved(4)
        key("alarm_active", alarm="ac_fail"): 0.0,
        key("alarms_present"): 0.0,
    },
    "eaton-sc300-sentinels": {
        key("mains_ok"): 1.0,  # acSupplyState unavailable(2): from acVoltage 231 V
        key("on_battery"): 0.0,
        key("generator_running"): None,  # missing(88)
        key("battery_runtime_seconds"): None,  # float(100): 0 is no estimate
        key("battery_voltage_volts"): 54.4,
        key("battery_current_amperes"): 2.0,
        key("load_current_amperes"): 12.0,
        key("rectifier_failed"): 0.0,  # slot 2 notDetected
        key("alarm_active", alarm="Digital Input 2"): ABSENT,  # disabled
        key("alarm_active", alarm="sensor_fail"): None,  # reserved(4)
        key("alarms_present"): None,  # nothing known to count
    },
    "if-mib-sentinels": {
        key("link_up", interface="1"): 1.0,  # empty ifName, NUL-only ifDescr: named by ifIndex
        key("link_up", interface="radio0"): None,  # ifOperStatus 0
        key("link_admin_up", interface="radio0"): None,  # ifAdminStatus 0
        key("link_up", interface="sfp0"): ABSENT,  # notPresent
        key("link_admin_up", interface="sfp0"): ABSENT,
        key("link_up", interface="eth1"): None,  # unknown(4)
    },
    "entity-sensor-sentinels": {
        key("battery_voltage_volts"): 48.25,  # sensor 1 is unavailable(2) and reads 0: skipped
        key("battery_temperature_celsius"): ABSENT,  # the battery sensor is nonoperational(3)
    },
    "eltek-smartpack-sentinels": {
        key("input_voltage_volts", phase="1"): 231.0,
        key("input_voltage_volts", phase="2"): None,  # 0 V while alarmACmains is normal: no such phase
        key("input_voltage_volts", phase="3"): None,
        key("mains_ok"): 1.0,
        key("battery_runtime_seconds"): None,  # -1
        key("battery_charge_ratio"): None,  # -1 of -1
        key("battery_status"): None,
        key("battery_voltage_volts"): 53.5,
        key("rectifier_failed"): 0.0,  # slot 2 notPresent: not a rectifier
        key("lvd_open"): 0.0,
    },
    "eltek-sp2-sentinels": {
        key("input_voltage_volts", phase="1"): 230.0,
        key("input_voltage_volts", phase="2"): ABSENT,  # mainsVoltageStatus notPresent(6)
        key("input_voltage_volts", phase="3"): ABSENT,
        key("mains_ok"): 1.0,
        key("on_battery"): 0.0,
        key("battery_current_amperes"): None,  # batteryCurrentsStatus disabled(4), reads 0
        key("battery_temperature_celsius"): None,  # batteryTemperaturesStatus notPresent(6), reads 0
        key("battery_runtime_seconds"): None,  # -1
        key("battery_voltage_volts"): 54.2,
        key("battery_charge_ratio"): 0.96,
        key("fuel_level_ratio"): ABSENT,  # tank 1 notPresent(6), reads 0
        key("generator_running"): 0.0,
        key("rectifier_failed"): 0.0,
    },
    "eltek-sp2-disabled-summaries": {
        key("battery_temperature_celsius"): 19.0,  # summary disabled(4) reads 0: the hotter probe
        key("rectifier_failed"): 0.0,  # error monitor disabled(4): six rectifiers normal
        key("alarm_active", alarm="rectifiers"): 0.0,
        key("alarm_active", alarm="generator"): None,  # generatorStatus disabled(4)
        key("battery_voltage_volts"): 54.1,
        key("battery_current_amperes"): 12.0,
        key("battery_charge_ratio"): 1.0,
        key("input_voltage_volts", phase="3"): 230.0,
        key("mains_ok"): 1.0,
        key("on_battery"): 0.0,
        key("generator_running"): 0.0,
        key("lvd_open"): 0.0,
        key("alarms_present"): 0.0,
    },
    "eltek-sp2-rectifier-failed": {
        key("rectifier_failed"): 1.0,  # no error monitor: rectifier 4 majorAlarm(3)
        key("alarm_active", alarm="rectifiers"): 1.0,
        key("battery_temperature_celsius"): 20.0,  # probe 1 at 68 F; probe 2 disconnected(5) reads 212
        key("mains_ok"): 1.0,
        key("alarms_present"): 1.0,
    },
    "vertiv-ees-sentinels": {
        key("battery_voltage_volts"): None,  # psBatteryVoltage and systemVoltage 2147483647
        key("battery_current_amperes"): None,
        key("battery_charge_ratio"): None,
        key("battery_status"): None,
        key("battery_temperature_celsius"): None,  # the battery probe reads 2147483647
        key("input_voltage_volts", phase="1"): 230.0,
        key("input_voltage_volts", phase="2"): None,
        key("input_voltage_volts", phase="3"): None,
        key("mains_ok"): 1.0,  # battery mode unknown(1): from line A
        key("on_battery"): None,
        key("alarm_active", alarm="7"): 1.0,  # empty alarmDescription: named by alarmIndex
    },
    "vertiv-netsure-sentinels": {
        key("battery_voltage_volts"): 53.9,
        key("battery_current_amperes"): None,  # empty text
        key("battery_runtime_seconds"): None,  # NUL padding
        key("lvd_open"): 0.0,  # circuit A none(3); B noreply(1) says nothing
        key("rectifier_failed"): 0.0,
    },
    "huawei-site-monitor-sentinels": {
        key("battery_voltage_volts"): 53.6,
        key("battery_current_amperes"): None,  # 2147483647
        key("battery_runtime_seconds"): None,  # 4294967295
        key("battery_charge_ratio"): None,  # 2147483647
        key("battery_status"): None,
        key("battery_temperature_celsius"): None,  # -99999: sensor not configured
        key("on_battery"): None,  # hwBattsChargeStatus unknown(255)
        key("generator_running"): None,  # hwSiteDGWorkStatus unknown(255)
        key("input_voltage_volts", phase="1"): 230.0,
        key("input_voltage_volts", phase="2"): None,  # 2147483647
        key("input_voltage_volts", phase="3"): None,
        key("mains_ok"): 1.0,
        key("rectifier_failed"): 0.0,  # slot 2 noConfig(7): not a rectifier
        key("alarm_active", alarm="4"): 0.0,  # empty hwAlarmText: named by hwAlarmIndex
        key("lvd_open"): None,  # the only LVD unit is disabled: not "closed"
    },
    "algcom-dc-ups-sentinels": {
        key("input_voltage_volts", phase="1"): None,  # supplyVoltage 0: no sensor
        key("battery_status"): "unknown",  # incompatible battery(1)
        key("battery_voltage_volts"): 54.1,
        key("battery_current_amperes"): 1.2,
        key("mains_ok"): 1.0,
        key("on_battery"): 0.0,
        key("alarms_present"): 0.0,
    },
    "delta-orion-sentinels": {
        key("battery_voltage_volts"): 54.1,  # -5410 from a -48 V plant: the magnitude
        key("load_current_amperes"): None,  # 2147483647: invalid
        key("battery_current_amperes"): None,
        key("battery_temperature_celsius"): None,
        key("rectifier_current_amperes"): None,
        key("rectifiers_installed"): 4.0,
        key("rectifier_failed"): 0.0,
        key("mains_ok"): 1.0,
        key("on_battery"): 0.0,
        key("alarms_present"): 0.0,
    },
    "zte-zxdu-sentinels": {
        key("battery_voltage_volts"): 53.5,  # busbar 2147483647: from the battery group's object
        key("battery_temperature_celsius"): None,
        key("battery_charge_ratio"): None,
        key("battery_status"): None,
        key("input_voltage_volts", phase="1"): 230.0,
        key("input_voltage_volts", phase="2"): None,  # 2147483647: no such phase
        key("input_voltage_volts", phase="3"): None,
        key("mains_ok"): 1.0,
        key("on_battery"): 0.0,
        key("load_current_amperes"): 11.17,
        key("rectifier_current_amperes"): 13.11,
        key("battery_current_amperes"): 1.94,
    },
    "packetflux-sitemonitor-sentinels": {
        key("battery_voltage_volts"): None,  # 1000 tenths: full scale, nothing connected
        key("ambient_temperature_celsius"): 25.0,
        key("mains_ok"): None,  # switch input 3 not answered
        key("on_battery"): None,
    },
}


def check(readings: Iterable[Reading], expected: Mapping[Key, object]) -> None:
    """Every expected reading has its value (numbers to 1e-9), unknown or absent as said;
    no reading appears twice."""
    found: dict[Key, Reading] = {}
    for r in readings:
        k = (r.name, r.labels)
        assert k not in found, f"{k} produced twice"
        found[k] = r
    for k, want in expected.items():
        if want is ABSENT:
            assert k not in found, f"{k} should not be produced, got {found[k]}"
            continue
        assert k in found, f"{k} missing; produced: {sorted(found)}"
        got = found[k].value
        if want is None or isinstance(want, str):
            assert got == want, f"{k}: {got!r} != {want!r} ({found[k].source})"
        else:
            assert got == pytest.approx(want, abs=1e-9), f"{k}: {got!r} != {want!r} ({found[k].source})"
