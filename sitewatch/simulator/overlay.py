"""A site's state written onto its agent's table, for every MIB we know how to move.

The same overlay serves generated devices and real recordings: it changes only objects the
device already has (keeping the device's own types, e.g. Gauge32 where a UPS-MIB object should
be INTEGER) and adds only UPS-MIB alarm table rows, where the device has ``upsAlarmsPresent``.

- **UPS-MIB**: ``upsOutputSource`` normal(3) / bypass(4) / battery(5) / none(2) once depleted;
  ``upsSecondsOnBattery`` counting; ``upsInputVoltage``/frequency/current/power 0 without AC,
  else the voltage set per phase and the frequency set (0.1 Hz), as recorded where not set;
  ``upsInputLineBads`` counts mains failures; battery status, charge, minutes remaining, voltage
  (0.1 V) and current (0.1 A) from ``battery``; ``upsAlarmsPresent`` and ``upsAlarmTable`` rows
  for upsAlarmInputBad, upsAlarmOnBattery, upsAlarmLowBattery, upsAlarmDepletedBattery,
  upsAlarmUpsOutputOff, upsAlarmOnBypass as the state raises them, and any well-known alarm
  raised by hand (ids and times as raised).
- **ELTEK-DISTRIBUTED-MIB**: acVoltage1-3 → 0 without AC, else the voltage set per phase;
  alarmACmains also while a phase is below 100 V (the MIB: "AC below critical level or a phase
  lost"); batteryVoltage (0.01 V) and
  batteryCurrent (A); total rectifier current 0 without AC; alarmACmains, and the low battery
  voltage alarms against the device's own limits (batteryLowMajor/MinorAlarmVoltageConfig).
  batteryTimeToDisconnect (minutes) and batteryCapacityLeft (charge x batteryCapacityTotal);
  batteryLVDStatus disconnected(1) once the battery is empty.
- **Generator**: neither UPS-MIB nor ELTEK-DISTRIBUTED-MIB has a generator object. A site with
  ``backup.generator`` shows it on a PacketFlux SiteMonitor switch input 3 (see ``mibs``; what
  profile ``packetflux-sitemonitor-generator`` reads), and on Eltek controllers also on
  programmable input 1, as real Eltek sites wire it: ``inputUserConfigurable1``
  (1.3.6.1.4.1.12148.9.1.7.1.2.0) reads alarm(1) while the generator runs and its description
  ``inputUserConfigurableText1`` (…1.15.1.2.0) reads "Generator running". A running generator
  brings AC back to the UPS input / rectifiers, so mains-loss values return to normal.
- **PacketFlux SiteMonitor** (beside every generated device, or a recording): "Power 1" (DC
  bus, 0.1 V) follows the battery; analog input 0 the room temperature (0.1 °C); switch input 3
  is the generator contact on a site with a generator, else the mains-present relay; inputs 1
  and 2 the door contact and the smoke detector, closed(1) while all is well (fail-safe).
- **ALGcom DC UPS** (1.3.6.1.4.1.49136.1, recordings): acFail, alarmOnBattery,
  batteryCharging/Discharging, chargerStatus (float 5 / discharging 2 / critical low 6 below
  the low charge), battery and output voltage (0.1 V), battery current (mA).
- **SNR-ERD-4** (recordings): the digital input whose installer's label (diAlarmName) names
  power ("Input-Power") is the mains relay as recorded: low(0) = closed while mains is
  present, high(1) = open once it fails; a generator, where the site has one, brings it back.
- **IF-MIB**: ``ifOperStatus`` down(2) for the interfaces the state lists as down.
- **system**: ``sysUpTime`` counts from the recorded value since the simulator started.
"""

from __future__ import annotations

from sitewatch.simulator.battery import LOW_CHARGE, BatterySpec
from sitewatch.simulator.mibs import (
    ALGCOM,
    ELTEK,
    IF,
    SITEMONITOR,
    SNR_ERD_INPUTS,
    SYS_UPTIME,
    UPS,
    UPS_ALARM,
    UPS_ALARMS,
    Row,
    Table,
    integer,
    interface_names,
    oid_value,
    text,
    timeticks,
)
from sitewatch.simulator.site_state import SiteState

__all__ = ["GENERATOR_INPUT", "UPS_ALARM_OIDS", "render"]

#: alarm name → UPS-MIB well-known alarm OID
UPS_ALARM_OIDS = {name: f"{UPS_ALARM}.{x}" for x, name in enumerate(UPS_ALARMS, start=1)}
#: below this an AC phase is lost
PHASE_LOST_VOLTS = 100
GENERATOR_INPUT = f"{ELTEK}.1.7.1.2.0"
_GENERATOR_LABEL = f"{ELTEK}.1.15.1.2.0"
_UNSIGNED = {"65", "66", "67", "70"}


def _like(base: Row, value: int) -> Row:
    """``value`` in the base row's own numeric type (NULL and strings stay as recorded)."""
    tag = base[0]
    if tag in _UNSIGNED:
        return (tag, str(max(0, value)))
    return (tag, str(value)) if tag == "2" else base


def _number(row: Row) -> int:
    try:
        return int(row[1])
    except ValueError:
        return 0


class _Overlay:
    def __init__(self, base: Table, state: SiteState, battery: BatterySpec, uptime_ticks: int) -> None:
        self.base, self.state, self.battery, self.uptime = base, state, battery, uptime_ticks
        self.out: Table = dict(base)

    def set(self, oid: str, value: int) -> None:
        if oid in self.base:
            self.out[oid] = _like(self.base[oid], value)

    def column(self, prefix: str, value: int | None) -> None:
        """Every row of a table column: ``value``, or the recorded value when None."""
        for oid, row in self.base.items():
            if oid.startswith(prefix):
                self.out[oid] = row if value is None else _like(row, value)

    def ticks_at(self, t: float) -> int:
        return max(0, self.uptime - round((self.state.at - t) * 100))

    def phase_volts(self, phase: int, recorded: Row | None) -> int:
        """An AC input phase's volts: 0 without AC, else as set, else as recorded."""
        if not self.state.ac_present:
            return 0
        volts = dict(self.state.phase_volts).get(phase)
        return round(volts) if volts is not None else _number(recorded or ("2", "0"))


def _ups(o: _Overlay) -> None:
    s, b = o.state, o.battery
    ac, charge = s.ac_present, s.charge
    output_on = ac or charge > 0
    o.set(f"{UPS}.4.1.0", (4 if s.on_bypass else 3) if ac else 5 if output_on else 2)
    o.set(f"{UPS}.2.1.0", b.status(charge).value)
    o.set(f"{UPS}.2.2.0", round(s.seconds_on_battery()) if s.on_battery else 0)
    o.set(f"{UPS}.2.3.0", round(b.runtime_seconds(charge) / 60))
    o.set(f"{UPS}.2.4.0", round(charge * 100))
    o.set(f"{UPS}.2.5.0", round(b.volts(charge, ac_present=ac) * 10))
    o.set(f"{UPS}.2.6.0", round(b.amperes(charge, ac_present=ac) * 10))
    if f"{UPS}.3.1.0" in o.base:
        o.set(f"{UPS}.3.1.0", _number(o.base[f"{UPS}.3.1.0"]) + s.mains_failures)
    for column in (4, 5):  # input current, true power
        o.column(f"{UPS}.3.3.1.{column}.", None if ac else 0)
    o.column(f"{UPS}.3.3.1.2.", (None if s.input_hz is None else round(s.input_hz * 10)) if ac else 0)
    volts = f"{UPS}.3.3.1.3."
    for oid, row in o.base.items():
        if oid.startswith(volts) and oid[len(volts):].isdigit():
            o.out[oid] = _like(row, o.phase_volts(int(oid[len(volts):]), row))
    o.set(f"{UPS}.4.2.0", _number(o.base.get(f"{UPS}.4.2.0", ("2", "0"))) if output_on else 0)
    for column in (2, 3, 4, 5):  # output voltage, current, power, percent load
        o.column(f"{UPS}.4.4.1.{column}.", None if output_on else 0)
    if f"{UPS}.6.1.0" in o.base:
        o.set(f"{UPS}.6.1.0", len(s.alarms))
        for alarm in s.alarms:
            o.out[f"{UPS}.6.2.1.1.{alarm.id}"] = integer(alarm.id)
            o.out[f"{UPS}.6.2.1.2.{alarm.id}"] = oid_value(UPS_ALARM_OIDS[alarm.name])
            o.out[f"{UPS}.6.2.1.3.{alarm.id}"] = timeticks(o.ticks_at(alarm.raised_at))


def _eltek(o: _Overlay, generator_installed: bool) -> None:
    s, b = o.state, o.battery
    ac, charge = s.ac_present, s.charge
    phases = [o.phase_volts(phase, o.base.get(f"{ELTEK}.6.{phase}.0")) for phase in (1, 2, 3)]
    for phase, volts_ac in enumerate(phases, start=1):
        o.set(f"{ELTEK}.6.{phase}.0", volts_ac)
    lost = any(dict(s.phase_volts).get(phase, PHASE_LOST_VOLTS) < PHASE_LOST_VOLTS for phase in (1, 2, 3))
    volts = b.volts(charge, ac_present=ac)
    amps = b.amperes(charge, ac_present=ac)
    o.set(f"{ELTEK}.3.2.0", round(volts * 100))
    o.set(f"{ELTEK}.3.3.0", round(amps))
    load_amps = _number(o.base.get(f"{ELTEK}.4.1.0", ("2", "0")))
    o.set(f"{ELTEK}.5.3.0", load_amps + max(0, round(amps)) if ac else 0)
    o.set(f"{ELTEK}.7.1.11.0", 0 if ac and not lost else 1)  # alarmACmains
    o.set(f"{ELTEK}.3.17.1.0", 1 if charge <= 0 else 0)  # batteryLVDStatus: disconnected when empty
    o.set(f"{ELTEK}.3.20.1.0", round(b.runtime_seconds(charge) / 60))
    total = o.base.get(f"{ELTEK}.3.20.4.0")
    if total is not None:
        o.set(f"{ELTEK}.3.20.2.0", round(charge * _number(total)))
    for alarm, limit in ((3, 13), (4, 14)):  # alarmMajor/MinorLowBattVolt vs their config limits
        limit_row = o.base.get(f"{ELTEK}.3.{limit}.0")
        if limit_row is not None:
            o.set(f"{ELTEK}.7.1.{alarm}.0", 1 if volts * 100 < _number(limit_row) else 0)
    if generator_installed:
        o.set(GENERATOR_INPUT, 1 if s.generator_running else 0)
        if _GENERATOR_LABEL in o.base:
            o.out[_GENERATOR_LABEL] = text("Generator running")


def _algcom(o: _Overlay) -> None:
    s, b = o.state, o.battery
    ac, charge = s.ac_present, s.charge
    volts = b.volts(charge, ac_present=ac)
    o.set(f"{ALGCOM}.3.2.0", 0 if ac else 1)  # acFail
    o.set(f"{ALGCOM}.3.1.0", 1 if s.on_battery else 0)  # alarmOnBattery
    o.set(f"{ALGCOM}.3.3.0", 1 if ac else 0)  # batteryCharging
    o.set(f"{ALGCOM}.3.4.0", 1 if s.on_battery else 0)  # batteryDischarging
    o.set(f"{ALGCOM}.2.3.0", 5 if ac else 6 if charge < LOW_CHARGE else 2)  # chargerStatus
    o.set(f"{ALGCOM}.2.1.0", round(volts * 10))
    o.set(f"{ALGCOM}.1.1.0", round(volts * 10) if ac or charge > 0 else 0)
    o.set(f"{ALGCOM}.2.2.0", round(b.amperes(charge, ac_present=ac) * 1000))


def _sitemonitor(o: _Overlay, generator_installed: bool) -> None:
    s = o.state
    o.set(f"{SITEMONITOR}.27.5.2", round(o.battery.volts(s.charge, ac_present=s.ac_present) * 10))
    o.set(f"{SITEMONITOR}.26.5.3", int(s.generator_running if generator_installed else s.mains_ok))
    if s.room_celsius is not None:
        o.set(f"{SITEMONITOR}.27.5.0", round(s.room_celsius * 10))
    o.set(f"{SITEMONITOR}.26.5.1", 0 if s.door_open else 1)  # fail-safe: the contact opens
    o.set(f"{SITEMONITOR}.26.5.2", 0 if s.smoke else 1)


def _snr_erd(o: _Overlay) -> None:
    for oid, row in o.base.items():
        if oid.startswith(f"{SNR_ERD_INPUTS}.2.") and "power" in row[1].lower():
            o.set(f"{SNR_ERD_INPUTS}.3.{oid[len(SNR_ERD_INPUTS) + 3:]}", 0 if o.state.ac_present else 1)


def render(base: Table, state: SiteState, battery: BatterySpec, *, uptime_ticks: int,
           generator_installed: bool) -> Table:
    """The agent's whole table for ``state`` (``state`` settled to the moment served)."""
    o = _Overlay(base, state, battery, uptime_ticks)
    o.set(SYS_UPTIME, uptime_ticks)
    if f"{UPS}.4.1.0" in base:
        _ups(o)
    if f"{ELTEK}.6.1.0" in base or f"{ELTEK}.3.2.0" in base:
        _eltek(o, generator_installed)
    if f"{ALGCOM}.3.2.0" in base:
        _algcom(o)
    if any(f"{SITEMONITOR}.{n}" in base for n in ("26.5.3", "27.5.2", "27.5.0")):
        _sitemonitor(o, generator_installed)
    if any(oid.startswith(f"{SNR_ERD_INPUTS}.2.") for oid in base):
        _snr_erd(o)
    if state.links_down:
        names = interface_names(base)
        for name in state.links_down:
            if name in names:
                o.set(f"{IF}.8.{names[name]}", 2)
    return o.out
