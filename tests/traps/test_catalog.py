"""Trap maps: the shipped MIB maps say what the MIB texts say; map files fail loudly."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitewatch.core.conditions import Condition
from sitewatch.core.errors import ProfileError
from sitewatch.core.model import SnmpValue
from sitewatch.traps.catalog import SHIPPED_MAPS, TrapCatalog, load_map_file

C = Condition
CATALOG = TrapCatalog.shipped()
ELTEK_AC = "1.3.6.1.4.1.12148.9.7.1.11.0"      # alarmACmains.0
SP2_STATUS_OID = "1.3.6.1.4.1.12148.10.1.1.2.0"  # alarmSubsysStatusOid.0
SP2_ONOFF = "1.3.6.1.4.1.12148.10.1.1.4.0"       # alarmSubsysStatusOnOff.0
EES_CHANGE = "1.3.6.1.4.1.6302.2.1.4.1.3.17"     # alarmStatusChange.17
EES_DESCR = "1.3.6.1.4.1.6302.2.1.4.1.5.17"      # alarmDescription.17


def test_every_shipped_vendor_mib_has_a_map() -> None:
    mibs = {load_map_file(p).mib for p in SHIPPED_MAPS.glob("*.yaml")}
    assert mibs == {"UPS-MIB", "IF-MIB", "SNMPv2-MIB", "ELTEK-DISTRIBUTED-MIB", "SP2-MIB", "EES-POWER-MIB",
                    "VEC-MIBv5-9", "HUAWEI-SITE-MONITOR-MIB", "ALGPOWER-v2-MIB"}
    algcom = load_map_file(SHIPPED_MAPS / "algcom.yaml")
    assert algcom.traps == () and "no TRAP-TYPE" in algcom.notes


CASES: list[tuple[str, str, list[tuple[str, SnmpValue]], tuple[tuple[Condition, str, bool], ...]]] = [
    ("upsTrapOnBattery", "1.3.6.1.2.1.33.2.1", [], ((C.ON_BATTERY, "", True), (C.MAINS_LOST, "", True))),
    ("upsTrapTestCompleted", "1.3.6.1.2.1.33.2.2", [], ()),
    ("upsTrapAlarmEntryAdded", "1.3.6.1.2.1.33.2.3",
     [("1.3.6.1.2.1.33.1.6.2.1.2.9", "1.3.6.1.2.1.33.1.6.3.6")], ((C.MAINS_LOST, "", True),)),
    ("upsTrapAlarmEntryRemoved", "1.3.6.1.2.1.33.2.4",
     [("1.3.6.1.2.1.33.1.6.2.1.2.9", "1.3.6.1.2.1.33.1.6.3.4")], ((C.BATTERY_DEPLETED, "", False),)),
    ("upsTrapAlarmEntryAdded", "1.3.6.1.2.1.33.2.3",  # upsAlarmOnBypass: the load is unprotected
     [("1.3.6.1.2.1.33.1.6.2.1.2.9", "1.3.6.1.2.1.33.1.6.3.9")], ((C.UPS_ON_BYPASS, "", True),)),
    ("upsTrapAlarmEntryAdded", "1.3.6.1.2.1.33.2.3",  # upsAlarmBatteryBad: replace the battery
     [("1.3.6.1.2.1.33.1.6.2.1.2.9", "1.3.6.1.2.1.33.1.6.3.1")], ((C.BATTERY_BAD, "", True),)),
    ("upsTrapAlarmEntryAdded", "1.3.6.1.2.1.33.2.3",  # upsAlarmShutdownImminent
     [("1.3.6.1.2.1.33.1.6.2.1.2.9", "1.3.6.1.2.1.33.1.6.3.23")], ((C.UPS_FAULT, "", True),)),
    ("upsTrapAlarmEntryRemoved", "1.3.6.1.2.1.33.2.4",  # upsAlarmChargerFailed
     [("1.3.6.1.2.1.33.1.6.2.1.2.9", "1.3.6.1.2.1.33.1.6.3.13")], ((C.CHARGER_FAILED, "", False),)),
    ("upsTrapAlarmEntryAdded", "1.3.6.1.2.1.33.2.3",  # upsAlarmFanFailure: known trap, no condition
     [("1.3.6.1.2.1.33.1.6.2.1.2.9", "1.3.6.1.2.1.33.1.6.3.16")], ()),
    ("linkDown", "1.3.6.1.6.3.1.1.5.3", [("1.3.6.1.2.1.2.2.1.1.5", 5), ("1.3.6.1.2.1.2.2.1.2.5", b"eth4\x00\x00")],
     ((C.LINK_DOWN, "eth4", True),)),
    ("linkDown", "1.3.6.1.6.3.1.1.5.3", [], ()),  # no interface named at all: nothing to assert
    ("coldStart", "1.3.6.1.6.3.1.1.5.1", [], ()),
    ("alarmACmainsTrap", "1.3.6.1.4.1.12148.9.8.11", [(ELTEK_AC, 1)],
     ((C.MAINS_LOST, "", True), (C.ON_BATTERY, "", True))),
    ("alarmACmainsTrap", "1.3.6.1.4.1.12148.9.8.11", [(ELTEK_AC, 0)],
     ((C.MAINS_LOST, "", False), (C.ON_BATTERY, "", False))),
    ("alarmACmainsTrap", "1.3.6.1.4.1.12148.9.8.11", [], ()),  # state varbind missing: says nothing
    ("alarmLVD2openTrap", "1.3.6.1.4.1.12148.9.8.9", [("1.3.6.1.4.1.12148.9.7.1.9.0", 1)],
     ((C.LVD_OPEN, "", True),)),
    ("alarmLVD2openTrap", "1.3.6.1.4.1.12148.9.8.9", [("1.3.6.1.4.1.12148.9.7.1.9.0", 0)], ()),  # clears: false
    ("alarmMainsTrap", "1.3.6.1.4.1.12148.10.1.2.4", [(SP2_STATUS_OID, "1.3.6.1.4.1.12148.10.3.2.1"), (SP2_ONOFF, 1)],
     ((C.MAINS_LOST, "", True), (C.ON_BATTERY, "", True))),
    ("alarmMainsTrap", "1.3.6.1.4.1.12148.10.1.2.4", [(SP2_STATUS_OID, "1.3.6.1.4.1.12148.10.3.4.1.2.1"),
                                                      (SP2_ONOFF, 1)], ()),  # one phase's voltage monitor
    ("alarmBatteryTrap", "1.3.6.1.4.1.12148.10.1.2.2", [(SP2_STATUS_OID, "1.3.6.1.4.1.12148.10.10.13.1"),
                                                        (SP2_ONOFF, 0)], ()),
    ("alarmTrap", "1.3.6.1.4.1.6302.2.1.5.1", [(EES_CHANGE, 1), (EES_DESCR, b"Mains Failure")],
     ((C.MAINS_LOST, "", True), (C.ON_BATTERY, "", True))),
    ("alarmTrap", "1.3.6.1.4.1.6302.2.1.5.1", [(EES_CHANGE, 2), (EES_DESCR, b"Mains Failure")],
     ((C.MAINS_LOST, "", False), (C.ON_BATTERY, "", False))),
    ("alarmCeaseTrap", "1.3.6.1.4.1.6302.2.1.5.3", [(EES_DESCR, b"Rectifier Failure")], ()),
    ("alarmActiveTrap", "1.3.6.1.4.1.6302.2.1.5.2", [(EES_DESCR, b"Multiple Rectifier Failure")],
     ((C.RECTIFIER_FAILED, "", True),)),
    ("alarmActiveTrap", "1.3.6.1.4.1.6302.2.1.5.2", [(EES_DESCR, b"Door Open")], ()),
    ("psAlarmAllACOff", "1.3.6.1.4.1.885.3.3.1.10", [], ((C.MAINS_LOST, "", True), (C.ON_BATTERY, "", True))),
    ("psAlarmAllACOff", "1.3.6.1.4.1.885.3.3.1.0.10", [],  # the same sent as SNMPv1 (RFC 3584 adds the 0)
     ((C.MAINS_LOST, "", True), (C.ON_BATTERY, "", True))),
    ("psAlarmBatteryReserveLow", "1.3.6.1.4.1.885.3.3.3.4", [], ((C.BATTERY_RUNTIME_LOW, "", True),)),
    ("hwAcInputAlarmTraps", "1.3.6.1.4.1.2011.6.164.2.1.0.15", [], ((C.MAINS_LOST, "", True),)),
    ("hwAcInputAlarmResumeTraps", "1.3.6.1.4.1.2011.6.164.2.1.0.16", [], ((C.MAINS_LOST, "", False),)),
    ("hwBattLvdAlarmResumeTraps", "1.3.6.1.4.1.2011.6.164.2.1.0.8", [], ()),
]


@pytest.mark.parametrize(("name", "oid", "varbinds", "asserts"), CASES)
def test_interpret(name: str, oid: str, varbinds: list[tuple[str, SnmpValue]],
                   asserts: tuple[tuple[Condition, str, bool], ...]) -> None:
    meaning = CATALOG.interpret(oid, varbinds)
    assert (meaning.name, meaning.known, meaning.asserts) == (name, True, asserts)


def test_unknown_trap_is_named_by_its_oid() -> None:
    meaning = CATALOG.interpret("1.3.6.1.4.1.99999.0.7", [])
    assert (meaning.name, meaning.known, meaning.asserts) == ("1.3.6.1.4.1.99999.0.7", False, ())


def test_extra_directory_adds_and_replaces(tmp_path: Path) -> None:
    (tmp_path / "site-relay.yaml").write_text(
        "mib: LOCAL-RELAY-MIB\n"
        "traps:\n"
        "  - {name: genFail, oid: 1.3.6.1.4.1.99999.0.1, conditions: [generator_failed]}\n"
        "  - {name: coldStartLocal, oid: 1.3.6.1.6.3.1.1.5.1}\n")
    catalog = TrapCatalog.load([tmp_path])
    assert catalog.interpret("1.3.6.1.4.1.99999.0.1", []).asserts == ((C.GENERATOR_FAILED, "", True),)
    assert catalog.interpret("1.3.6.1.6.3.1.1.5.1", []).name == "coldStartLocal"
    assert len(catalog) == len(CATALOG) + 1


@pytest.mark.parametrize(("text", "expected"), [
    ("mib: X\ntraps:\n  - {name: a, oid: 1.3.6.1.4.1.1.1, conditions: [mains_gone]}\n", ":3: traps[0].conditions[0]"),
    ("mib: X\ntraps:\n  - name: a\n    oid: 1.3.6.1.4.1.1.1\n    colour: red\n", ":5: traps[0].colour"),
    ("mib: X\ntraps:\n  - {name: a, oid: 1.3.x}\n", ":3: traps[0].oid"),
    ("mib: X\ntraps:\n  - name: a\n    oid: 1.3.6.1.4.1.1.1\n"
     "    state: {varbind: 1.3.6.1.4.1.1.2, on: [1], off: [1]}\n", "both on and off"),
    ("mib: X\ntraps:\n  - name: a\n    oid: 1.3.6.1.4.1.1.1\n    select:\n      varbind: 1.3.6.1.4.1.1.2\n"
     "      rules: [{pattern: '(', conditions: [lvd_open]}]\n", "bad pattern"),
    ("mib: X\ntraps:\n  - {name: a, oid: 1.3.6.1.4.1.1.1}\n  - {name: b, oid: 1.3.6.1.4.1.1.1}\n", "listed twice"),
])
def test_bad_map_file_names_file_line_and_field(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ProfileError) as e:
        TrapCatalog.load([tmp_path])
    assert str(path) in str(e.value)
    assert expected in str(e.value)
