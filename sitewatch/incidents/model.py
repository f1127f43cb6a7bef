"""Incidents: what the NOC and the on-call act on. Plain immutable data.

    PollResult / TrapEvent ──evaluate──▶ Transition ──lifecycle──▶ Incident + TimelineEvent (store)

An incident is identified by its dedup key (site, condition, subject); ``subject`` is the
interface for ``link_down`` and empty otherwise. Only one incident per key is open at a time.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from sitewatch.config.schema import Criticality

__all__ = [
    "POWER_CONDITIONS",
    "REACHABILITY_CONDITIONS",
    "Condition",
    "EventKind",
    "Incident",
    "IncidentState",
    "RuntimeEstimate",
    "Severity",
    "TimelineEvent",
    "Transition",
    "TransitionKind",
    "TrapEvent",
    "severity_for",
]


class Condition(enum.Enum):
    """What is wrong at a site. Values are the names used in config, API, metrics and messages."""

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


#: conditions a parent's outage can explain at its children (suppressed there, never paged)
REACHABILITY_CONDITIONS = frozenset({Condition.SITE_UNREACHABLE, Condition.LINK_DOWN})
#: conditions never suppressed by a parent: a BTS on battery is on battery whatever its parent does
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
}


def severity_for(condition: Condition, criticality: Criticality) -> Severity:
    """Severity = condition's base severity raised one step per criticality level."""
    bump = {Criticality.NORMAL: 0, Criticality.HIGH: 1, Criticality.CRITICAL: 2}[criticality]
    return Severity(min(Severity.CRITICAL, _BASE_SEVERITY[condition] + bump))


class IncidentState(enum.Enum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


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
    #: the value behind it, for people ("input 0 V", "charge 38%", "eth1 down")
    summary: str = ""
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


class EventKind(enum.Enum):
    OPENED = "opened"
    UPDATED = "updated"
    FLAPPING = "flapping"
    STEADY = "steady"
    SUPPRESSED = "suppressed"
    UNSUPPRESSED = "unsuppressed"
    MAINTENANCE = "maintenance"
    ACKNOWLEDGED = "acknowledged"
    COMMENT = "comment"
    RESOLVED = "resolved"
    TRAP = "trap"


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineEvent:
    incident_id: int
    at: float
    kind: EventKind
    actor: str = "sitewatch"  #: "sitewatch", a person's name, "api:<token name>"
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Incident:
    id: int
    site_id: str
    condition: Condition
    subject: str = ""
    severity: Severity
    state: IncidentState
    opened_at: float
    updated_at: float
    acknowledged_at: float | None = None
    acknowledged_by: str | None = None
    resolved_at: float | None = None
    resolved_by: str | None = None
    flapping: bool = False
    #: id of the ancestor's incident that explains this one (not paged while set)
    suppressed_by: int | None = None
    #: id of the maintenance window it opened in (not paged)
    maintenance_id: int | None = None
    summary: str = ""
    runtime: RuntimeEstimate | None = None

    @property
    def key(self) -> tuple[str, Condition, str]:
        return (self.site_id, self.condition, self.subject)

    @property
    def pages(self) -> bool:
        """Whether this incident should page anyone now."""
        return self.state is IncidentState.OPEN and self.suppressed_by is None and self.maintenance_id is None
