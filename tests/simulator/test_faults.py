"""Faults injected on generated devices, seen through real SNMP (net-snmp), the control API and
``sitewatch simulate ctl``: UPS-MIB alarms, bypass, input volts per phase and frequency, room
temperature, door and smoke contacts."""

from __future__ import annotations

import httpx
import pytest

from sitewatch.simulator import Fleet
from sitewatch.simulator.control import ControlServer
from sitewatch.simulator.fleet import InvalidValue
from tests.simulator.conftest import ctl, snmpget, snmpwalk, value
from tests.simulator.test_fleet import (
    ELTEK_AC,
    ELTEK_ALARM_AC_MAINS,
    UPS_ALARM_DESCR,
    UPS_ALARMS_PRESENT,
    UPS_OUTPUT_SOURCE,
)

UPS_INPUT_LINES = "1.3.6.1.2.1.33.1.3.2.0"
UPS_INPUT_FREQUENCY = [f"1.3.6.1.2.1.33.1.3.3.1.2.{n}" for n in (1, 2, 3)]
UPS_INPUT_VOLTAGE = [f"1.3.6.1.2.1.33.1.3.3.1.3.{n}" for n in (1, 2, 3)]
WELL_KNOWN = ".1.3.6.1.2.1.33.1.6.3"
ROOM = "1.3.6.1.4.1.32050.2.1.27.5.0"  # PacketFlux SiteMonitor analog input 0, 0.1 °C
DOOR, SMOKE = "1.3.6.1.4.1.32050.2.1.26.5.1", "1.3.6.1.4.1.32050.2.1.26.5.2"  # switch inputs 1, 2


async def test_ups_alarms_come_and_go_in_the_alarm_table(fleet: Fleet) -> None:
    fleet.set_alarm("NOC-1", "battery_bad", True)
    fleet.set_alarm("NOC-1", "general_fault", True)
    assert await value(fleet, "NOC-1", UPS_ALARMS_PRESENT) == "2"
    assert sorted((await snmpwalk(fleet, "NOC-1", UPS_ALARM_DESCR)).values()) == [f"{WELL_KNOWN}.1",
                                                                                  f"{WELL_KNOWN}.18"]
    fleet.set_mains("NOC-1", False)  # the UPS's own alarms join the injected ones
    assert await value(fleet, "NOC-1", UPS_ALARMS_PRESENT) == "4"
    fleet.set_mains("NOC-1", True)
    fleet.set_alarm("NOC-1", "battery_bad", False)
    assert list((await snmpwalk(fleet, "NOC-1", UPS_ALARM_DESCR)).values()) == [f"{WELL_KNOWN}.18"]
    assert fleet.status("NOC-1")["alarms"] == ["general_fault"]

    with pytest.raises(InvalidValue, match="unknown UPS alarm 'battery_sad': one of battery_bad, on_battery"):
        fleet.set_alarm("NOC-1", "battery_sad", True)
    with pytest.raises(ValueError, match=r"site BTS-B \(generated:dc_plant\) has no UPS-MIB alarm table"):
        fleet.set_alarm("BTS-B", "battery_bad", True)


async def test_bypass_while_mains_is_present(fleet: Fleet) -> None:
    fleet.set_bypass("NOC-1", True)
    assert await snmpget(fleet, "NOC-1", UPS_OUTPUT_SOURCE, UPS_ALARMS_PRESENT) == {
        UPS_OUTPUT_SOURCE: "4", UPS_ALARMS_PRESENT: "1"}
    assert list((await snmpwalk(fleet, "NOC-1", UPS_ALARM_DESCR)).values()) == [f"{WELL_KNOWN}.9"]  # on bypass
    fleet.set_mains("NOC-1", False)  # no bypass without mains: the battery carries the load
    assert await value(fleet, "NOC-1", UPS_OUTPUT_SOURCE) == "5"
    fleet.set_mains("NOC-1", True)
    fleet.set_bypass("NOC-1", False)
    assert await snmpget(fleet, "NOC-1", UPS_OUTPUT_SOURCE, UPS_ALARMS_PRESENT) == {
        UPS_OUTPUT_SOURCE: "3", UPS_ALARMS_PRESENT: "0"}


async def test_a_phase_lost_and_the_input_out_of_range(fleet: Fleet) -> None:
    assert await value(fleet, "NOC-1", UPS_INPUT_LINES) == "3"
    fleet.set_phase("NOC-1", 2, 0)
    assert [(await snmpget(fleet, "NOC-1", *UPS_INPUT_VOLTAGE))[o] for o in UPS_INPUT_VOLTAGE] == ["230", "0", "230"]
    fleet.set_voltage("NOC-1", 175)
    fleet.set_frequency("NOC-1", 45.5)
    ups = await snmpget(fleet, "NOC-1", *UPS_INPUT_VOLTAGE, *UPS_INPUT_FREQUENCY)
    assert [ups[o] for o in UPS_INPUT_VOLTAGE + UPS_INPUT_FREQUENCY] == ["175"] * 3 + ["455"] * 3
    fleet.set_voltage("NOC-1", None)
    fleet.set_frequency("NOC-1", None)
    ups = await snmpget(fleet, "NOC-1", *UPS_INPUT_VOLTAGE, *UPS_INPUT_FREQUENCY)
    assert [ups[o] for o in UPS_INPUT_VOLTAGE + UPS_INPUT_FREQUENCY] == ["230"] * 3 + ["500"] * 3

    # an Eltek plant raises alarmACmains on a lost phase, as the MIB says; a low phase is no alarm
    fleet.set_phase("BTS-B", 3, 0)
    bts = await snmpget(fleet, "BTS-B", *ELTEK_AC, ELTEK_ALARM_AC_MAINS)
    assert bts == {ELTEK_AC[0]: "230", ELTEK_AC[1]: "230", ELTEK_AC[2]: "0", ELTEK_ALARM_AC_MAINS: "1"}
    fleet.set_phase("BTS-B", 3, 190)
    assert await value(fleet, "BTS-B", ELTEK_ALARM_AC_MAINS) == "0"

    with pytest.raises(InvalidValue, match="site NOC-1 has input phases 1, 2, 3, not 4"):
        fleet.set_phase("NOC-1", 4, 0)
    with pytest.raises(InvalidValue, match=r"volts must be within 0\.\.500 V, got 900"):
        fleet.set_voltage("NOC-1", 900)
    with pytest.raises(ValueError, match="has no AC input frequency"):
        fleet.set_frequency("BTS-B", 45)


async def test_room_temperature_door_and_smoke_on_the_site_monitor(fleet: Fleet) -> None:
    for site in ("BTS-B", "NOC-1", "RTR-1"):  # beside every generated device, closed contacts: all is well
        assert await snmpget(fleet, site, ROOM, DOOR, SMOKE) == {ROOM: "270", DOOR: "1", SMOKE: "1"}
    fleet.set_temperature("BTS-B", 45)
    fleet.set_door("BTS-B", True)
    fleet.set_smoke("BTS-B", True)
    assert await snmpget(fleet, "BTS-B", ROOM, DOOR, SMOKE) == {ROOM: "450", DOOR: "0", SMOKE: "0"}
    assert await snmpget(fleet, "BTS-A", ROOM, DOOR, SMOKE) == {ROOM: "270", DOOR: "1", SMOKE: "1"}
    fleet.set_temperature("BTS-B", None)
    fleet.set_door("BTS-B", False)
    fleet.set_smoke("BTS-B", False)
    assert await snmpget(fleet, "BTS-B", ROOM, DOOR, SMOKE) == {ROOM: "270", DOOR: "1", SMOKE: "1"}
    with pytest.raises(ValueError, match=r"site REC-UPS \(recording:.*\) has no door contact"):
        fleet.set_door("REC-UPS", True)


async def test_api_injects_faults_and_refuses_bad_values(fleet: Fleet, control: ControlServer) -> None:
    async with httpx.AsyncClient(base_url=control.url) as http:
        r = await http.post("/sites/NOC-1/alarms/output_overload", json={"active": True})
        assert r.status_code == 200 and r.json()["alarms"] == ["output_overload"]
        assert (await http.post("/sites/NOC-1/bypass", json={"on": True})).json()["bypass"] is True
        r = await http.post("/sites/NOC-1/input", json={"phase": 2, "volts": 0})
        assert r.json()["input"] == {"volts": {"2": 0}, "hz": None}
        assert (await http.post("/sites/NOC-1/input", json={"hz": 54})).json()["input"]["hz"] == 54
        assert (await http.post("/sites/BTS-B/temperature", json={"celsius": 42})).json()["room_celsius"] == 42
        assert (await http.post("/sites/BTS-B/door", json={"open": True})).json()["door_open"] is True
        assert (await http.post("/sites/BTS-B/smoke", json={"detected": True})).json()["smoke"] is True
        assert await snmpget(fleet, "BTS-B", ROOM, DOOR, SMOKE) == {ROOM: "420", DOOR: "0", SMOKE: "0"}

        for path, body, complaint in (
                ("/sites/NOC-1/alarms/battery_sad", {"active": True}, "unknown UPS alarm 'battery_sad'"),
                ("/sites/NOC-1/alarms/battery_bad", {"active": "yes"}, '{"active": true|false}'),
                ("/sites/NOC-1/input", {"phase": 7, "volts": 0}, "has input phases 1, 2, 3, not 7"),
                ("/sites/NOC-1/input", {"phase": 2}, '{"phase": N, "volts": V}'),
                ("/sites/NOC-1/input", {"volts": "low"}, "volts must be a number"),
                ("/sites/BTS-B/temperature", {"celsius": 400}, "celsius must be within -40..100 °C, got 400"),
                ("/sites/BTS-B/temperature", {}, '{"celsius": N}')):
            r = await http.post(path, json=body)
            assert (r.status_code, complaint in r.json()["error"]) == (400, True), (path, body, r.text)
        r = await http.post("/sites/BTS-B/bypass", json={"on": True})
        assert r.status_code == 409 and "has no UPS-MIB output source" in r.json()["error"]


async def test_cli_injects_faults(fleet: Fleet, control: ControlServer,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = await ctl(capsys, control, "NOC-1", "phase", "2", "0")
    assert code == 0 and out.startswith("NOC-1") and "input phase 2 0 V" in out, out
    assert await value(fleet, "NOC-1", UPS_INPUT_VOLTAGE[1]) == "0"
    code, out, _ = await ctl(capsys, control, "NOC-1", "alarm", "charger_failed", "on")
    assert code == 0 and "UPS alarms: charger_failed" in out, out
    code, out, _ = await ctl(capsys, control, "NOC-1", "bypass", "on")
    assert code == 0 and "UPS ON BYPASS" in out
    code, out, _ = await ctl(capsys, control, "NOC-1", "frequency", "46")
    assert code == 0 and "input 46 Hz" in out
    code, out, _ = await ctl(capsys, control, "BTS-B", "temperature", "44.5")
    assert code == 0 and "room 44.5 °C" in out
    code, out, _ = await ctl(capsys, control, "BTS-B", "door", "open")
    assert code == 0 and "DOOR OPEN" in out
    code, out, _ = await ctl(capsys, control, "BTS-B", "smoke", "on")
    assert code == 0 and "SMOKE" in out
    assert await snmpget(fleet, "BTS-B", ROOM, DOOR, SMOKE) == {ROOM: "445", DOOR: "0", SMOKE: "0"}
    code, out, _ = await ctl(capsys, control, "NOC-1", "phase", "2", "normal")
    assert code == 0 and "input phase" not in out
    code, out, _ = await ctl(capsys, control, "BTS-B", "door", "closed")
    assert code == 0 and "DOOR OPEN" not in out

    code, _, err = await ctl(capsys, control, "BTS-B", "temperature", "hot")
    assert code == 2 and "expected a number or 'normal', got 'hot'" in err
    code, _, err = await ctl(capsys, control, "BTS-B", "alarm", "battery_bad", "on")
    assert code == 1 and "has no UPS-MIB alarm table" in err
