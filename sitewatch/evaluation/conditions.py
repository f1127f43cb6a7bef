"""What one poll says about each condition: active, clear or unknown (None), and what it saw.

A reading that is absent or None is unknown: it neither opens nor clears anything. A condition
combining readings (battery low: status, charge, cell voltage) stays as it was while a reading that
said it was active is unknown (``combine``), whatever the others say. Thresholds
have hysteresis: a condition that was active stays active until its value crosses the ``*_clear``
threshold, so a value bouncing between the two moves nothing.

Where a profile gives no ``mains_ok``, mains is derived: on battery (``on_battery`` = 1 or
``output_source`` battery) means mains is lost; not on battery means mains is present, unless
the site has a generator that may be carrying the load (then it is unknown). Per-cell voltage is
the battery voltage over the cells of the string: nominal voltage / 2, or as read off the float
voltage on mains (``sitewatch.evaluation.battery.cells_from_float_voltage``) when no nominal voltage is set.
"""

from __future__ import annotations

from collections.abc import Callable

from sitewatch.core.conditions import Condition, Part, Phrase, RuntimeEstimate, Summary, part
from sitewatch.core.model import Reading
from sitewatch.evaluation.context import SiteContext

__all__ = ["ALARMS", "CONDITIONS", "PollView", "Signals", "combine", "link_down", "link_summary"]

_ABSENT = object()
_ON_MAINS_SOURCES = frozenset({"normal", "bypass", "booster", "reducer"})
_STATUSES = frozenset({"normal", "low", "depleted"})


def _label(labels: tuple[tuple[str, str], ...], name: str) -> str:
    for k, v in labels:
        if k == name:
            return v
    return ""


class PollView:
    """The readings of one successful poll, indexed once, with the derived power state."""

    __slots__ = ("admin", "alarms", "aliases", "cell_volts", "ctx", "links", "listed", "mains_lost", "on_battery",
                 "phase_volts", "phases", "runtime", "values")

    def __init__(self, readings: tuple[Reading, ...], ctx: SiteContext) -> None:
        values: dict[str, float | str | None] = {}
        links: dict[str, float | str | None] = {}
        admin: dict[str, float | str | None] = {}
        aliases: dict[str, str] = {}
        alarms: dict[str, float | str | None] = {}
        phases: list[float] = []
        phase_volts: dict[str, float | None] = {}
        for r in readings:
            labels = r.labels
            if not labels:
                values[r.name] = r.value
            elif r.name == "link_up":
                name = labels[0][1] if labels[0][0] == "interface" else _label(labels, "interface")
                links[name] = r.value
                alias = _label(r.info, "alias")
                if alias and alias != name:  # the operator's own name for the link (ifAlias)
                    aliases[name] = alias
            elif r.name == "link_admin_up":
                admin[labels[0][1] if labels[0][0] == "interface" else _label(labels, "interface")] = r.value
            elif r.name == "input_voltage_volts":
                volts = float(r.value) if isinstance(r.value, int | float) else None
                phase_volts[_label(labels, "phase")] = volts
                if volts is not None:
                    phases.append(volts)
            elif r.name == "alarm_active":
                name = _label(labels, "alarm")
                if not (isinstance(alarms.get(name), int | float) and alarms[name] != 0):
                    alarms[name] = r.value  # the same alarm from two places (scalar and table): active wins
        self.values, self.links, self.admin, self.phases, self.ctx = values, links, admin, phases, ctx
        self.aliases, self.alarms, self.phase_volts = aliases, alarms, phase_volts
        self.listed: bool | None = None  #: the device's alarm list is complete (``alarm``), once asked
        self.on_battery = self._on_battery()
        self.mains_lost = self._mains_lost()
        self.cell_volts: float | None = None  #: set by evaluation once the cells are known
        self.runtime: RuntimeEstimate | None = None  #: set by evaluation (on battery only)

    def num(self, name: str) -> float | None:
        v = self.values.get(name)
        return float(v) if isinstance(v, int | float) else None

    def flag(self, name: str) -> bool | None:
        v = self.values.get(name)
        return v != 0 if isinstance(v, int | float) else None

    def text(self, name: str) -> str | None:
        v = self.values.get(name)
        return v if isinstance(v, str) else None

    def alarm(self, names: tuple[str, ...]) -> Signals:
        """What the device says of each alarm of ``names`` (``alarm_active``), one signal each.

        An alarm given as 1 or 0 says so. One the device does not list is clear only when its list
        is known complete: every alarm it counts (``alarms_present``) is among the active ones read
        (an alarm table lists only what is active); otherwise it is unknown.
        """
        alarms = self.alarms
        if self.listed is None:
            count = self.num("alarms_present")
            self.listed = count is not None and sum(
                1 for x in alarms.values() if isinstance(x, int | float) and x != 0) >= count
        absent = False if self.listed else None
        if not alarms:
            return tuple((name, absent) for name in names)
        return tuple((name, absent if (x := alarms.get(name, _ABSENT)) is _ABSENT else
                      None if not isinstance(x, int | float) else x != 0) for name in names)

    def _on_battery(self) -> bool | None:
        ob = self.flag("on_battery")
        if ob is not None:
            return ob
        src = self.text("output_source")
        return True if src == "battery" else (False if src in _ON_MAINS_SOURCES else None)

    def _mains_lost(self) -> bool | None:
        ok = self.flag("mains_ok")
        if ok is not None:
            return not ok
        if self.on_battery:
            return True
        if self.on_battery is False and not (self.ctx.has_generator and self.flag("generator_running") is not False):
            return False
        return None


# --- raw state: (view, was active) -> active / clear / unknown ---------------------------------

#: what the readings say of a condition: (reading, active / clear / unknown) for each reading it
#: combines; one unnamed signal for most conditions
Signals = tuple[tuple[str, bool | None], ...]


def _one(raw: Callable[[PollView, bool], bool | None]) -> Callable[[PollView, bool], Signals]:
    return lambda v, was: (("", raw(v, was)),)


def _below(value: float | None, low: float, clear: float, was: bool) -> bool | None:
    return None if value is None else value < (clear if was else low)


def combine(signals: Signals, held: frozenset[str]) -> tuple[bool | None, frozenset[str]]:
    """The condition from several readings that may each say it is active, and the ones that do.

    Active while any known reading says so. Clear only once every reading that held it active
    is known again and clear: a reading that goes unknown (``held`` names those that were active
    at the last observation) leaves the condition unknown, so it neither resolves it nor, when it
    comes back, opens it again. Unknown when nothing is known.
    """
    active = frozenset(name for name, s in signals if s)
    unknown = held - {name for name, s in signals if s is not None}
    if active:
        return True, active | unknown
    if unknown:
        return None, held
    return (False if any(s is False for _, s in signals) else None), frozenset()


def _battery_low(v: PollView, was: bool) -> Signals:
    t = v.ctx.thresholds
    status = v.text("battery_status")
    by_status = status in ("low", "depleted") if status in _STATUSES else None
    by_charge = _below(v.num("battery_charge_ratio"), t.battery_charge_low, t.battery_charge_clear, was)
    if v.on_battery is False:
        by_voltage: bool | None = False  # on float, the voltage says nothing of the charge
    elif v.on_battery:
        by_voltage = _below(v.cell_volts, t.battery_cell_voltage_low, t.battery_cell_voltage_clear, was)
    else:
        by_voltage = None
    return (("status", by_status), ("charge", by_charge), ("voltage", by_voltage))


def _runtime_low(v: PollView, was: bool) -> bool | None:
    if not v.on_battery:
        return None if v.on_battery is None else False
    t = v.ctx.thresholds
    return _below(None if v.runtime is None else v.runtime.seconds, t.battery_runtime_low, t.battery_runtime_clear, was)


def _depleted(v: PollView, was: bool) -> Signals:
    status = v.text("battery_status")
    charge = v.num("battery_charge_ratio")
    return (("status", status == "depleted" if status in _STATUSES else None),
            ("charge", None if charge is None else charge <= 0))


def _temperature(v: PollView, was: bool) -> bool | None:
    t = v.ctx.thresholds
    temp = v.num("battery_temperature_celsius")
    if temp is None:
        return None
    return temp > t.battery_temperature_clear if was else temp >= t.battery_temperature_high


def _generator_failed(v: PollView, was: bool) -> bool | None:
    if not v.ctx.has_generator or v.mains_lost is False:
        return False
    if v.mains_lost is None:
        return None
    running = v.flag("generator_running")
    return None if running is None else not running


def _fuel_low(v: PollView, was: bool) -> bool | None:
    t = v.ctx.thresholds
    return _below(v.num("fuel_level_ratio"), t.fuel_low, t.fuel_clear, was)


# UPS alarms (``alarm_active`` labels) as the profiles name them: UPS-MIB upsWellKnownAlarms,
# APC PowerNet, Eaton XUPS (same names), and the DC UPS and rectifier controllers' own words
_BATTERY_BAD = ("battery_bad", "battery_life_ended", "diagnostic_test_failed")
_ON_BYPASS = ("on_bypass", "on_maintenance_bypass")
_OVERLOAD = ("output_overload", "overload")
_UPS_FAULT = ("awaiting_power", "general_fault", "inverter_failure", "output_off", "shutdown_imminent",
              "ups_output_off", "ups_system_off")
_CHARGER_FAILED = ("charger_failed",)
#: the alarms each condition is read from
ALARMS: dict[Condition, tuple[str, ...]] = {
    Condition.BATTERY_BAD: _BATTERY_BAD, Condition.UPS_ON_BYPASS: _ON_BYPASS, Condition.UPS_OVERLOAD: _OVERLOAD,
    Condition.UPS_FAULT: _UPS_FAULT, Condition.CHARGER_FAILED: _CHARGER_FAILED}


def _alarm(names: tuple[str, ...]) -> Callable[[PollView, bool], Signals]:
    return lambda v, was: v.alarm(names)


def _on_bypass(v: PollView, was: bool) -> Signals:
    source = v.text("output_source")
    return (("source", None if source is None or source == "unknown" else source == "bypass"), *v.alarm(_ON_BYPASS))


def _overload(v: PollView, was: bool) -> Signals:
    t = v.ctx.thresholds
    load = v.num("output_load_ratio")
    by_load = None if load is None else load > t.ups_load_clear if was else load >= t.ups_load_high
    return (("load", by_load), *v.alarm(_OVERLOAD))


def _phase_lost(v: PollView, was: bool) -> Signals:
    """A multi-phase input with a phase below the lost threshold while another is present.

    One signal per phase, so that a lost phase going unknown leaves it unknown (``combine``). A
    single-phase input never opens it, nor does every phase gone (that is mains lost); once open,
    it stays open while any phase is below the clear threshold (a degraded grid that then failed).
    """
    t = v.ctx.thresholds
    low = t.mains_phase_clear_volts if was else t.mains_phase_lost_volts
    if not was and not (len(v.phase_volts) > 1 and any(p >= t.mains_phase_lost_volts for p in v.phases)):
        return tuple((f"phase{k}", None if p is None else False) for k, p in v.phase_volts.items())
    return tuple((f"phase{k}", None if p is None else p < low) for k, p in v.phase_volts.items())


def _out_of_range(v: PollView, was: bool) -> Signals:
    """The voltage of a present phase outside [low, high], or the frequency outside [low, high]:
    one signal per phase and one for the frequency. A phase that is lost is ``mains_phase_lost``
    or ``mains_lost``, not out of range; 0 Hz is no input at all."""
    t = v.ctx.thresholds
    low, high = (t.input_voltage_low_clear, t.input_voltage_high_clear) if was else (
        t.input_voltage_low, t.input_voltage_high)
    lost = t.mains_phase_lost_volts
    f = v.num("input_frequency_hertz")
    flow, fhigh = (t.input_frequency_low_clear, t.input_frequency_high_clear) if was else (
        t.input_frequency_low, t.input_frequency_high)
    return (*((f"phase{k}", None if p is None else lost <= p and not low <= p <= high)
              for k, p in v.phase_volts.items()),
            ("frequency", None if f is None else f > 0 and not flow <= f <= fhigh))


def _room_temperature(v: PollView, was: bool) -> bool | None:
    t = v.ctx.thresholds
    temp = v.num("ambient_temperature_celsius")
    if temp is None:
        return None
    return temp > t.room_temperature_clear if was else temp >= t.room_temperature_high


def link_down(v: PollView, interface: str, named: bool) -> bool | None:
    """A named uplink is down when not operationally up; any other interface too, unless it is
    explicitly shut (admin down). An admin status that is missing or invalid (0, as microwave
    radios report it) is not "shut": the operational status decides."""
    up = v.links.get(interface)
    if not isinstance(up, int | float):
        return None
    if not named and v.admin.get(interface) == 0:
        return False  # shut on purpose: not a fault
    return up == 0


# --- what it saw: a summary for people, as data -----------------------------------------------

_P = Phrase


def _runtime_part(r: RuntimeEstimate | None) -> Part | None:
    return None if r is None else part(_P.RUNTIME_LEFT, seconds=round(r.seconds), method=r.method)


def _phases_part(v: PollView) -> Part | None:
    """Mains volts per phase ("230/0/229 V on 3 phases"; "230 V" once when all phases agree)."""
    if not v.phases:
        return None
    volts = sorted({round(p) for p in v.phases})
    if len(v.phases) == 1:
        return part(_P.MAINS_ONE_PHASE, volts=str(volts[0]))
    shown = f"{volts[0]}" if len(volts) == 1 else "/".join(f"{round(p)}" for p in v.phases)
    return part(_P.MAINS_PHASES, volts=shown, phases=len(v.phases))


def _mains_text(v: PollView, active: bool) -> Summary:
    if v.phases:
        return Summary.of(_phases_part(v))
    if v.flag("mains_ok") is not None:
        return Summary.of(part(_P.MAINS_LOST if active else _P.MAINS_PRESENT))
    return Summary.of(part(_P.MAINS_LOST_ON_BATTERY if active else _P.MAINS_PRESENT_NOT_ON_BATTERY))


def _charge(v: PollView) -> Part | None:
    charge = v.num("battery_charge_ratio")
    return None if charge is None else part(_P.CHARGE, ratio=charge)


def _on_battery_text(v: PollView, active: bool) -> Summary:
    if not active:
        source = v.text("output_source")
        return Summary.of(part(_P.ON_MAINS), part(_P.OUTPUT_SOURCE, source=source) if source else None)
    sob = v.num("seconds_on_battery")
    return Summary.of(part(_P.ON_BATTERY_FOR, seconds=round(sob)) if sob else part(_P.ON_BATTERY),
                      _charge(v), _runtime_part(v.runtime))


def _battery_text(v: PollView, active: bool) -> Summary:
    status = v.text("battery_status")
    volts = v.num("battery_voltage_volts")
    return Summary.of(
        part(_P.BATTERY_STATUS_LOW) if status == "low" else
        part(_P.BATTERY_STATUS_DEPLETED) if status == "depleted" else None,
        _charge(v),
        part(_P.CELL_VOLTAGE, cell_volts=v.cell_volts, volts=volts)
        if v.cell_volts is not None and volts is not None else None,
        _runtime_part(v.runtime) if v.on_battery else None)


def _runtime_text(v: PollView, active: bool) -> Summary:
    if not v.on_battery:
        return Summary.of(part(_P.ON_MAINS))
    r = v.runtime
    if r is None:
        return Summary.of(part(_P.RUNTIME_UNKNOWN))
    return Summary.of(part(_P.RUNTIME_THRESHOLD, seconds=round(r.seconds), method=r.method,
                           threshold=round(v.ctx.thresholds.battery_runtime_low)))


def _temperature_text(v: PollView, active: bool) -> Summary:
    x = v.num("battery_temperature_celsius")
    return Summary.of(part(_P.BATTERY_TEMPERATURE_UNKNOWN) if x is None else part(_P.BATTERY_TEMPERATURE, celsius=x))


def _fuel_text(v: PollView, active: bool) -> Summary:
    x = v.num("fuel_level_ratio")
    return Summary.of(part(_P.FUEL_UNKNOWN) if x is None else part(_P.FUEL, ratio=x))


def _flag_text(on: Phrase, off: Phrase) -> Callable[[PollView, bool], Summary]:
    return lambda v, active: Summary.of(part(on if active else off))


def _generator_text(v: PollView, active: bool) -> Summary:
    if active:
        return Summary.of(part(_P.GENERATOR_NOT_RUNNING))
    return Summary.of(part(_P.GENERATOR_RUNNING if v.flag("generator_running") else _P.MAINS_PRESENT))


def _alarm_text(names: tuple[str, ...], *extra: Callable[[PollView], Part | None]
                ) -> Callable[[PollView, bool], Summary]:
    """The alarms of ``names`` the device reports active (or that none is), then ``extra``."""

    def text(v: PollView, active: bool) -> Summary:
        reported = [n for n in names if isinstance(v.alarms.get(n), int | float) and v.alarms[n] != 0]
        alarms = [part(_P.UPS_ALARM, alarm=n) for n in reported]
        if not active and not reported:
            alarms = [part(_P.UPS_ALARMS_CLEAR)]
        return Summary.of(*alarms, *(f(v) for f in extra))

    return text


def _source_part(v: PollView) -> Part | None:
    source = v.text("output_source")
    return part(_P.OUTPUT_SOURCE, source=source) if source else None


def _load_part(v: PollView) -> Part | None:
    load = v.num("output_load_ratio")
    return None if load is None else part(_P.OUTPUT_LOAD, ratio=load)


def _input_text(v: PollView, active: bool) -> Summary:
    f = v.num("input_frequency_hertz")
    return Summary.of(_phases_part(v), None if f is None else part(_P.INPUT_FREQUENCY, hertz=f)) or Summary.of(
        part(_P.INPUT_UNKNOWN))


def _phase_text(v: PollView, active: bool) -> Summary:
    return Summary.of(_phases_part(v)) or Summary.of(part(_P.INPUT_UNKNOWN))


def _room_temperature_text(v: PollView, active: bool) -> Summary:
    x = v.num("ambient_temperature_celsius")
    return Summary.of(part(_P.ROOM_TEMPERATURE_UNKNOWN) if x is None else part(_P.ROOM_TEMPERATURE, celsius=x))


def link_summary(v: PollView, interface: str, active: bool) -> Summary:
    """``RadioLinkTerminal (to GL-BTS-0042) down``: the interface by ifName, and where it goes by
    the operator's description (ifAlias) when it has one."""
    alias = v.aliases.get(interface)
    if not active:
        return Summary.of(part(_P.LINK_UP_TO, interface=interface, to=alias) if alias
                          else part(_P.LINK_UP, interface=interface))
    admin = v.admin.get(interface)
    if not isinstance(admin, int | float):
        key, to_key = _P.LINK_DOWN, _P.LINK_DOWN_TO
    elif admin:
        key, to_key = _P.LINK_DOWN_ADMIN_UP, _P.LINK_DOWN_ADMIN_UP_TO
    else:
        key, to_key = _P.LINK_DOWN_ADMIN_DOWN, _P.LINK_DOWN_ADMIN_DOWN_TO
    return Summary.of(part(to_key, interface=interface, to=alias) if alias else part(key, interface=interface))


Raw = Callable[[PollView, bool], Signals]
Text = Callable[[PollView, bool], Summary]

#: every per-poll condition but link_down (per interface) and site_unreachable (per failure)
CONDITIONS: tuple[tuple[Condition, Raw, Text], ...] = (
    (Condition.MAINS_LOST, _one(lambda v, was: v.mains_lost), _mains_text),
    (Condition.ON_BATTERY, _one(lambda v, was: v.on_battery), _on_battery_text),
    (Condition.BATTERY_LOW, _battery_low, _battery_text),
    (Condition.BATTERY_RUNTIME_LOW, _one(_runtime_low), _runtime_text),
    (Condition.BATTERY_DEPLETED, _depleted, _battery_text),
    (Condition.LVD_OPEN, _one(lambda v, was: v.flag("lvd_open")), _flag_text(_P.LVD_OPEN, _P.LVD_CLOSED)),
    (Condition.BATTERY_TEMPERATURE_HIGH, _one(_temperature), _temperature_text),
    (Condition.GENERATOR_FAILED, _one(_generator_failed), _generator_text),
    (Condition.FUEL_LOW, _one(_fuel_low), _fuel_text),
    (Condition.RECTIFIER_FAILED, _one(lambda v, was: v.flag("rectifier_failed")),
     _flag_text(_P.RECTIFIER_FAILED, _P.RECTIFIERS_OK)),
    (Condition.BATTERY_BAD, _alarm(_BATTERY_BAD), _alarm_text(_BATTERY_BAD)),
    (Condition.UPS_ON_BYPASS, _on_bypass, _alarm_text(_ON_BYPASS, _source_part)),
    (Condition.UPS_OVERLOAD, _overload, _alarm_text(_OVERLOAD, _load_part)),
    (Condition.UPS_FAULT, _alarm(_UPS_FAULT), _alarm_text(_UPS_FAULT, _source_part)),
    (Condition.CHARGER_FAILED, _alarm(_CHARGER_FAILED), _alarm_text(_CHARGER_FAILED)),
    (Condition.MAINS_PHASE_LOST, _phase_lost, _phase_text),
    (Condition.INPUT_OUT_OF_RANGE, _out_of_range, _input_text),
    (Condition.ROOM_TEMPERATURE_HIGH, _one(_room_temperature), _room_temperature_text),
    (Condition.DOOR_OPEN, _one(lambda v, was: v.flag("door_open")), _flag_text(_P.DOOR_OPEN, _P.DOOR_CLOSED)),
    (Condition.SMOKE, _one(lambda v, was: v.flag("smoke_detected")), _flag_text(_P.SMOKE_DETECTED, _P.SMOKE_CLEAR)),
)
