"""Configuration of incidents: thresholds, hold times, flap detection, maintenance windows,
the trap receiver and the API's write token.

Thresholds resolve in layers: built-in defaults < ``thresholds.default`` <
``thresholds.by_kind[<site kind>]`` < the site's own ``thresholds``. Every layer but the first
is a ``ThresholdOverrides`` (all fields optional, unknown keys rejected).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from sitewatch.config.base import SecretRef, Strict, parse_duration
from sitewatch.core.conditions import Condition

__all__ = [
    "ApiConfig",
    "ApiScope",
    "ApiToken",
    "IncidentsConfig",
    "MaintenanceSpec",
    "ThresholdOverrides",
    "Thresholds",
    "ThresholdsConfig",
    "TrapsConfig",
]


_DURATION_FIELDS = ("flap_window",)
_CONDITIONS = tuple(c.value for c in Condition)


def _by_name(seconds: dict[Condition, float]) -> dict[str, float]:
    """Built-in hold times keyed by the enum (a renamed condition cannot leave one behind)."""
    return {c.value: v for c, v in seconds.items()}


def _durations(v: Any) -> Any:
    if isinstance(v, dict):
        unknown = sorted(set(v) - set(_CONDITIONS))
        if unknown:
            raise ValueError(f"unknown condition(s) {', '.join(unknown)}; known: {', '.join(_CONDITIONS)}")
        return {k: parse_duration(x) for k, x in v.items()}
    return v


class Thresholds(Strict):
    """Effective thresholds for one site. Ratios are 0..1, voltages per cell, times in seconds."""

    #: battery charge ratio (0..1) below which battery_low opens
    battery_charge_low: Annotated[float, Field(ge=0, le=1)] = 0.40
    #: battery charge ratio at or above which battery_low clears
    battery_charge_clear: Annotated[float, Field(ge=0, le=1)] = 0.50
    #: per-cell voltage (lead-acid 2 V nominal cells; cells = nominal_voltage / 2)
    battery_cell_voltage_low: Annotated[float, Field(gt=0)] = 1.90
    #: per-cell voltage at or above which battery_low clears
    battery_cell_voltage_clear: Annotated[float, Field(gt=0)] = 2.00
    #: estimated runtime left (seconds) below which battery_low opens
    battery_runtime_low: Annotated[float, Field(gt=0)] = 1800.0
    #: estimated runtime left (seconds) at or above which battery_low clears
    battery_runtime_clear: Annotated[float, Field(gt=0)] = 2400.0
    #: battery temperature (°C) above which battery_temperature_high opens
    battery_temperature_high: float = 40.0
    #: battery temperature (°C) at or below which it clears
    battery_temperature_clear: float = 37.0
    #: generator fuel ratio (0..1) below which fuel_low opens
    fuel_low: Annotated[float, Field(ge=0, le=1)] = 0.20
    #: generator fuel ratio at or above which fuel_low clears
    fuel_clear: Annotated[float, Field(ge=0, le=1)] = 0.25
    #: UPS output load ratio (1 = 100 % of rating) at or above which ups_overload opens
    ups_load_high: Annotated[float, Field(gt=0, le=5)] = 1.0
    #: UPS output load ratio below which it clears
    ups_load_clear: Annotated[float, Field(gt=0, le=5)] = 0.9
    #: a phase below this (V) is lost (mains_phase_lost); at or above it, present
    mains_phase_lost_volts: Annotated[float, Field(ge=0)] = 100.0
    #: a lost phase counts as back at or above this (V)
    mains_phase_clear_volts: Annotated[float, Field(ge=0)] = 180.0
    #: a present phase below this (V) is out of range (input_out_of_range); nominal 220/230 V
    input_voltage_low: Annotated[float, Field(ge=0)] = 180.0
    #: ... and back in range at or above this (V)
    input_voltage_low_clear: Annotated[float, Field(ge=0)] = 190.0
    #: a phase above this (V) is out of range
    input_voltage_high: Annotated[float, Field(ge=0)] = 260.0
    #: ... and back in range at or below this (V)
    input_voltage_high_clear: Annotated[float, Field(ge=0)] = 250.0
    #: mains frequency (Hz) below which input_out_of_range opens (nominal 50 Hz)
    input_frequency_low: Annotated[float, Field(ge=0)] = 47.0
    #: ... and back in range at or above this (Hz)
    input_frequency_low_clear: Annotated[float, Field(ge=0)] = 47.5
    #: mains frequency (Hz) above which input_out_of_range opens
    input_frequency_high: Annotated[float, Field(ge=0)] = 53.0
    #: ... and back in range at or below this (Hz)
    input_frequency_high_clear: Annotated[float, Field(ge=0)] = 52.5
    #: shelter or cabinet air temperature (°C) at or above which room_temperature_high opens
    room_temperature_high: float = 40.0
    #: ... and at or below which it clears
    room_temperature_clear: float = 37.0
    #: consecutive failed polls before site_unreachable
    unreachable_after_polls: Annotated[int, Field(ge=1)] = 3
    #: how long a condition must hold before an incident opens, per condition (default 0)
    hold: dict[str, float] = Field(default_factory=lambda: _by_name({
        Condition.MAINS_LOST: 30.0, Condition.ON_BATTERY: 30.0, Condition.LINK_DOWN: 60.0,
        Condition.BATTERY_TEMPERATURE_HIGH: 300.0, Condition.RECTIFIER_FAILED: 120.0,
        # a generator needs a minute or two to start and take the load after mains is lost
        Condition.GENERATOR_FAILED: 120.0,
        # a UPS passes through bypass for seconds while it transfers; a minute is a real bypass
        Condition.UPS_ON_BYPASS: 60.0, Condition.UPS_OVERLOAD: 30.0, Condition.CHARGER_FAILED: 60.0,
        Condition.MAINS_PHASE_LOST: 30.0, Condition.INPUT_OUT_OF_RANGE: 60.0,
        Condition.ROOM_TEMPERATURE_HIGH: 300.0,
        # a technician walking in: the door is open for half a minute before anyone is paged
        Condition.DOOR_OPEN: 30.0}))
    #: how long a condition must be clear before its incident resolves, per condition (default 0)
    clear_hold: dict[str, float] = Field(default_factory=lambda: _by_name({
        Condition.MAINS_LOST: 60.0, Condition.ON_BATTERY: 60.0, Condition.LINK_DOWN: 60.0,
        Condition.UPS_ON_BYPASS: 60.0, Condition.UPS_OVERLOAD: 60.0, Condition.MAINS_PHASE_LOST: 60.0,
        Condition.INPUT_OUT_OF_RANGE: 60.0, Condition.ROOM_TEMPERATURE_HIGH: 300.0,
        # smoke that stops for a moment is not a fire that is out
        Condition.SMOKE: 300.0}))
    #: flap detection: this many changes within the window → one incident marked flapping
    flap_window: Annotated[float, Field(gt=0)] = 900.0
    #: changes within ``flap_window`` that mark a condition flapping
    flap_threshold: Annotated[int, Field(ge=2)] = 6

    _d = field_validator("hold", "clear_hold", mode="before")(classmethod(lambda cls, v: _durations(v)))
    _w = field_validator("flap_window", mode="before")(classmethod(lambda cls, v: parse_duration(v)))

    @model_validator(mode="after")
    def _hysteresis(self) -> Thresholds:
        pairs = (("battery_charge_low", "battery_charge_clear", 1), ("battery_cell_voltage_low",
                 "battery_cell_voltage_clear", 1), ("battery_runtime_low", "battery_runtime_clear", 1),
                 ("fuel_low", "fuel_clear", 1), ("battery_temperature_high", "battery_temperature_clear", -1),
                 ("ups_load_high", "ups_load_clear", -1), ("mains_phase_lost_volts", "mains_phase_clear_volts", 1),
                 ("input_voltage_low", "input_voltage_low_clear", 1),
                 ("input_voltage_high", "input_voltage_high_clear", -1),
                 ("input_frequency_low", "input_frequency_low_clear", 1),
                 ("input_frequency_high", "input_frequency_high_clear", -1),
                 ("room_temperature_high", "room_temperature_clear", -1))
        for low, clear, sign in pairs:
            if (getattr(self, clear) - getattr(self, low)) * sign < 0:
                raise ValueError(f"{clear} must be on the safe side of {low} (hysteresis)")
        return self

    def hold_for(self, condition: str) -> float:
        return self.hold.get(condition, 0.0)

    def clear_hold_for(self, condition: str) -> float:
        return self.clear_hold.get(condition, 0.0)


class ThresholdOverrides(Strict):
    """Any subset of ``Thresholds``; ``hold``/``clear_hold`` merge per condition."""

    battery_charge_low: Annotated[float, Field(ge=0, le=1)] | None = None
    battery_charge_clear: Annotated[float, Field(ge=0, le=1)] | None = None
    battery_cell_voltage_low: Annotated[float, Field(gt=0)] | None = None
    battery_cell_voltage_clear: Annotated[float, Field(gt=0)] | None = None
    battery_runtime_low: Annotated[float, Field(gt=0)] | None = None
    battery_runtime_clear: Annotated[float, Field(gt=0)] | None = None
    battery_temperature_high: float | None = None
    battery_temperature_clear: float | None = None
    fuel_low: Annotated[float, Field(ge=0, le=1)] | None = None
    fuel_clear: Annotated[float, Field(ge=0, le=1)] | None = None
    ups_load_high: Annotated[float, Field(gt=0, le=5)] | None = None
    ups_load_clear: Annotated[float, Field(gt=0, le=5)] | None = None
    mains_phase_lost_volts: Annotated[float, Field(ge=0)] | None = None
    mains_phase_clear_volts: Annotated[float, Field(ge=0)] | None = None
    input_voltage_low: Annotated[float, Field(ge=0)] | None = None
    input_voltage_low_clear: Annotated[float, Field(ge=0)] | None = None
    input_voltage_high: Annotated[float, Field(ge=0)] | None = None
    input_voltage_high_clear: Annotated[float, Field(ge=0)] | None = None
    input_frequency_low: Annotated[float, Field(ge=0)] | None = None
    input_frequency_low_clear: Annotated[float, Field(ge=0)] | None = None
    input_frequency_high: Annotated[float, Field(ge=0)] | None = None
    input_frequency_high_clear: Annotated[float, Field(ge=0)] | None = None
    room_temperature_high: float | None = None
    room_temperature_clear: float | None = None
    unreachable_after_polls: Annotated[int, Field(ge=1)] | None = None
    hold: dict[str, float] | None = None
    clear_hold: dict[str, float] | None = None
    flap_window: Annotated[float, Field(gt=0)] | None = None
    flap_threshold: Annotated[int, Field(ge=2)] | None = None

    _d = field_validator("hold", "clear_hold", mode="before")(classmethod(lambda cls, v: _durations(v)))
    _w = field_validator("flap_window", "battery_runtime_low", "battery_runtime_clear", mode="before")(
        classmethod(lambda cls, v: None if v is None else parse_duration(v)))

    def apply(self, base: Thresholds) -> Thresholds:
        """``base`` with these overrides on top (validated again, so hysteresis is checked)."""
        data = base.model_dump()
        for k, v in self.model_dump(exclude_none=True).items():
            data[k] = {**data[k], **v} if k in ("hold", "clear_hold") else v
        return Thresholds.model_validate(data)


#: Built-in defaults per site kind, between the global defaults and the configuration. Network
#: buildings and stations carry many sites behind them and have big batteries: warn earlier.
#: A post office on a small UPS matters less and blips often: hold longer before opening.
KIND_DEFAULTS: dict[str, ThresholdOverrides] = {
    "noc_building": ThresholdOverrides(battery_runtime_low=3600, battery_runtime_clear=4800,
                                       hold=_by_name({Condition.MAINS_LOST: 10, Condition.ON_BATTERY: 10})),
    "telecom_station": ThresholdOverrides(battery_runtime_low=3600, battery_runtime_clear=4800,
                                          hold=_by_name({Condition.MAINS_LOST: 20, Condition.ON_BATTERY: 20})),
    "fixed_station": ThresholdOverrides(battery_runtime_low=2400, battery_runtime_clear=3000),
    "bts": ThresholdOverrides(),
    "post_office": ThresholdOverrides(battery_runtime_low=900, battery_runtime_clear=1200,
                                      hold=_by_name({Condition.MAINS_LOST: 120, Condition.ON_BATTERY: 120})),
}


class ThresholdsConfig(Strict):
    #: thresholds for every site, over the built-in defaults
    default: ThresholdOverrides = ThresholdOverrides()
    #: by site kind: noc_building, telecom_station, fixed_station, bts, post_office
    by_kind: dict[str, ThresholdOverrides] = {}

    @field_validator("by_kind")
    @classmethod
    def _kinds(cls, v: dict[str, ThresholdOverrides]) -> dict[str, ThresholdOverrides]:
        known = {"noc_building", "telecom_station", "fixed_station", "bts", "post_office"}
        bad = sorted(set(v) - known)
        if bad:
            raise ValueError(f"unknown site kind(s) {', '.join(bad)}; known: {', '.join(sorted(known))}")
        return v


class MaintenanceSpec(Strict):
    """A maintenance window from configuration: incidents inside are recorded, not paged."""

    #: exactly one scope: a site id, a district or a province
    site: str | None = None
    #: a district: every site in it
    district: str | None = None
    #: a province: every site in it
    province: str | None = None
    #: when the window starts, with a UTC offset (2026-11-22T22:00:00+07:00)
    start: datetime
    #: when it ends (after ``start``), with a UTC offset
    end: datetime
    #: why, shown on the incidents it holds back
    reason: str
    #: who planned it
    author: str

    @model_validator(mode="after")
    def _check(self) -> MaintenanceSpec:
        if sum(x is not None for x in (self.site, self.district, self.province)) != 1:
            raise ValueError("give exactly one of site, district or province")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end need a UTC offset, e.g. 2026-11-22T22:00:00+07:00")
        return self


class IncidentsConfig(Strict):
    """Where incidents are kept; the store file lives in ``daemon.state_dir`` unless set."""

    #: the incident store's SQLite file (default: incidents.db in ``daemon.state_dir``)
    database: str | None = None
    #: a significant change worth a timeline entry: runtime estimate moved by this fraction
    runtime_change_fraction: Annotated[float, Field(gt=0, le=1)] = 0.2


class TrapsConfig(Strict):
    """The SNMP trap/inform receiver."""

    #: receive SNMP traps and informs
    enabled: bool = True
    #: UDP address the trap receiver binds (HOST:PORT)
    listen: str = "0.0.0.0:162"
    #: extra v1/v2c communities accepted from any site (the sites' own credentials always are)
    communities: tuple[SecretRef, ...] = ()

    @field_validator("listen")
    @classmethod
    def _listen(cls, v: str) -> str:
        _, sep, port = v.rpartition(":")
        if not sep or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("expected HOST:PORT, e.g. 0.0.0.0:162")
        return v


class ApiScope(enum.StrEnum):
    """What a token may do."""

    READ = "read"  #: GET the API (sites, incidents, maintenance, on-call) and /metrics
    WRITE = "write"  #: acknowledge, resolve, comment, create and delete maintenance windows
    METRICS = "metrics"  #: only GET /metrics (a Prometheus scrape token)


class ApiToken(SecretRef):
    """A bearer token: ``{env: NAME}``, ``{file: PATH}`` or ``{value: ...}``, with the scopes it
    grants (every scope when not given, as before scopes existed)."""

    #: what the token may do: ``read``, ``write``, ``metrics``
    scopes: tuple[ApiScope, ...] = (ApiScope.READ, ApiScope.WRITE)

    @field_validator("scopes")
    @classmethod
    def _some(cls, v: tuple[ApiScope, ...]) -> tuple[ApiScope, ...]:
        if not v:
            raise ValueError("give at least one scope: read, write or metrics")
        return v


class ApiConfig(Strict):
    """The HTTP listener: bearer tokens and their scopes, who may scrape ``/metrics``, the
    Host names it answers to, and how long it waits for a slow client."""

    #: token name → secret (and scopes); the name is recorded as the actor ("api:<name>")
    tokens: dict[str, ApiToken] = {}
    #: ``/metrics`` needs a token with the read or metrics scope (default: open, like /healthz)
    metrics_auth: bool = False
    #: Host header values answered besides IP addresses, localhost, the listen host and the ack
    #: links' host (DNS rebinding protection); ``["*"]`` answers any
    allowed_hosts: tuple[str, ...] = ()
    #: a client must send its request head, and then its body, within this long
    request_timeout: Annotated[float, Field(gt=0, le=300)] = 10.0

    _d = field_validator("request_timeout", mode="before")(classmethod(lambda cls, v: parse_duration(v)))
