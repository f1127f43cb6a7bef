"""Plain immutable data shared by every layer: SNMP values, readings, poll results.

Data flows one way: the poller turns SNMP answers into ``Reading`` values collected in a
``PollResult``; evaluation, metrics and the HTTP API only read them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "CANONICAL",
    "Canonical",
    "PollErrorKind",
    "PollResult",
    "Reading",
    "ReadingKind",
    "SnmpException",
    "SnmpValue",
]


class SnmpException(enum.Enum):
    """The three SNMPv2 exception values a varbind can carry instead of a value."""

    NO_SUCH_OBJECT = 0x80  #: the agent does not implement this object
    NO_SUCH_INSTANCE = 0x81  #: the object exists but not this instance
    END_OF_MIB_VIEW = 0x82  #: a GETNEXT/GETBULK ran past the end of the agent's view


#: A decoded SNMP value, as cheap as Python allows:
#: ``int`` for INTEGER, Counter32, Gauge32, TimeTicks and Counter64;
#: ``bytes`` for OCTET STRING, Opaque and IpAddress (4 bytes);
#: ``str`` (dotted, no leading dot) for OBJECT IDENTIFIER;
#: ``None`` for NULL; an ``SnmpException`` member for the v2 exceptions.
SnmpValue = int | bytes | str | None | SnmpException


class ReadingKind(enum.Enum):
    """How a canonical reading's value is typed."""

    NUMBER = "number"  #: a float in base units (seconds, volts, amperes, ratio 0..1, °C)
    BOOL = "bool"  #: 1.0 true / 0.0 false
    STATE = "state"  #: one of a fixed set of strings (``Canonical.states``)


@dataclass(frozen=True, slots=True, kw_only=True)
class Canonical:
    """A canonical reading: vendor-independent name, kind, unit and label names."""

    name: str
    kind: ReadingKind
    help: str
    labels: tuple[str, ...] = ()
    states: tuple[str, ...] = ()


def _c(name: str, kind: ReadingKind, help: str, labels: tuple[str, ...] = (), states: tuple[str, ...] = ()
       ) -> Canonical:
    return Canonical(name=name, kind=kind, help=help, labels=labels, states=states)


_N, _B, _S = ReadingKind.NUMBER, ReadingKind.BOOL, ReadingKind.STATE

#: Every reading a profile may produce. Rules, metrics and messages use only these names.
CANONICAL: Mapping[str, Canonical] = {
    c.name: c
    for c in (
        _c("mains_ok", _B, "1 when mains (grid) power is present at the site"),
        _c("on_battery", _B, "1 when the site's load is carried by the backup battery"),
        _c("battery_status", _S, "Battery status as reported", states=("normal", "low", "depleted", "unknown")),
        _c("seconds_on_battery", _N, "Seconds since the site switched to battery (0 on mains)"),
        _c("battery_runtime_seconds", _N, "Battery runtime remaining as reported by the device, seconds"),
        _c("battery_charge_ratio", _N, "Battery charge remaining, 0..1"),
        _c("battery_voltage_volts", _N, "Battery (DC bus) voltage, volts"),
        _c("battery_current_amperes", _N, "Battery current, amperes (negative = discharging where known)"),
        _c("battery_temperature_celsius", _N, "Battery temperature, degrees Celsius"),
        _c("ambient_temperature_celsius", _N, "Shelter or cabinet air (room) temperature, degrees Celsius"),
        _c("input_voltage_volts", _N, "AC input (mains) voltage per phase, volts", labels=("phase",)),
        _c("input_frequency_hertz", _N, "AC input (mains) frequency, hertz"),
        _c("output_source", _S, "What feeds the output",
           states=("normal", "battery", "bypass", "none", "other", "booster", "reducer", "unknown")),
        _c("generator_running", _B, "1 when the site's generator is running"),
        _c("generator_fault", _B, "1 when the generator controller reports a fault (fail to start, shutdown alarm)"),
        _c("generator_run_seconds", _N, "Generator engine run time (hour meter), seconds"),
        _c("fuel_level_ratio", _N, "Generator fuel level, 0..1"),
        _c("load_current_amperes", _N, "DC load current drawn from the plant, amperes"),
        _c("output_load_ratio", _N, "UPS output load as a share of its rated capacity (1 = 100 %)"),
        _c("rectifier_failed", _B, "1 when one or more rectifiers report failure"),
        _c("rectifiers_installed", _N, "Rectifier modules the DC plant has (installed or configured)"),
        _c("rectifier_current_amperes", _N, "Total output current of the rectifiers, amperes"),
        _c("lvd_open", _B, "1 when the low-voltage disconnect has opened (load or battery cut)"),
        _c("door_open", _B, "1 when a door contact reports the shelter or cabinet door open"),
        _c("smoke_detected", _B, "1 when a smoke detector contact reports smoke"),
        _c("flood_detected", _B, "1 when a water (flood) sensor contact reports water on the floor"),
        _c("alarms_present", _N, "Number of active alarms reported by the device"),
        _c("alarm_active", _B, "1 for each named alarm the device reports active", labels=("alarm",)),
        _c("link_up", _B, "1 when the interface is operationally up", labels=("interface",)),
        _c("link_admin_up", _B, "1 when the interface is administratively up", labels=("interface",)),
        _c("uptime_seconds", _N, "Agent uptime, seconds"),
    )
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Reading:
    """One canonical reading of one site at one poll.

    ``value`` is ``None`` when the device gave nothing usable (a sentinel, NULL, wrong type,
    out of range): the reading is *unknown*, never a wrong number. ``source`` tells an
    engineer which raw value(s) it came from (``1.3.6.1.2.1.33.1.2.5.0=412``).
    """

    name: str
    value: float | str | None
    labels: tuple[tuple[str, str], ...] = ()
    source: str = ""
    #: Extra descriptive labels (ifAlias, ifIndex, alarm OID) shown in info metrics and the API.
    info: tuple[tuple[str, str], ...] = ()


class PollErrorKind(enum.Enum):
    """Why a poll failed. A failed poll is data, not an exception."""

    TIMEOUT = "timeout"  #: no answer within timeout x retries
    AUTH = "auth"  #: wrong community / USM authentication or privacy failure
    NO_SUCH_OBJECT = "no_such_object"  #: none of the profile's objects exist on the agent
    DECODE = "decode"  #: the answer could not be decoded
    AGENT_ERROR = "agent_error"  #: the agent answered with an error-status (genErr, ...)
    NETWORK = "network"  #: the request could not be sent (unreachable, bad address)
    INTERNAL = "internal"  #: a bug in sitewatch, caught at the site boundary


@dataclass(frozen=True, slots=True, kw_only=True)
class PollResult:
    """What one poll of one site produced."""

    site_id: str
    started_at: float  #: unix time the poll started (from the injected clock)
    duration_seconds: float
    ok: bool
    error: PollErrorKind | None = None
    error_detail: str = ""
    readings: tuple[Reading, ...] = ()
    #: raw values by OID (dotted), kept only when asked for (``sitewatch poll``)
    raw: Mapping[str, SnmpValue] = field(default_factory=dict)
    #: names of the profiles that produced readings
    profiles: tuple[str, ...] = ()
