"""The simulated fleet seen through real SNMP (net-snmp snmpget/snmpwalk on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

import sitewatch.simulator.fleet as fleet_module
from sitewatch.config.schema import Config
from sitewatch.simulator import Fleet
from tests.simulator.conftest import NoAnswer, snmpget, snmpwalk, value

# RFC 1628 UPS-MIB
UPS_OUTPUT_SOURCE = "1.3.6.1.2.1.33.1.4.1.0"
UPS_BATTERY_STATUS = "1.3.6.1.2.1.33.1.2.1.0"
UPS_SECONDS_ON_BATTERY = "1.3.6.1.2.1.33.1.2.2.0"
UPS_MINUTES_REMAINING = "1.3.6.1.2.1.33.1.2.3.0"
UPS_CHARGE = "1.3.6.1.2.1.33.1.2.4.0"
UPS_BATTERY_VOLTAGE = "1.3.6.1.2.1.33.1.2.5.0"
UPS_INPUT_VOLTAGE_1 = "1.3.6.1.2.1.33.1.3.3.1.3.1"
UPS_ALARMS_PRESENT = "1.3.6.1.2.1.33.1.6.1.0"
UPS_ALARM_DESCR = "1.3.6.1.2.1.33.1.6.2.1.2"
UPS_ALARM_ON_BATTERY = ".1.3.6.1.2.1.33.1.6.3.2"
UPS_ALARM_LOW_BATTERY = ".1.3.6.1.2.1.33.1.6.3.3"
# ELTEK-DISTRIBUTED-MIB
ELTEK_AC = [f"1.3.6.1.4.1.12148.9.6.{phase}.0" for phase in (1, 2, 3)]
ELTEK_BATTERY_VOLTAGE = "1.3.6.1.4.1.12148.9.3.2.0"
ELTEK_BATTERY_CURRENT = "1.3.6.1.4.1.12148.9.3.3.0"
ELTEK_ALARM_AC_MAINS = "1.3.6.1.4.1.12148.9.7.1.11.0"
ELTEK_PROG_INPUT_1 = "1.3.6.1.4.1.12148.9.1.7.1.2.0"
ELTEK_PROG_INPUT_1_TEXT = "1.3.6.1.4.1.12148.9.1.15.1.2.0"
ELTEK_MINUTES_TO_DISCONNECT = "1.3.6.1.4.1.12148.9.3.20.1.0"
ELTEK_CAPACITY_LEFT = "1.3.6.1.4.1.12148.9.3.20.2.0"
ELTEK_BATTERY_LVD = "1.3.6.1.4.1.12148.9.3.17.1.0"
SITEMONITOR_SWITCH_3 = "1.3.6.1.4.1.32050.2.1.26.5.3"  # PacketFlux SiteMonitor: the generator contact
# IF-MIB, system
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"


async def test_each_site_answers_with_its_own_device(fleet: Fleet) -> None:
    ports = {fleet.endpoint(s)[1] for s in fleet.sites}
    assert len(ports) == len(fleet.sites), "one port per site"
    assert all(fleet.endpoint(s)[0] == "127.0.0.1" for s in fleet.sites)

    bts = await snmpget(fleet, "BTS-A", SYS_NAME, *ELTEK_AC, ELTEK_BATTERY_VOLTAGE, ELTEK_PROG_INPUT_1_TEXT)
    assert bts[SYS_NAME] == "BTS-A"
    assert [bts[oid] for oid in ELTEK_AC] == ["230", "230", "230"]
    assert bts[ELTEK_BATTERY_VOLTAGE] == "5400"  # 54.00 V: 24 cells on float
    assert bts[ELTEK_PROG_INPUT_1_TEXT] == "Generator running"
    assert await snmpwalk(fleet, "BTS-A", IF_NAME) == {f"{IF_NAME}.1": "ge-0/0/1", f"{IF_NAME}.2": "ge-0/0/2"}

    noc = await snmpget(fleet, "NOC-1", SYS_NAME, UPS_OUTPUT_SOURCE, UPS_CHARGE, UPS_MINUTES_REMAINING,
                        UPS_ALARMS_PRESENT)
    # 50 Ah x 48 V / 1200 W = 2 h
    assert noc == {SYS_NAME: "NOC-1", UPS_OUTPUT_SOURCE: "3", UPS_CHARGE: "100", UPS_MINUTES_REMAINING: "120",
                   UPS_ALARMS_PRESENT: "0"}
    assert len(await snmpwalk(fleet, "PO-1", "1.3.6.1.2.1.33")) >= 30

    router = await snmpwalk(fleet, "RTR-1", "1.3.6.1")
    assert router[f"{IF_NAME}.1"] == "TenGigE0/0/0/0"
    assert not any(oid.startswith(("1.3.6.1.2.1.33", "1.3.6.1.4.1.12148")) for oid in router)

    recorded = await snmpget(fleet, "REC-UPS", "1.3.6.1.2.1.33.1.1.1", "1.3.6.1.2.1.1.2.0", UPS_BATTERY_VOLTAGE,
                             UPS_OUTPUT_SOURCE)
    assert recorded == {"1.3.6.1.2.1.33.1.1.1": "Minuteman", "1.3.6.1.2.1.1.2.0": ".1.3.6.1.4.1.2254.2.4",
                        UPS_BATTERY_VOLTAGE: "412", UPS_OUTPUT_SOURCE: "3"}
    # a community belongs to one site: another site's community gets no answer on this port
    assert fleet.community("BTS-A") != fleet.community("BTS-B")


async def test_recording_is_served_whole(fleet: Fleet) -> None:
    walked = await snmpwalk(fleet, "REC-UPS", "1.3.6.1")
    recorded = {line.split("|")[0] for line in
                (fleet.sites["REC-UPS"].recording.read_text().splitlines())}  # type: ignore[union-attr]
    assert set(walked) == recorded


async def test_mains_failure_changes_that_site_only(fleet: Fleet) -> None:
    fleet.set_mains("NOC-1", False)
    fleet.set_mains("BTS-A", False)
    fleet.set_mains("REC-UPS", False)
    fleet.advance(90)

    noc = await snmpget(fleet, "NOC-1", UPS_OUTPUT_SOURCE, UPS_SECONDS_ON_BATTERY, UPS_INPUT_VOLTAGE_1,
                        UPS_ALARMS_PRESENT)
    assert noc[UPS_OUTPUT_SOURCE] == "5"  # battery(5)
    assert 90 <= int(noc[UPS_SECONDS_ON_BATTERY]) <= 95
    assert noc[UPS_INPUT_VOLTAGE_1] == "0"
    assert UPS_ALARM_ON_BATTERY in (await snmpwalk(fleet, "NOC-1", UPS_ALARM_DESCR)).values()
    assert int(noc[UPS_ALARMS_PRESENT]) >= 2  # on battery, input bad

    bts = await snmpget(fleet, "BTS-A", *ELTEK_AC, ELTEK_ALARM_AC_MAINS, ELTEK_BATTERY_CURRENT)
    assert [bts[oid] for oid in ELTEK_AC] == ["0", "0", "0"]
    assert bts[ELTEK_ALARM_AC_MAINS] == "1"
    assert int(bts[ELTEK_BATTERY_CURRENT]) < 0  # discharging

    rec = await snmpget(fleet, "REC-UPS", UPS_OUTPUT_SOURCE, UPS_INPUT_VOLTAGE_1, UPS_SECONDS_ON_BATTERY)
    assert (rec[UPS_OUTPUT_SOURCE], rec[UPS_INPUT_VOLTAGE_1]) == ("5", "0")
    assert int(rec[UPS_SECONDS_ON_BATTERY]) >= 90

    # the same on recordings of other devices: the real Eltek controller, the ALGcom DC UPS
    assert list((await snmpget(fleet, "REC-ELTEK", *ELTEK_AC)).values()) == ["233", "235", "236"]  # as recorded
    fleet.set_mains("REC-ELTEK", False)
    eltek = await snmpget(fleet, "REC-ELTEK", *ELTEK_AC, ELTEK_BATTERY_VOLTAGE, ELTEK_ALARM_AC_MAINS)
    assert eltek == {**dict.fromkeys(ELTEK_AC, "0"), ELTEK_BATTERY_VOLTAGE: eltek[ELTEK_BATTERY_VOLTAGE],
                     ELTEK_ALARM_AC_MAINS: "1"}
    assert int(eltek[ELTEK_BATTERY_VOLTAGE]) < 5323  # below the recorded float voltage
    algcom = [f"1.3.6.1.4.1.49136.1.3.{n}.0" for n in (2, 1, 4)]  # acFail, alarmOnBattery, batteryDischarging
    assert list((await snmpget(fleet, "REC-ALGCOM", *algcom)).values()) == ["0", "0", "0"]
    fleet.set_mains("REC-ALGCOM", False)
    assert list((await snmpget(fleet, "REC-ALGCOM", *algcom)).values()) == ["1", "1", "1"]

    # the neighbours did not notice
    assert await snmpget(fleet, "PO-1", UPS_OUTPUT_SOURCE, UPS_INPUT_VOLTAGE_1, UPS_ALARMS_PRESENT) == {
        UPS_OUTPUT_SOURCE: "3", UPS_INPUT_VOLTAGE_1: "230", UPS_ALARMS_PRESENT: "0"}
    assert [(await snmpget(fleet, "BTS-B", *ELTEK_AC))[oid] for oid in ELTEK_AC] == ["230", "230", "230"]

    fleet.set_mains("NOC-1", True)
    assert await snmpget(fleet, "NOC-1", UPS_OUTPUT_SOURCE, UPS_SECONDS_ON_BATTERY, UPS_ALARMS_PRESENT) == {
        UPS_OUTPUT_SOURCE: "3", UPS_SECONDS_ON_BATTERY: "0", UPS_ALARMS_PRESENT: "0"}
    assert await snmpwalk(fleet, "NOC-1", UPS_ALARM_DESCR) == {}


async def test_battery_drain_moves_charge_voltage_and_runtime_together(fleet: Fleet) -> None:
    oids = (UPS_CHARGE, UPS_BATTERY_VOLTAGE, UPS_MINUTES_REMAINING, UPS_BATTERY_STATUS)
    fleet.set_mains("NOC-1", False)
    fleet.set_battery("NOC-1", drain_per_minute=0.02)  # fast-forward: full to empty in 50 minutes
    readings = []
    for _ in range(4):
        readings.append({oid: int(v) for oid, v in (await snmpget(fleet, "NOC-1", *oids)).items()})
        fleet.advance(10 * 60)
    charges = [r[UPS_CHARGE] for r in readings]
    volts = [r[UPS_BATTERY_VOLTAGE] for r in readings]
    minutes = [r[UPS_MINUTES_REMAINING] for r in readings]
    assert charges == pytest.approx([100, 80, 60, 40], abs=1)
    assert volts == sorted(volts, reverse=True) and len(set(volts)) == 4
    assert 480 <= volts[0] <= 500 and 440 <= volts[-1] <= 480  # 0.1 V: 24 cells from ~2.08 V/cell down
    b = fleet.status("NOC-1")["battery"]
    full = b["capacity_ah"] * b["nominal_volts"] / b["load_watts"] * 60  # minutes on a full charge
    for r in readings:  # the device's runtime is the charge at its own load: it falls with the charge
        assert r[UPS_MINUTES_REMAINING] == pytest.approx(r[UPS_CHARGE] / 100 * full, abs=1)
    assert minutes == sorted(minutes, reverse=True)
    assert all(r[UPS_BATTERY_STATUS] == 2 for r in readings)  # batteryNormal

    fleet.advance(5 * 60)  # 40 % read, then 30 minutes at 2 %/min: 10 %, low
    low = await snmpget(fleet, "NOC-1", UPS_BATTERY_STATUS, UPS_OUTPUT_SOURCE)
    assert low == {UPS_BATTERY_STATUS: "3", UPS_OUTPUT_SOURCE: "5"}
    assert UPS_ALARM_LOW_BATTERY in (await snmpwalk(fleet, "NOC-1", UPS_ALARM_DESCR)).values()

    fleet.advance(10 * 60)  # empty: depleted, the UPS output goes off
    empty = await snmpget(fleet, "NOC-1", UPS_BATTERY_STATUS, UPS_OUTPUT_SOURCE, UPS_CHARGE, UPS_MINUTES_REMAINING)
    assert empty == {UPS_BATTERY_STATUS: "4", UPS_OUTPUT_SOURCE: "2", UPS_CHARGE: "0", UPS_MINUTES_REMAINING: "0"}


async def test_dc_plant_battery_follows_the_load(fleet: Fleet) -> None:
    # BTS-A: 100 Ah x 48 V with 960 W load → 0.2 % per minute; 5 h at full charge
    oids = (ELTEK_BATTERY_VOLTAGE, ELTEK_BATTERY_CURRENT, ELTEK_MINUTES_TO_DISCONNECT, ELTEK_CAPACITY_LEFT)
    fleet.set_mains("BTS-A", False)
    before = await snmpget(fleet, "BTS-A", *oids)
    fleet.advance(60 * 60)
    after = await snmpget(fleet, "BTS-A", *oids)
    assert fleet.status("BTS-A")["battery"]["charge_ratio"] == pytest.approx(0.8, abs=0.002)
    assert fleet.status("BTS-A")["battery"]["runtime_seconds"] == pytest.approx(4 * 3600, rel=0.01)
    assert [int(before[ELTEK_MINUTES_TO_DISCONNECT]), int(after[ELTEK_MINUTES_TO_DISCONNECT])] == \
        pytest.approx([300, 240], abs=1)
    assert [int(before[ELTEK_CAPACITY_LEFT]), int(after[ELTEK_CAPACITY_LEFT])] == pytest.approx([100, 80], abs=1)
    assert 4900 <= int(before[ELTEK_BATTERY_VOLTAGE]) <= 5000  # ~2.08 V/cell under load
    assert int(after[ELTEK_BATTERY_VOLTAGE]) < int(before[ELTEK_BATTERY_VOLTAGE])
    assert int(after[ELTEK_BATTERY_CURRENT]) < int(before[ELTEK_BATTERY_CURRENT]) < 0  # more amps as volts fall
    assert await value(fleet, "BTS-A", ELTEK_BATTERY_LVD) == "0"
    fleet.advance(5 * 60 * 60)
    assert await value(fleet, "BTS-A", ELTEK_BATTERY_LVD) == "1"  # empty: the battery contactor opened


async def test_generator_brings_ac_back_and_shows_on_the_programmable_input(fleet: Fleet) -> None:
    fleet.set_mains("BTS-A", False)
    assert await snmpget(fleet, "BTS-A", ELTEK_PROG_INPUT_1, SITEMONITOR_SWITCH_3) == {
        ELTEK_PROG_INPUT_1: "0", SITEMONITOR_SWITCH_3: "0"}
    fleet.set_generator("BTS-A", True)
    bts = await snmpget(fleet, "BTS-A", *ELTEK_AC, ELTEK_PROG_INPUT_1, SITEMONITOR_SWITCH_3, ELTEK_ALARM_AC_MAINS)
    assert bts == {**dict.fromkeys(ELTEK_AC, "230"), ELTEK_PROG_INPUT_1: "1", SITEMONITOR_SWITCH_3: "1",
                   ELTEK_ALARM_AC_MAINS: "0"}
    assert fleet.status("BTS-A")["on_battery"] is False
    fleet.set_generator("BTS-A", False)
    assert await value(fleet, "BTS-A", ELTEK_AC[0]) == "0"
    with pytest.raises(ValueError, match="no generator"):
        fleet.set_generator("BTS-B", True)
    # without a generator, the site monitor's input 3 is the mains relay (closed while mains is present)
    assert await value(fleet, "BTS-B", SITEMONITOR_SWITCH_3) == "1"


async def test_link_down_changes_that_interface_only(fleet: Fleet) -> None:
    fleet.set_link("BTS-A", "ge-0/0/2", up=False)
    assert await snmpwalk(fleet, "BTS-A", IF_OPER_STATUS) == {f"{IF_OPER_STATUS}.1": "1", f"{IF_OPER_STATUS}.2": "2"}
    assert await snmpwalk(fleet, "BTS-B", IF_OPER_STATUS) == {f"{IF_OPER_STATUS}.1": "1"}
    fleet.set_link("BTS-A", "ge-0/0/2", up=True)
    assert await value(fleet, "BTS-A", f"{IF_OPER_STATUS}.2") == "1"
    # a recording's interfaces by their (NUL-padded) ifDescr
    fleet.set_link("REC-UPS", "eth0", up=False)
    assert await value(fleet, "REC-UPS", f"{IF_OPER_STATUS}.2") == "2"
    with pytest.raises(LookupError):
        fleet.set_link("BTS-A", "ge-9/9/9", up=False)


async def test_silent_agent_times_out_while_others_answer(fleet: Fleet) -> None:
    fleet.set_agent("NOC-1", answering=False)
    silent, other = await asyncio.gather(snmpget(fleet, "NOC-1", SYS_NAME, within=0.5),
                                         snmpget(fleet, "PO-1", SYS_NAME, within=0.5), return_exceptions=True)
    assert isinstance(silent, NoAnswer)
    assert other == {SYS_NAME: "PO-1"}
    fleet.set_agent("NOC-1", answering=True)
    assert await value(fleet, "NOC-1", SYS_NAME) == "NOC-1"


async def test_uptime_follows_the_simulated_clock(fleet: Fleet) -> None:
    before = int(await value(fleet, "PO-1", SYS_UPTIME))
    fleet.advance(3600)
    # an hour of simulated time (and the few real seconds the test took)
    assert 360_000 <= int(await value(fleet, "PO-1", SYS_UPTIME)) - before <= 361_000


async def test_start_survives_a_backend_port_taken_meanwhile(config: Config, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # snmpsim never reports a port it could not bind; it just stays silent. Force that case:
    # the first port the fleet picks is held by another socket.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        ports = iter([taken.getsockname()[1]])
        real = fleet_module._free_udp_port
        monkeypatch.setattr(fleet_module, "_free_udp_port", lambda: next(ports, None) or real())
        f = Fleet(config, workdir=tmp_path / "sim")
        await f.start()
        try:
            assert await value(f, "PO-1", SYS_NAME) == "PO-1"
        finally:
            await f.stop()
