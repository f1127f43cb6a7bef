"""Configuration of the requests to the utilities for priority restoration of supply.

- ``utilities.<id>``: the directory: who the utility is, its contacts (dispatch centres)
  with their working hours, after-hours and escalation contacts, the areas each contact
  serves, its request-number prefix, language and typical restoration time.
- ``utility_requests``: the operator's own identity as sender (company, unit, the basis text,
  the duty callback) and the rules of when a request is due, per criticality and kind.

Names between items (an area's contact, a contact's after-hours and escalation contacts,
sites listed in an area, the callback roster) are checked by ``crossref``.
"""

from __future__ import annotations

import enum
from datetime import time
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from sitewatch.config.base import Strict, parse_duration

__all__ = [
    "KindRequestRules",
    "Level",
    "PowerRequestRules",
    "RequestLanguage",
    "RequestRules",
    "SenderIdentity",
    "UtilityArea",
    "UtilityContact",
    "UtilityRequestsConfig",
    "WaterRequestRules",
    "WorkingHours",
]

Duration = Annotated[float, Field(ge=0)]
Level = Literal["normal", "high", "critical"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class RequestLanguage(enum.Enum):
    VI = "vi"  #: Vietnamese
    EN = "en"  #: English


def _dur(v: Any) -> Any:
    return None if v is None else parse_duration(v)


def _clock(v: Any) -> Any:
    """``"07:30"``; an unquoted ``07:30`` reaches us as YAML 1.1's base-60 number 450."""
    if isinstance(v, int) and not isinstance(v, bool):
        if 0 <= v < 24 * 60:
            return time(*divmod(v, 60))
        raise ValueError(f"expected a local time such as '07:00' or '17:30', got {v!r}")
    return v


class WorkingHours(Strict):
    """When a contact answers: ``start`` to ``end`` (local time, ``daemon.timezone``) on ``days``."""

    #: the days it is staffed
    days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    #: first minute it answers (local time)
    start: time
    #: when it stops answering (local time, exclusive; before ``start`` = past midnight)
    end: time

    _t = field_validator("start", "end", mode="before")(_clock)

    @model_validator(mode="after")
    def _span(self) -> WorkingHours:
        if self.start == self.end:
            raise ValueError("start and end are the same: leave hours out for a contact staffed around the clock")
        if not self.days:
            raise ValueError("days must name at least one day")
        return self


class UtilityContact(Strict):
    """A dispatch centre (or a person) that takes requests: at least one way to reach it."""

    #: its name, as requests show it (e.g. Trung tâm Điều độ hệ thống điện Gia Lai)
    name: str
    #: duty phone, to call
    phone: str = ""
    #: email the request goes to
    email: str = ""
    #: mobile number the short SMS goes to
    sms: str = ""
    #: webhook or API endpoint the JSON request is posted to (http or https URL)
    webhook: str = ""
    #: when it answers; absent = around the clock
    hours: WorkingHours | None = None
    #: the contact (an id under this utility's ``contacts``) that answers outside ``hours``
    after_hours: str | None = None
    #: the next contact (an id under ``contacts``) to escalate to when this one does not answer
    escalate_to: str | None = None

    @model_validator(mode="after")
    def _reachable(self) -> UtilityContact:
        if not (self.phone or self.email or self.sms or self.webhook):
            raise ValueError("give at least one of phone, email, sms or webhook")
        if self.after_hours is not None and self.hours is None:
            raise ValueError("after_hours needs hours (a contact without hours answers around the clock)")
        return self

    @field_validator("webhook")
    @classmethod
    def _url(cls, v: str) -> str:
        if v and not v.startswith(("http://", "https://")):
            raise ValueError(f"expected an http:// or https:// URL, got {v!r}")
        return v


class UtilityArea(Strict):
    """Sites one contact serves: a district (``district``), named sites (``sites``), or with
    neither, the whole province. A site's own listing wins over its district, its district
    over the province."""

    #: the district (as sites spell it) this contact serves
    district: str | None = None
    #: these sites (ids), wherever they are
    sites: tuple[str, ...] = ()
    #: the contact (an id under this utility's ``contacts``) for requests about these sites
    contact: str

    @model_validator(mode="after")
    def _one(self) -> UtilityArea:
        if self.district is not None and self.sites:
            raise ValueError("give district or sites, not both")
        return self


class SenderIdentity(Strict):
    """Who asks: shown at the top of every request."""

    #: the operator's company (e.g. Viễn thông Gia Lai – VNPT Gia Lai)
    company: str
    #: the unit that sends (e.g. Trung tâm Điều hành Thông tin)
    unit: str = ""
    #: why the utility is asked: the letter asking priority supply (number, date, who signed)
    basis: str = ""
    #: the roster (an id under ``rosters``) whose person on duty the utility calls back
    callback_roster: str | None = None
    #: the duty desk's phone, when no roster is named or nobody is on duty
    callback_phone: str = ""
    #: the duty desk's email, for answers by email
    callback_email: str = ""
    #: the page the utility opens for the request's details (``{reference}`` is filled in)
    link: str = ""

    @model_validator(mode="after")
    def _callback(self) -> SenderIdentity:
        if self.callback_roster is None and not self.callback_phone:
            raise ValueError("give callback_roster or callback_phone: the utility must be able to call back")
        return self


def _default_delays() -> dict[Level, float]:
    return {"normal": 3600.0, "high": 1800.0, "critical": 600.0}


class KindRequestRules(Strict):
    """Rules for one kind of site, replacing the power rules' values it names."""

    #: whether sites of this kind get power requests at all
    request: bool = True
    #: minutes of lost mains before a request, per criticality (normal, high, critical)
    mains_lost_after: dict[Level, Duration] = {}
    #: request at once when the battery is predicted to run out within this
    depletion_within: Duration | None = None

    @field_validator("mains_lost_after", mode="before")
    @classmethod
    def _delays(cls, v: Any) -> Any:
        return {k: _dur(x) for k, x in v.items()} if isinstance(v, dict) else v

    _d = field_validator("depletion_within", mode="before")(_dur)


class PowerRequestRules(Strict):
    """When a site's power request is due: mains lost for ``mains_lost_after`` (by criticality),
    or at once when the battery is predicted to run out within ``depletion_within``, or when
    the generator failed; ``without_generator_after`` shortens the wait for sites without one.
    Nothing is sent when mains returns before."""

    #: minutes of lost mains before a request, per criticality (normal, high, critical)
    mains_lost_after: dict[Level, Duration] = Field(
        default_factory=_default_delays)
    #: request at once when the battery is predicted to run out within this
    depletion_within: Duration = 3600.0
    #: request at once when the site's generator failed to run
    generator_failed: bool = True
    #: the longest wait for a site without a generator (whatever its criticality)
    without_generator_after: Duration = 1800.0
    #: rules per kind of site (bts, telecom_station, fixed_station, noc_building, post_office)
    by_kind: dict[Literal["noc_building", "telecom_station", "fixed_station", "bts", "post_office"],
                  KindRequestRules] = {}

    @field_validator("mains_lost_after", mode="before")
    @classmethod
    def _delays(cls, v: Any) -> Any:
        return {k: _dur(x) for k, x in v.items()} if isinstance(v, dict) else v

    _d = field_validator("depletion_within", "without_generator_after", mode="before")(_dur)

    @model_validator(mode="after")
    def _all_levels(self) -> PowerRequestRules:
        missing = [c for c in ("normal", "high", "critical") if c not in self.mains_lost_after]
        if missing:
            raise ValueError(f"mains_lost_after needs every criticality: missing {', '.join(missing)}")
        return self


class WaterRequestRules(Strict):
    """Water requests go only for sites with ``water.needed`` (cooling, the building's
    supply): on a water condition held for ``after``, or at once on an operator's request."""

    #: how long a water condition lasts before a request
    after: Duration = 1800.0

    _d = field_validator("after", mode="before")(_dur)


class RequestRules(Strict):
    #: when a power request is due
    power: PowerRequestRules = PowerRequestRules()
    #: when a water request is due
    water: WaterRequestRules = WaterRequestRules()


class UtilityRequestsConfig(Strict):
    """Requests to the utilities for priority restoration (``sitewatch.utilities``)."""

    #: who sends the requests; absent = no request is ever sent
    sender: SenderIdentity | None = None
    #: sites of the same contact and feeder whose requests fall due within this join one request
    window: Duration = 900.0
    #: when a request is due
    rules: RequestRules = RequestRules()

    _d = field_validator("window", mode="before")(_dur)
