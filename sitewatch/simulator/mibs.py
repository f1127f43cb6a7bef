"""The objects a simulated agent serves: OIDs of the MIBs we simulate, and the generated devices.

A ``Table`` maps a dotted OID to an snmprec ``(tag, value)`` pair (``2`` INTEGER, ``4`` OCTET
STRING, ``4x`` hex OCTET STRING, ``6`` OID, ``65`` Counter32, ``66`` Gauge32, ``67`` TimeTicks,
``70`` Counter64), exactly what snmpsim serves. Generated devices:

- ``ups``: RFC 1628 UPS-MIB (ident, battery, one or three input lines, one output line, alarms)
  + IF-MIB + system
- ``dc_plant``: Eltek SmartPack, ELTEK-DISTRIBUTED-MIB (1.3.6.1.4.1.12148.9) with the OIDs and scales
  of the real ``eltek-webpower.snmprec`` recording (AC phase volts, battery 0.01 V, battery A, °C,
  alarm group, programmable inputs) + IF-MIB + system
- ``router``: IF-MIB + system only

Every generated device also answers for the site's PacketFlux SiteMonitor (real sites have it
as a box of its own; here it answers with the site's agent), wired as ``SITEMONITOR_INPUTS``
says (the written daemon configuration gives the same ``inputs:``): switch input 1 the door
contact, 2 the smoke detector (both fail-safe: closed(1) while all is well), 3 the generator's
running contact on a site with ``backup.generator`` (1 closed = running), else a mains-present
relay; analog input 0 the room temperature (0.1 °C), 2 ("Power 1") the DC bus (0.1 V).

Values that move (uptime, battery, mains, links, alarms) are written by ``overlay``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

from sitewatch.config.schema import Site
from sitewatch.simulator.battery import BatterySpec

__all__ = [
    "ALGCOM",
    "ELTEK",
    "GENERATED_KINDS",
    "IF",
    "IFX",
    "ROOM_CELSIUS",
    "SITEMONITOR",
    "SITEMONITOR_GENERATOR_INPUT",
    "SITEMONITOR_INPUTS",
    "SNR_ERD_INPUTS",
    "SYS_UPTIME",
    "UPS",
    "UPS_ALARM",
    "UPS_ALARMS",
    "Row",
    "Table",
    "counter32",
    "counter64",
    "gauge",
    "generate",
    "integer",
    "interface_names",
    "oid_value",
    "text",
    "text_of",
    "timeticks",
]

Row = tuple[str, str]
Table = dict[str, Row]

SYS = "1.3.6.1.2.1.1"
SYS_UPTIME = f"{SYS}.3.0"
IF = "1.3.6.1.2.1.2.2.1"  #: ifEntry: .1 index .2 descr .7 admin .8 oper .10 inOctets .16 outOctets
IFX = "1.3.6.1.2.1.31.1.1.1"  #: ifXEntry: .1 ifName .6 HCInOctets .10 HCOutOctets .15 highSpeed .18 alias
UPS = "1.3.6.1.2.1.33.1"
UPS_ALARM = f"{UPS}.6.3"  #: upsWellKnownAlarms
ELTEK = "1.3.6.1.4.1.12148.9"
ALGCOM = "1.3.6.1.4.1.49136.1"  #: ALGcom DC UPS (recordings only)
SITEMONITOR = "1.3.6.1.4.1.32050.2.1"  #: PacketFlux SiteMonitor: .26.5.N switch inputs, .27.5.N analog
#: SNR-ERD-4 erd4diEntry (recordings only): .2.1.N diAlarmName, .3.1.N diState low(0)/high(1)
SNR_ERD_INPUTS = "1.3.6.1.4.1.40418.2.6.2.1.1"
GENERATED_KINDS = ("ups", "dc_plant", "router")
#: upsWellKnownAlarms in RFC 1628 order: the alarm named ``UPS_ALARMS[x - 1]`` is ``UPS_ALARM.x``
UPS_ALARMS = (
    "battery_bad", "on_battery", "low_battery", "depleted_battery", "temperature_bad", "input_bad",
    "output_bad", "output_overload", "on_bypass", "bypass_bad", "output_off_as_requested",
    "ups_off_as_requested", "charger_failed", "ups_output_off", "ups_system_off", "fan_failure",
    "fuse_failure", "general_fault", "diagnostic_test_failed", "communications_lost", "awaiting_power",
    "shutdown_pending", "shutdown_imminent", "test_in_progress",
)
#: what the generated SiteMonitor's switch inputs are wired to, as a daemon target's ``inputs:``
SITEMONITOR_INPUTS = {1: "door", 2: "smoke"}
#: the generated SiteMonitor's switch input wired to the generator's running contact
SITEMONITOR_GENERATOR_INPUT = 3
ROOM_CELSIUS = 27.0

#: Eltek low battery voltage alarm limits per cell (46.3 V / 47.0 V on 24 cells, as recorded)
ELTEK_LOW_MAJOR_VPC = 1.93
ELTEK_LOW_MINOR_VPC = 1.96
NOMINAL_AC_VOLTS = 230
AC_HZ_TENTHS = 500


def integer(v: int) -> Row:
    return ("2", str(v))


def gauge(v: int) -> Row:
    return ("66", str(max(0, min(v, 2**32 - 1))))


def counter32(v: int) -> Row:
    return ("65", str(v % 2**32))


def counter64(v: int) -> Row:
    return ("70", str(v % 2**64))


def timeticks(v: int) -> Row:
    return ("67", str(v % 2**32))


def oid_value(v: str) -> Row:
    return ("6", v)


def text(s: str) -> Row:
    """An OCTET STRING; anything but plain printable ASCII goes as hex (UTF-8)."""
    if s.isascii() and s.isprintable() and "|" not in s:
        return ("4", s)
    return ("4x", s.encode().hex())


def text_of(row: Row | None) -> str:
    """The text of an OCTET STRING row (hex decoded, NUL padding stripped)."""
    if row is None:
        return ""
    tag, value = row
    if tag == "4x":
        try:
            return bytes.fromhex(value).rstrip(b"\x00").decode("utf-8", "replace")
        except ValueError:
            return ""
    return value if tag == "4" else ""


def interface_names(table: Table) -> dict[str, int]:
    """Interface name → ifIndex, by ifName where the agent has it, else ifDescr."""
    indexes: set[int] = set()
    for column in (f"{IF}.1.", f"{IF}.2.", f"{IFX}.1."):
        indexes.update(int(oid[len(column):]) for oid in table
                       if oid.startswith(column) and oid[len(column):].isdigit())
    names: dict[str, int] = {}
    for index in sorted(indexes):
        name = text_of(table.get(f"{IFX}.1.{index}")) or text_of(table.get(f"{IF}.2.{index}"))
        if name:
            names.setdefault(name, index)
    return names


def _system(site: Site, descr: str, object_id: str) -> Table:
    return {
        f"{SYS}.1.0": text(descr),
        f"{SYS}.2.0": oid_value(object_id),
        SYS_UPTIME: timeticks(0),
        f"{SYS}.4.0": text("sitewatch simulator"),
        f"{SYS}.5.0": text(site.id),
        f"{SYS}.6.0": text(site.address or ", ".join(p for p in (site.district, site.province) if p)),
        f"{SYS}.7.0": integer(72),
    }


def _interfaces(site: Site, names: Sequence[str]) -> Table:
    t: Table = {"1.3.6.1.2.1.2.1.0": integer(len(names))}
    for i, name in enumerate(names, start=1):
        mac = hashlib.sha256(f"{site.id}/{name}".encode()).digest()[:6]
        alias = "uplink" if name in site.uplinks else ""
        t |= {
            f"{IF}.1.{i}": integer(i), f"{IF}.2.{i}": text(name), f"{IF}.3.{i}": integer(6),
            f"{IF}.4.{i}": integer(1500), f"{IF}.5.{i}": gauge(1_000_000_000),
            f"{IF}.6.{i}": ("4x", bytes([mac[0] & 0xFE | 0x02, *mac[1:]]).hex()),
            f"{IF}.7.{i}": integer(1), f"{IF}.8.{i}": integer(1), f"{IF}.9.{i}": timeticks(0),
            f"{IF}.10.{i}": counter32(0), f"{IF}.14.{i}": counter32(0),
            f"{IF}.16.{i}": counter32(0), f"{IF}.20.{i}": counter32(0),
            f"{IFX}.1.{i}": text(name), f"{IFX}.6.{i}": counter64(0), f"{IFX}.10.{i}": counter64(0),
            f"{IFX}.15.{i}": gauge(1000), f"{IFX}.18.{i}": text(alias),
        }
    return t


def _ups(site: Site, battery: BatterySpec, phases: int) -> Table:
    rating = max(3000, math.ceil(battery.load_watts * 1.5 / 1000) * 1000)
    amps = battery.load_watts / NOMINAL_AC_VOLTS
    line_amps, line_watts = amps / phases, battery.load_watts / phases
    lines: Table = {}
    for n in range(1, phases + 1):
        lines |= {f"{UPS}.3.3.1.1.{n}": integer(n), f"{UPS}.3.3.1.2.{n}": integer(AC_HZ_TENTHS),
                  f"{UPS}.3.3.1.3.{n}": integer(NOMINAL_AC_VOLTS), f"{UPS}.3.3.1.4.{n}": integer(round(line_amps * 10)),
                  f"{UPS}.3.3.1.5.{n}": integer(round(line_watts))}
    return lines | {
        f"{UPS}.1.1.0": text("sitewatch"), f"{UPS}.1.2.0": text(f"SIM-UPS {rating // 1000} kVA"),
        f"{UPS}.1.3.0": text("1.0"), f"{UPS}.1.4.0": text("sitewatch simulator"),
        f"{UPS}.1.5.0": text(site.name), f"{UPS}.1.6.0": text(""),
        f"{UPS}.2.1.0": integer(2), f"{UPS}.2.2.0": integer(0), f"{UPS}.2.3.0": integer(0),
        f"{UPS}.2.4.0": integer(100), f"{UPS}.2.5.0": integer(round(battery.float_volts * 10)),
        f"{UPS}.2.6.0": integer(0), f"{UPS}.2.7.0": integer(25),
        f"{UPS}.3.1.0": counter32(0), f"{UPS}.3.2.0": integer(phases),
        f"{UPS}.4.1.0": integer(3), f"{UPS}.4.2.0": integer(AC_HZ_TENTHS), f"{UPS}.4.3.0": integer(1),
        f"{UPS}.4.4.1.1.1": integer(1), f"{UPS}.4.4.1.2.1": integer(NOMINAL_AC_VOLTS),
        f"{UPS}.4.4.1.3.1": integer(round(amps * 10)), f"{UPS}.4.4.1.4.1": integer(round(battery.load_watts)),
        f"{UPS}.4.4.1.5.1": integer(round(100 * battery.load_watts / rating)),
        f"{UPS}.6.1.0": gauge(0),
    }


def _dc_plant(site: Site, battery: BatterySpec) -> Table:
    cells = max(1, round(battery.nominal_volts / 2))
    load_amps = round(battery.load_watts / battery.float_volts)
    rectifiers = max(2, math.ceil(battery.load_watts / 2000) + 1)  # 2 kW modules, n+1
    t: Table = {
        f"{ELTEK}.1.5.0": integer(1), f"{ELTEK}.1.7.1.1.0": integer(1), f"{ELTEK}.1.8.0": integer(1),
        f"{ELTEK}.1.15.1.1.0": integer(1),
        f"{ELTEK}.3.1.0": text(f"VRLA {battery.nominal_volts:g}V {battery.capacity_ah:g}Ah"),
        f"{ELTEK}.3.2.0": integer(round(battery.float_volts * 100)), f"{ELTEK}.3.3.0": integer(0),
        f"{ELTEK}.3.4.0": integer(25), f"{ELTEK}.3.9.0": integer(round(battery.float_volts * 100)),
        f"{ELTEK}.3.13.0": integer(round(cells * ELTEK_LOW_MAJOR_VPC * 100)),
        f"{ELTEK}.3.14.0": integer(round(cells * ELTEK_LOW_MINOR_VPC * 100)),
        f"{ELTEK}.3.17.1.0": integer(0),  # batteryLVDStatus connected
        f"{ELTEK}.3.20.1.0": integer(0),  # batteryTimeToDisconnect, minutes (overlay)
        f"{ELTEK}.3.20.2.0": integer(round(battery.capacity_ah)),  # batteryCapacityLeft, Ah
        f"{ELTEK}.3.20.4.0": integer(round(battery.capacity_ah)),  # batteryCapacityTotal, Ah
        f"{ELTEK}.4.1.0": integer(load_amps),
        f"{ELTEK}.4.3.2.0": integer(0), f"{ELTEK}.4.3.6.0": integer(0), f"{ELTEK}.4.3.10.0": integer(0),
        f"{ELTEK}.5.1.0": integer(rectifiers),
        f"{ELTEK}.5.3.0": integer(load_amps),
    }
    for n in range(rectifiers):  # rectifierStatusStatus normal(1)
        t[f"{ELTEK}.5.5.2.1.2.{n}"] = integer(1)
    for n in range(1, 11):
        t[f"{ELTEK}.1.7.1.{n + 1}.0"] = integer(0)
        label = "Generator running" if n == 1 and site.backup.generator else f"ProgInput 1.{n}"
        t[f"{ELTEK}.1.15.1.{n + 1}.0"] = text(label)
    for phase in (1, 2, 3):
        t[f"{ELTEK}.6.{phase}.0"] = integer(NOMINAL_AC_VOLTS)
    for alarm in range(1, 29):
        t[f"{ELTEK}.7.1.{alarm}.0"] = integer(0)
    return t


_DEVICES = {
    "ups": ("sitewatch simulated UPS (RFC 1628 UPS-MIB)", "1.3.6.1.2.1.33", ("eth0",)),
    "dc_plant": ("WebPower(sitewatch simulated SmartPack) 4.11", ELTEK, ("eth0",)),
    "router": ("Linux sim-router 6.1.0 (sitewatch simulated router)", "1.3.6.1.4.1.8072.3.2.10", ("eth0", "eth1")),
}


def _sitemonitor(battery: BatterySpec) -> Table:
    t = {f"{SITEMONITOR}.26.5.{n}": integer(1) for n in (1, 2, 3)}  # contacts closed: all is well
    return t | {f"{SITEMONITOR}.26.5.4": integer(0),  # not wired
                f"{SITEMONITOR}.27.5.0": integer(round(ROOM_CELSIUS * 10)),  # room temperature, 0.1 °C
                f"{SITEMONITOR}.27.5.2": integer(round(battery.float_volts * 10))}  # "Power 1": DC bus


def generate(kind: str, site: Site, battery: BatterySpec, *, phases: int = 1) -> Table:
    """The full table of a generated device. Interfaces are named after ``site.uplinks``;
    ``phases``: the input lines of a generated UPS (1 or 3)."""
    descr, object_id, default_ifs = _DEVICES[kind]
    table = _system(site, descr, object_id) | _interfaces(site, site.uplinks or default_ifs)
    if kind == "ups":
        table |= _ups(site, battery, phases)
    elif kind == "dc_plant":
        table |= _dc_plant(site, battery)
    return table | _sitemonitor(battery)
