"""What evaluation finds, as plain immutable data: conditions, severities, summaries, transitions.

    PollResult / TrapEvent ──evaluate──▶ Transition ──lifecycle──▶ Incident + TimelineEvent (store)

A transition and its incident (``sitewatch.core.incident``) carry a ``Summary`` of the
readings behind them: phrase keys with parameters, put into words per reader by
``sitewatch.messages.readings``.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only a type here: the config's schema names the conditions from ``Condition``
    from sitewatch.config.schema import Criticality

__all__ = [
    "POWER_CONDITIONS",
    "REACHABILITY_CONDITIONS",
    "Condition",
    "Param",
    "Part",
    "Phrase",
    "RuntimeEstimate",
    "Severity",
    "Summary",
    "Transition",
    "TransitionKind",
    "TrapEvent",
    "part",
    "severity_for",
]


class Condition(enum.Enum):
    """What is wrong at a site. Values are the names used in config, API, metrics and messages.

    The one list of conditions: the configuration's condition names (route matches, ``hold``
    and ``clear_hold`` keys, trap maps), the API's and the metrics' ``condition`` values and
    the message vocabulary's keys all come from it. A new condition touches:

    - here: the member, its base severity in ``_BASE_SEVERITY`` and the ``Phrase`` members
      that say what the readings behind it were (each with the conditions using it);
    - ``sitewatch/evaluation/conditions.py``: how a poll raises and clears it (a ``CONDITIONS``
      entry), unless only traps assert it (``sitewatch/traps/maps/*.yaml``, by name);
    - ``sitewatch/messages/vocabulary.py``: its words and its phrases' templates, in ``VI`` and
      ``EN`` (SMS texts are transliterated from them);
    - optionally ``sitewatch/config/incident_schema.py``: a built-in ``hold``/``clear_hold``
      (and a threshold field if it has one);
    - tests: ``tests/evaluation/test_conditions.py`` (opens after its hold, resolves after its
      clear hold); ``tests/messages/test_vocabulary.py`` and ``test_readings.py`` fail until
      every language says it and every phrase has words;
    - ``README.md``'s list of conditions, and ``make docs`` if a default changed.
    """

    MAINS_LOST = "mains_lost"  #: grid power is gone
    ON_BATTERY = "on_battery"  #: the load is carried by the battery
    BATTERY_LOW = "battery_low"  #: status low, charge or per-cell voltage below threshold
    BATTERY_RUNTIME_LOW = "battery_runtime_low"  #: estimated runtime below threshold
    BATTERY_DEPLETED = "battery_depleted"  #: battery exhausted
    LVD_OPEN = "lvd_open"  #: low-voltage disconnect opened: load or battery cut
    BATTERY_TEMPERATURE_HIGH = "battery_temperature_high"
    GENERATOR_FAILED = "generator_failed"  #: mains lost and the site's generator is not running
    FUEL_LOW = "fuel_low"
    RECTIFIER_FAILED = "rectifier_failed"
    LINK_DOWN = "link_down"  #: an uplink interface is down (subject = interface name)
    SITE_UNREACHABLE = "site_unreachable"  #: N consecutive failed polls
    BATTERY_BAD = "battery_bad"  #: the UPS says replace the battery (or its self-test failed)
    UPS_ON_BYPASS = "ups_on_bypass"  #: the load is fed straight from the grid: unprotected
    UPS_OVERLOAD = "ups_overload"  #: the UPS output is loaded beyond its rating
    UPS_FAULT = "ups_fault"  #: general fault, output off, shutdown imminent, awaiting power
    CHARGER_FAILED = "charger_failed"  #: the battery is not being charged
    MAINS_PHASE_LOST = "mains_phase_lost"  #: one or two phases of a multi-phase input gone
    INPUT_OUT_OF_RANGE = "input_out_of_range"  #: mains voltage or frequency out of tolerance
    ROOM_TEMPERATURE_HIGH = "room_temperature_high"  #: shelter or cabinet air too hot (cooling failed)
    DOOR_OPEN = "door_open"  #: a door contact reports the shelter or cabinet open
    SMOKE = "smoke"  #: a smoke detector contact reports smoke


#: conditions a parent's outage can explain at its children (suppressed there, never paged)
REACHABILITY_CONDITIONS = frozenset({Condition.SITE_UNREACHABLE, Condition.LINK_DOWN})
#: conditions never suppressed by a parent: a BTS on battery is on battery whatever its parent does,
#: and a UPS on bypass, a hot shelter or an open door are this site's own, whatever its parent does
POWER_CONDITIONS = frozenset(set(Condition) - REACHABILITY_CONDITIONS)


class Severity(enum.IntEnum):
    """Ordered: a higher value is more urgent."""

    INFO = 1
    WARNING = 2
    MAJOR = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()


_BASE_SEVERITY: Mapping[Condition, Severity] = {
    Condition.MAINS_LOST: Severity.WARNING,
    Condition.ON_BATTERY: Severity.WARNING,
    Condition.BATTERY_LOW: Severity.MAJOR,
    Condition.BATTERY_RUNTIME_LOW: Severity.MAJOR,
    Condition.BATTERY_DEPLETED: Severity.CRITICAL,
    Condition.LVD_OPEN: Severity.CRITICAL,
    Condition.BATTERY_TEMPERATURE_HIGH: Severity.WARNING,
    Condition.GENERATOR_FAILED: Severity.MAJOR,
    Condition.FUEL_LOW: Severity.WARNING,
    Condition.RECTIFIER_FAILED: Severity.WARNING,
    Condition.LINK_DOWN: Severity.MAJOR,
    Condition.SITE_UNREACHABLE: Severity.MAJOR,
    Condition.BATTERY_BAD: Severity.MAJOR,
    Condition.UPS_ON_BYPASS: Severity.MAJOR,
    Condition.UPS_OVERLOAD: Severity.MAJOR,
    Condition.UPS_FAULT: Severity.CRITICAL,
    Condition.CHARGER_FAILED: Severity.MAJOR,
    Condition.MAINS_PHASE_LOST: Severity.WARNING,
    Condition.INPUT_OUT_OF_RANGE: Severity.WARNING,
    Condition.ROOM_TEMPERATURE_HIGH: Severity.MAJOR,
    Condition.DOOR_OPEN: Severity.WARNING,
    Condition.SMOKE: Severity.CRITICAL,
}


_CRITICALITY_BUMP = {"normal": 0, "high": 1, "critical": 2}  #: by ``Criticality`` value


def severity_for(condition: Condition, criticality: Criticality) -> Severity:
    """Severity = condition's base severity raised one step per criticality level."""
    bump = _CRITICALITY_BUMP[criticality.value]
    return Severity(min(Severity.CRITICAL, _BASE_SEVERITY[condition] + bump))


@dataclass(frozen=True, slots=True, kw_only=True)
class RuntimeEstimate:
    """How long the battery lasts, and how we know."""

    seconds: float
    #: ``reported`` (device), ``charge_trend``, ``voltage_trend``, ``capacity`` (Ah/current, Peukert),
    #: ``load`` (Ah from configured typical load)
    method: str
    at: float  #: when the estimate was made (unix time)

    @property
    def depletion_at(self) -> float:
        return self.at + self.seconds


# --- summaries: what evaluation saw, as data ----------------------------------------------------
# Evaluation says "mains 0 V on 3 phases, charge 99%" as ``Summary.of(part(Phrase.MAINS_PHASES,
# volts="0", phases=3), part(Phrase.CHARGE, ratio=0.99))``; ``sitewatch.messages.readings`` renders
# it in Vietnamese or English from the vocabulary, so no language falls back to another. Numbers
# stay numbers (ratios 0..1, seconds, volts) until a language formats them. Every ``Phrase`` names
# the conditions whose summaries use it and the parameters it takes. The store keeps a summary as
# JSON (``to_stored``); one written by an older version is English text, shown as it is.

Param = str | int | float

_C = Condition
_POWER = frozenset({_C.MAINS_LOST, _C.ON_BATTERY, _C.GENERATOR_FAILED})
_BATTERY = frozenset({_C.ON_BATTERY, _C.BATTERY_LOW, _C.BATTERY_DEPLETED})
_PHASES = frozenset({_C.MAINS_LOST, _C.MAINS_PHASE_LOST, _C.INPUT_OUT_OF_RANGE})
#: conditions read off the UPS's alarms (``alarm_active``)
_UPS_ALARMS = frozenset({_C.BATTERY_BAD, _C.UPS_ON_BYPASS, _C.UPS_OVERLOAD, _C.UPS_FAULT, _C.CHARGER_FAILED})


class Phrase(enum.Enum):
    """One kind of statement in a summary: key, the conditions using it, its parameters."""

    conditions: frozenset[Condition]
    params: tuple[str, ...]

    def __new__(cls, key: str, conditions: Iterable[Condition], params: tuple[str, ...] = ()) -> Phrase:
        member = object.__new__(cls)
        member._value_ = key
        member.conditions = frozenset(conditions)
        member.params = params
        return member

    MAINS_ONE_PHASE = ("mains_one_phase", _PHASES, ("volts",))
    MAINS_PHASES = ("mains_phases", _PHASES, ("volts", "phases"))  #: volts "230/229/0"
    MAINS_LOST = ("mains_lost", _POWER)
    MAINS_PRESENT = ("mains_present", _POWER)
    MAINS_LOST_ON_BATTERY = ("mains_lost_on_battery", {_C.MAINS_LOST})  #: derived: on battery, no mains reading
    MAINS_PRESENT_NOT_ON_BATTERY = ("mains_present_not_on_battery", {_C.MAINS_LOST})
    ON_BATTERY = ("on_battery", {_C.ON_BATTERY})
    ON_BATTERY_FOR = ("on_battery_for", {_C.ON_BATTERY}, ("seconds",))
    ON_MAINS = ("on_mains", {_C.ON_BATTERY, _C.BATTERY_RUNTIME_LOW})
    OUTPUT_SOURCE = ("output_source", {_C.ON_BATTERY, _C.UPS_ON_BYPASS}, ("source",))
    CHARGE = ("charge", _BATTERY, ("ratio",))
    BATTERY_STATUS_LOW = ("battery_status_low", {_C.BATTERY_LOW, _C.BATTERY_DEPLETED})
    BATTERY_STATUS_DEPLETED = ("battery_status_depleted", {_C.BATTERY_LOW, _C.BATTERY_DEPLETED})
    CELL_VOLTAGE = ("cell_voltage", {_C.BATTERY_LOW, _C.BATTERY_DEPLETED}, ("cell_volts", "volts"))
    RUNTIME_LEFT = ("runtime_left", _BATTERY, ("seconds", "method"))
    RUNTIME_THRESHOLD = ("runtime_threshold", {_C.BATTERY_RUNTIME_LOW}, ("seconds", "method", "threshold"))
    RUNTIME_UNKNOWN = ("runtime_unknown", {_C.BATTERY_RUNTIME_LOW})
    LVD_OPEN = ("lvd_open", {_C.LVD_OPEN})
    LVD_CLOSED = ("lvd_closed", {_C.LVD_OPEN})
    BATTERY_TEMPERATURE = ("battery_temperature", {_C.BATTERY_TEMPERATURE_HIGH}, ("celsius",))
    BATTERY_TEMPERATURE_UNKNOWN = ("battery_temperature_unknown", {_C.BATTERY_TEMPERATURE_HIGH})
    GENERATOR_NOT_RUNNING = ("generator_not_running", {_C.GENERATOR_FAILED})
    GENERATOR_RUNNING = ("generator_running", {_C.GENERATOR_FAILED})
    FUEL = ("fuel", {_C.FUEL_LOW}, ("ratio",))
    FUEL_UNKNOWN = ("fuel_unknown", {_C.FUEL_LOW})
    RECTIFIER_FAILED = ("rectifier_failed", {_C.RECTIFIER_FAILED})
    RECTIFIERS_OK = ("rectifiers_ok", {_C.RECTIFIER_FAILED})
    UPS_ALARM = ("ups_alarm", _UPS_ALARMS, ("alarm",))  #: alarm: the ``alarm_active`` label (battery_bad)
    UPS_ALARMS_CLEAR = ("ups_alarms_clear", _UPS_ALARMS)
    OUTPUT_LOAD = ("output_load", {_C.UPS_OVERLOAD}, ("ratio",))
    INPUT_FREQUENCY = ("input_frequency", {_C.INPUT_OUT_OF_RANGE}, ("hertz",))
    INPUT_UNKNOWN = ("input_unknown", {_C.MAINS_PHASE_LOST, _C.INPUT_OUT_OF_RANGE})
    ROOM_TEMPERATURE = ("room_temperature", {_C.ROOM_TEMPERATURE_HIGH}, ("celsius",))
    ROOM_TEMPERATURE_UNKNOWN = ("room_temperature_unknown", {_C.ROOM_TEMPERATURE_HIGH})
    DOOR_OPEN = ("door_open", {_C.DOOR_OPEN})
    DOOR_CLOSED = ("door_closed", {_C.DOOR_OPEN})
    SMOKE_DETECTED = ("smoke_detected", {_C.SMOKE})
    SMOKE_CLEAR = ("smoke_clear", {_C.SMOKE})
    LINK_DOWN = ("link_down", {_C.LINK_DOWN}, ("interface",))
    LINK_DOWN_ADMIN_UP = ("link_down_admin_up", {_C.LINK_DOWN}, ("interface",))
    LINK_DOWN_ADMIN_DOWN = ("link_down_admin_down", {_C.LINK_DOWN}, ("interface",))
    LINK_UP = ("link_up", {_C.LINK_DOWN}, ("interface",))
    #: the same, with where the link goes (the interface's ifAlias): "Radio1 (to GL-BTS-0042) down"
    LINK_DOWN_TO = ("link_down_to", {_C.LINK_DOWN}, ("interface", "to"))
    LINK_DOWN_ADMIN_UP_TO = ("link_down_admin_up_to", {_C.LINK_DOWN}, ("interface", "to"))
    LINK_DOWN_ADMIN_DOWN_TO = ("link_down_admin_down_to", {_C.LINK_DOWN}, ("interface", "to"))
    LINK_UP_TO = ("link_up_to", {_C.LINK_DOWN}, ("interface", "to"))
    NO_ANSWER = ("no_answer", {_C.SITE_UNREACHABLE}, ("polls", "error"))  #: error: PollErrorKind value
    ANSWERING_AGAIN = ("answering_again", {_C.SITE_UNREACHABLE})
    ANSWERING_AGAIN_AFTER = ("answering_again_after", {_C.SITE_UNREACHABLE}, ("polls",))
    TRAP = ("trap", set(Condition), ("name", "source"))
    TRAP_SUBJECT_DOWN = ("trap_subject_down", set(Condition), ("subject", "name", "source"))
    TRAP_SUBJECT_UP = ("trap_subject_up", set(Condition), ("subject", "name", "source"))


@dataclass(frozen=True, slots=True)
class Part:
    """One phrase with its parameters (as sorted ``(name, value)`` pairs: hashable, immutable)."""

    key: Phrase
    params: tuple[tuple[str, Param], ...] = ()

    def __post_init__(self) -> None:
        names = tuple(sorted(n for n, _ in self.params))
        if names != tuple(sorted(self.key.params)):
            raise ValueError(f"phrase {self.key.value} takes {list(self.key.params)}, got {list(names)}")

    def values(self) -> dict[str, Param]:
        return dict(self.params)


def part(key: Phrase, **params: Param) -> Part:
    return Part(key, tuple(sorted(params.items())))


@dataclass(frozen=True, slots=True)
class Summary:
    """A summary: its parts in order, or (from an older version's store) its text as written."""

    parts: tuple[Part, ...] = ()
    text: str = ""  #: a summary stored by an older version: English text, shown as it is

    @classmethod
    def of(cls, *parts: Part | None) -> Summary:
        """The summary of the given parts, those that are None left out."""
        return cls(tuple(p for p in parts if p is not None))

    def __bool__(self) -> bool:
        return bool(self.parts or self.text)

    def to_stored(self) -> str:
        """Text for the store: JSON ``[[key, {param: value}], ...]``, or the old text as it was."""
        if not self.parts:
            return self.text
        return json.dumps([[p.key.value, dict(p.params)] for p in self.parts], ensure_ascii=False,
                          separators=(",", ":"))

    @classmethod
    def from_stored(cls, stored: str) -> Summary:
        """Read ``to_stored`` output; anything else (an older version's English) is kept as text."""
        if not stored.startswith("[["):
            return cls(text=stored)
        try:
            return cls(tuple(Part(_PHRASES[k], tuple(sorted((str(n), _param(v)) for n, v in ps.items())))
                             for k, ps in json.loads(stored)))
        except (ValueError, TypeError, AttributeError, KeyError):
            return cls(text=stored)


_PHRASES = {p.value: p for p in Phrase}


def _param(v: object) -> Param:
    if isinstance(v, str | int | float) and not isinstance(v, bool):
        return v
    raise TypeError(f"not a summary parameter: {v!r}")


class TransitionKind(enum.Enum):
    OPENED = "opened"  #: the condition held for its hold time (or a trap asserted it)
    RESOLVED = "resolved"  #: the condition cleared for its clear time
    UPDATED = "updated"  #: a significant change while open (value, runtime estimate)
    FLAPPING = "flapping"  #: the condition started flapping (the incident stays open)
    STEADY = "steady"  #: flapping stopped


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    """Output of evaluation: something happened to one (site, condition, subject)."""

    site_id: str
    condition: Condition
    subject: str = ""
    kind: TransitionKind
    at: float
    #: the values behind it, for people ("mains 0 V on 3 phases", "charge 38%", "eth1 down")
    summary: Summary = Summary()
    flapping: bool = False
    runtime: RuntimeEstimate | None = None
    #: "poll" or "trap:<name>"
    source: str = "poll"


@dataclass(frozen=True, slots=True, kw_only=True)
class TrapEvent:
    """A received, authenticated notification mapped to a site."""

    site_id: str
    received_at: float
    trap_oid: str
    name: str  #: e.g. upsTrapOnBattery, linkDown
    source: str  #: "host:port" it came from
    #: conditions the trap asserts (True) or clears (False); subject for link traps
    asserts: tuple[tuple[Condition, str, bool], ...] = ()
    varbinds: Mapping[str, str] = field(default_factory=dict)
