"""Configuration of the duty system: people, rosters, escalation policies, routing, channels,
and notification settings (ack links, outbox, grouping, heartbeat).

    channels:  name → one configured notifier (a type from ``sitewatch.notify.registry``: sms_gateway, ...)
    people:    id → name, language, contacts (channel + address), personal notification rules
    rosters:   id → layers of rotations with restrictions, and overrides (who is on call when)
    policies:  id → ordered escalation levels (who to notify, how long to wait), repeat count
    routes:    first match (site team/province/kind/criticality/condition) → policy and grouping
    notifications: ack links, re-notify, outbox retry limits, heartbeat, shift notices
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from sitewatch.config.base import OneOf, SecretRef, Strict, parse_duration

__all__ = [
    "AckLinks",
    "ChannelConfig",
    "ContactSpec",
    "EscalationLevel",
    "Heartbeat",
    "IfDown",
    "LayerSpec",
    "NotificationRule",
    "NotificationsConfig",
    "OverrideSpec",
    "Person",
    "Policy",
    "Restriction",
    "RosterSpec",
    "Route",
    "RouteMatch",
    "Target",
]

Duration = Annotated[float, Field(ge=0)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _dur(v: Any) -> Any:
    return None if v is None else parse_duration(v)


def _local_time(v: Any) -> Any:
    """``"18:00"`` → 18:00. YAML 1.1 reads an unquoted ``18:00`` as the base-60 number 1080
    (and ``18:00:30`` as 64830); read such numbers back as the clock time the operator wrote,
    not as seconds after midnight UTC (pydantic's reading of an int)."""
    if isinstance(v, int) and not isinstance(v, bool):
        if 0 <= v < 24 * 60:  # H:MM
            return time(*divmod(v, 60))
        if 3600 <= v < 86400:  # H:MM:SS
            hours, rest = divmod(v, 3600)
            return time(hours, *divmod(rest, 60))
        raise ValueError(f"expected a local time such as '08:00' or '18:30', got {v!r}")
    return v


def _naive_time(v: time) -> time:
    if v.tzinfo is not None:
        raise ValueError("give a local time without a UTC offset: the roster's timezone applies")
    return v


def _zone_name(v: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown time zone {v!r}") from e
    return v


# -- channels ------------------------------------------------------------------------------

def _channel_types() -> list[str]:
    from sitewatch.notify.registry import CHANNELS  # the registry's modules import config: import late

    return list(CHANNELS)


class ChannelConfig(Strict):
    """One notifier. ``type`` picks the module; the other fields are that channel's settings
    (validated by the channel's own model in ``sitewatch.notify``: unknown keys fail there)."""

    #: the kind of channel; its settings are listed under ``channels.<name>.settings`` per type
    type: Annotated[str, OneOf(_channel_types)]
    #: messages per second this channel may send (token bucket); None = unlimited
    rate_limit: Annotated[float, Field(gt=0)] | None = None
    #: channel-specific settings (url, headers, templates, SMTP host, bot token, ...)
    settings: dict[str, Any] = {}
    #: secrets the channel needs by name (bot_token, password, hmac_secret, api_key, ...)
    secrets: dict[str, SecretRef] = {}


# -- people --------------------------------------------------------------------------------

class ContactSpec(Strict):
    channel: str  #: a name under ``channels``
    address: str = ""  #: phone (+84...), email, Telegram chat id; empty for URL-only channels


class IfDown(Strict):
    """A fallback rule's condition: a page to ``contact`` has waited while that contact's
    channel has been down for at least ``for``."""

    model_config = ConfigDict(**Strict.model_config, serialize_by_alias=True)  # dumped as written: ``for``

    #: the contact (index into the person's ``contacts``) whose page waits on a down channel
    contact: Annotated[int, Field(ge=0)]
    #: how long that contact's channel must have been down before the fallback is sent
    for_: Duration = Field(default=120.0, alias="for")

    _d = field_validator("for_", mode="before")(classmethod(lambda cls, v: _dur(v)))


class NotificationRule(Strict):
    """Personal rule: on being paged, use ``contact`` (index into ``contacts``) after ``after``
    seconds, and again every ``repeat`` seconds until acknowledged (None = once).

    With ``if_down`` it is a fallback instead, never used at page time: ``contact`` also gets
    a page (once) that waits on the ``if_down`` contact's channel after that channel has been
    down for ``if_down.for`` (``{contact: 1, if_down: {contact: 0, for: 2m}}``: email when the
    SMS gateway has been down for 2 minutes)."""

    #: index of the contact in the person's ``contacts`` (0 = first)
    contact: Annotated[int, Field(ge=0)]
    #: how long after being paged to use this contact
    after: Duration = 0.0
    #: use it again this often until acknowledged (null = once)
    repeat: Annotated[float, Field(gt=0)] | None = None
    #: makes this rule a fallback: used only while another contact's channel is down (see above)
    if_down: IfDown | None = None

    _d = field_validator("after", "repeat", mode="before")(classmethod(lambda cls, v: _dur(v)))


class Person(Strict):
    #: the person's name, as messages and the timeline show it
    name: str
    #: language of the messages sent to this person
    language: Literal["vi", "en"] = "vi"
    #: how to reach the person, in order
    contacts: tuple[ContactSpec, ...] = ()
    #: default: every contact at once, no repeats
    rules: tuple[NotificationRule, ...] = ()
    #: team ids the person belongs to (a level may notify a whole team)
    teams: tuple[str, ...] = ()
    #: tell this person when their shift starts (through their first contact)
    shift_notifications: bool = False
    #: a page lost on a down channel (cancelled by the resolution before it could go) is
    #: followed there, once the channel is back, by one short "resolved; not delivered earlier" notice
    late_notices: bool = True

    @model_validator(mode="after")
    def _rules(self) -> Person:
        for r in self.rules:
            if r.contact >= len(self.contacts):
                raise ValueError(f"rule contact {r.contact} does not exist (the person has {len(self.contacts)})")
        return self


# -- rosters -------------------------------------------------------------------------------

class Restriction(Strict):
    """Only active on these weekdays, between ``start`` and ``end`` local time (end < start
    wraps past midnight: a night layer 18:00-07:00). A window belongs to the day it starts on:
    ``days: [fri]`` with 18:00-07:00 covers Friday 18:00 to Saturday 07:00. ``end`` equal to
    ``start`` is 24 hours from ``start``."""

    #: weekdays on which the window starts
    days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    #: local time the window starts
    start: time = time(0, 0)
    end: time = time(0, 0)  #: 00:00 with start 00:00 = the whole day

    _t = field_validator("start", "end", mode="before")(classmethod(lambda cls, v: _local_time(v)))
    _n = field_validator("start", "end")(classmethod(lambda cls, v: _naive_time(v)))


class LayerSpec(Strict):
    #: the layer's name (unique within the roster)
    name: str
    members: tuple[str, ...]  #: person ids, in rotation order
    #: shift length: "12h", "1d", "7d"; the rotation hands off every shift
    shift: Annotated[float, Field(gt=0)] = 7 * 86400.0
    #: when the rotation started (local date + handoff time): member 0 on duty from then
    start: date
    #: local time of day the shift changes hands
    handoff: time = time(8, 0)
    #: only on duty in these windows (e.g. nights and weekends); none = always
    restrictions: tuple[Restriction, ...] = ()

    _d = field_validator("shift", mode="before")(classmethod(lambda cls, v: _dur(v)))
    _t = field_validator("handoff", mode="before")(classmethod(lambda cls, v: _local_time(v)))
    _n = field_validator("handoff")(classmethod(lambda cls, v: _naive_time(v)))

    @field_validator("shift")
    @classmethod
    def _long_enough(cls, v: float) -> float:
        if v < 900:  # shorter is no on-call shift, and would make every timeline needlessly long
            raise ValueError("a shift must be at least 15 minutes (e.g. '12h', '1d', '7d')")
        return v


class OverrideSpec(Strict):
    """``person`` covers this roster from ``start`` to ``end`` (swap, leave), whoever the
    layers have on duty then, gaps included. Times without a UTC offset (and plain dates,
    meaning 00:00) are the roster's local time; ``end`` is exclusive."""

    #: who covers (a person id)
    person: str
    #: start of the cover (the roster's local time unless given with a UTC offset)
    start: datetime
    #: end of the cover (exclusive)
    end: datetime
    #: why (swap, leave), shown in the on-call view
    reason: str = ""

    @model_validator(mode="after")
    def _order(self) -> OverrideSpec:
        if (self.start.tzinfo is None) != (self.end.tzinfo is None):
            raise ValueError("give start and end both with a UTC offset or both without (the roster's local time)")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class RosterSpec(Strict):
    #: the roster's name, as messages show it
    name: str
    #: the team it serves (a team id)
    team: str | None = None
    #: time zone of the layers' dates, handoffs and restrictions
    timezone: str = "Asia/Ho_Chi_Minh"
    #: later layers win where they have someone on duty
    layers: tuple[LayerSpec, ...]
    #: later overrides win where they overlap
    overrides: tuple[OverrideSpec, ...] = ()

    _z = field_validator("timezone")(classmethod(lambda cls, v: _zone_name(v)))

    @model_validator(mode="after")
    def _layer_names(self) -> RosterSpec:
        names = [layer.name for layer in self.layers]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"layer names must differ within a roster: {', '.join(twice)} given twice")
        return self


# -- escalation ----------------------------------------------------------------------------

class Target(Strict):
    """Whom a level notifies: exactly one of a roster's on-call, named people, or a whole team."""

    #: whoever is on call in this roster
    roster: str | None = None
    #: these people (person ids)
    people: tuple[str, ...] = ()
    #: every member of this team (a team id)
    team: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Target:
        if sum(bool(x) for x in (self.roster, self.people, self.team)) != 1:
            raise ValueError("give exactly one of roster, people or team")
        return self


class EscalationLevel(Strict):
    #: whom this level pages
    notify: tuple[Target, ...]
    #: how long to wait for an acknowledgement before the next level
    wait: Duration = 600.0

    _d = field_validator("wait", mode="before")(classmethod(lambda cls, v: _dur(v)))


class Policy(Strict):
    #: the policy's name, as people read it (default: its id)
    name: str = ""
    #: escalation levels, paged in order
    levels: tuple[EscalationLevel, ...]
    #: run the whole policy this many more times if nobody acknowledges
    repeat: Annotated[int, Field(ge=0, le=10)] = 0


class RouteMatch(Strict):
    """Every given field must match (lists: any of)."""

    #: site team ids
    team: tuple[str, ...] = ()
    #: site provinces
    province: tuple[str, ...] = ()
    #: site districts
    district: tuple[str, ...] = ()
    #: site kinds
    kind: tuple[str, ...] = ()
    #: site criticalities
    criticality: tuple[str, ...] = ()
    #: incident conditions (mains_lost, ...)
    condition: tuple[str, ...] = ()


class Route(Strict):
    #: which incidents take this route; routes are tried in order, the first match wins
    match: RouteMatch = RouteMatch()
    #: the escalation policy (a policy id)
    policy: str
    #: incidents of one group are paged together (Alertmanager's group_by)
    group_by: tuple[Literal["district", "province", "team", "condition", "site", "kind"], ...] = ("district",)
    #: how long a new group waits for more incidents before its first page
    group_wait: Duration = 30.0
    #: at most one update about incidents joining a group this often
    group_interval: Duration = 300.0
    #: wait multiplier for this route's policy (e.g. 0.5 for sites serving hospitals)
    wait_factor: Annotated[float, Field(gt=0, le=10)] = 1.0

    _d = field_validator("group_wait", "group_interval", mode="before")(classmethod(lambda cls, v: _dur(v)))


# -- notifications -------------------------------------------------------------------------

class AckLinks(Strict):
    #: public base URL of the daemon's HTTP listener as responders reach it
    base_url: str = "http://127.0.0.1:9641"
    secret: SecretRef | None = None  #: HMAC key; required when any person has a contact
    #: how long an acknowledge link stays valid
    ttl: Annotated[float, Field(gt=0)] = 86400.0

    _d = field_validator("ttl", mode="before")(classmethod(lambda cls, v: _dur(v)))


class Heartbeat(Strict):
    """Dead man's switch: sitewatch GETs/POSTs ``url`` every ``interval`` while healthy."""

    #: the dead man's switch URL
    url: str
    #: how often to call it
    interval: Annotated[float, Field(gt=0)] = 60.0
    #: HTTP method
    method: Literal["GET", "POST"] = "GET"

    _d = field_validator("interval", mode="before")(classmethod(lambda cls, v: _dur(v)))


class NotificationsConfig(Strict):
    #: signed acknowledge links in messages
    ack_links: AckLinks = AckLinks()
    #: an acknowledged incident still open re-notifies its acknowledger after this long (None = never)
    renotify_acknowledged: Annotated[float, Field(gt=0)] | None = 7200.0
    #: retryable failures are retried with backoff for at most this long, then dead-lettered
    max_retry_time: Annotated[float, Field(gt=0)] = 3600.0
    #: a dead man's switch called while sitewatch is healthy (none by default)
    heartbeat: Heartbeat | None = None

    _d = field_validator("renotify_acknowledged", "max_retry_time", mode="before")(
        classmethod(lambda cls, v: _dur(v)))
