"""The configuration model: strict (unknown keys fail), frozen, with defaults per section.

Top-level sections (each may come from a different file, see ``loader``):

- ``daemon``       listen address, poll interval, SNMP timeout/retries, concurrency, state dir, time zone
- ``credentials``  SNMP credentials by name (v1/v2c community, v3 USM); secrets by reference
- ``profile_dirs`` extra directories of device profiles (the shipped ones are always loaded)
- ``utilities``    power and water utilities by id, with their contacts and areas
- ``utility_requests`` the operator as sender, and when a priority-restoration request is due
- ``teams``        operations teams by id
- ``sites``        the monitored sites

Two more top-level keys are loader directives, not part of ``Config``: ``include`` (more
YAML files, relative paths or globs) and ``sites_csv`` (site tables, see ``csvsites``).
Cross-references (parent, credential, profile, utility, team) are checked by ``loader``,
which also resolves secrets and makes relative paths (``profile_dirs``, ``daemon.state_dir``,
secret files) relative to the file that names them. Later issues add sections (people, rosters, policies, ...)
next to these without changing them.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from typing import Annotated, Literal

from pydantic import (
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from sitewatch.config.base import SecretRef, Strict, optional_duration, parse_duration
from sitewatch.config.incident_schema import (
    KIND_DEFAULTS,
    ApiConfig,
    IncidentsConfig,
    MaintenanceSpec,
    ThresholdOverrides,
    Thresholds,
    ThresholdsConfig,
    TrapsConfig,
)
from sitewatch.config.oncall_schema import ChannelConfig, NotificationsConfig, Person, Policy, RosterSpec, Route
from sitewatch.config.utility_schema import RequestLanguage, UtilityArea, UtilityContact, UtilityRequestsConfig
from sitewatch.core.contacts import MEANINGS

__all__ = [
    "AuthProtocol",
    "BackupSpec",
    "Config",
    "Credential",
    "Criticality",
    "DaemonConfig",
    "InputSpec",
    "PowerSupply",
    "PrivProtocol",
    "SecretRef",
    "Site",
    "SiteKind",
    "SiteKindSpec",
    "SnmpTarget",
    "SnmpV1V2Credential",
    "SnmpV3Credential",
    "StationLevel",
    "Team",
    "Utility",
    "UtilityKind",
    "WaterSupply",
    "parse_duration",
]



Seconds = Annotated[float, Field(gt=0)]

_HOSTNAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,252})")


def _is_host(text: str) -> bool:
    """An IP address, or a host name that is not a malformed dotted quad."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return _HOSTNAME.fullmatch(text) is not None and not text.replace(".", "").isdigit()
    return True


class DaemonConfig(Strict):
    #: HTTP listener for /metrics, /healthz, /readyz and the API (HOST:PORT; IPv6 in brackets)
    listen: str = "127.0.0.1:9641"
    #: how often each site is polled
    poll_interval: Annotated[float, Field(gt=0)] = 60.0
    #: how long to wait for an SNMP answer (per request)
    snmp_timeout: Annotated[float, Field(gt=0)] = 2.0
    #: SNMP retries after a timeout
    snmp_retries: Annotated[int, Field(ge=0, le=10)] = 1
    #: at most this many site polls run at once
    concurrency: Annotated[int, Field(ge=1, le=10000)] = 200
    #: readings older than this many seconds are not exported as current (default 3 intervals)
    stale_after: Annotated[float, Field(gt=0)] | None = None
    #: where sitewatch keeps its files (incident store, ack link key); relative to the configuration file
    state_dir: str = "/var/lib/sitewatch"
    #: time zone of times in messages, the CLI and scheduled jobs
    timezone: str = "Asia/Ho_Chi_Minh"
    #: ``lean`` (fast v1/v2c codec) or ``pysnmp`` for v1/v2c; v3 always uses pysnmp
    snmp_client: Literal["lean", "pysnmp"] = "lean"
    #: log lines as plain ``text`` or one ``json`` object per line (``--log-format`` overrides)
    log_format: Literal["text", "json"] = "text"

    @field_validator("poll_interval", "snmp_timeout", "stale_after", mode="before")
    @classmethod
    def _durations(cls, v: object) -> float | None:
        return optional_duration(v)

    @field_validator("listen")
    @classmethod
    def _listen(cls, v: str) -> str:
        host, sep, port = v.rpartition(":")
        if not sep or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("expected HOST:PORT, e.g. 127.0.0.1:9641 or [::1]:9641")
        if host.startswith("["):
            ok = host.endswith("]") and ":" in host and _is_host(host[1:-1])
        else:
            ok = ":" not in host and (host == "" or _is_host(host))
        if not ok:
            raise ValueError(f"not an IP address or host name: {host!r} (IPv6 goes in brackets: [::1]:9641)")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {v!r}") from e
        return v

    @property
    def staleness_seconds(self) -> float:
        return self.stale_after if self.stale_after is not None else 3 * self.poll_interval


def _version_text(v: object) -> object:
    # YAML reads ``version: 3`` as an int; the discriminator and Literal want text.
    return str(v) if isinstance(v, int) and not isinstance(v, bool) else v


class SnmpV1V2Credential(Strict):
    #: SNMP version: ``1`` or ``2c``
    version: Literal["1", "2c"]
    #: the community string
    community: SecretRef

    _v = field_validator("version", mode="before")(_version_text)


class AuthProtocol(enum.Enum):
    MD5 = "md5"
    SHA = "sha"
    SHA224 = "sha224"
    SHA256 = "sha256"
    SHA384 = "sha384"
    SHA512 = "sha512"


class PrivProtocol(enum.Enum):
    DES = "des"
    AES = "aes"
    AES192 = "aes192"
    AES256 = "aes256"


class SnmpV3Credential(Strict):
    #: ``3``
    version: Literal["3"]
    #: USM user name
    username: str
    #: authentication protocol (none = noAuthNoPriv)
    auth_protocol: AuthProtocol | None = None
    #: authentication passphrase
    auth_password: SecretRef | None = None
    #: privacy (encryption) protocol; needs authentication
    priv_protocol: PrivProtocol | None = None
    #: privacy passphrase
    priv_password: SecretRef | None = None
    #: SNMPv3 context name
    context_name: str = ""

    _v = field_validator("version", mode="before")(_version_text)

    @model_validator(mode="after")
    def _levels(self) -> SnmpV3Credential:
        if (self.auth_protocol is None) != (self.auth_password is None):
            raise ValueError("auth_protocol and auth_password go together")
        if (self.priv_protocol is None) != (self.priv_password is None):
            raise ValueError("priv_protocol and priv_password go together")
        if self.priv_protocol is not None and self.auth_protocol is None:
            raise ValueError("privacy (priv_protocol) needs authentication (auth_protocol)")
        return self

    @property
    def security_level(self) -> str:
        if self.priv_protocol is not None:
            return "authPriv"
        return "authNoPriv" if self.auth_protocol is not None else "noAuthNoPriv"


def _credential_tag(v: object) -> str | None:
    version = v.get("version") if isinstance(v, dict) else getattr(v, "version", None)
    if version is None or isinstance(version, bool):
        return None
    return "v1v2c" if str(version) in ("1", "2c") else str(version)


Credential = Annotated[
    Annotated[SnmpV1V2Credential, Tag("v1v2c")] | Annotated[SnmpV3Credential, Tag("3")],
    Discriminator(
        _credential_tag,
        custom_error_type="snmp_version",
        custom_error_message="version must be 1, 2c or 3",
    ),
]


class SiteKind(enum.Enum):
    NOC_BUILDING = "noc_building"  #: tòa nhà quản lý, điều hành mạng lưới
    TELECOM_STATION = "telecom_station"  #: trạm viễn thông (international/regional/provincial)
    FIXED_STATION = "fixed_station"  #: trạm viễn thông cố định
    BTS = "bts"  #: trạm thu phát sóng di động
    POST_OFFICE = "post_office"  #: bưu cục, điểm giao dịch bưu chính


class StationLevel(enum.Enum):
    INTERNATIONAL = "international"
    REGIONAL = "regional"
    PROVINCIAL = "provincial"
    DISTRICT = "district"


class Criticality(enum.Enum):
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


class UtilityKind(enum.Enum):
    POWER = "power"
    WATER = "water"


class Utility(Strict):
    #: the utility's name
    name: str
    #: what it supplies
    kind: UtilityKind
    #: province it serves
    province: str = ""
    #: main switchboard phone, for messages (requests go to the ``contacts`` of each area)
    phone: str = ""
    #: main email, for messages
    email: str = ""
    #: language its requests are written in
    language: RequestLanguage = RequestLanguage.VI
    #: request numbers start with this (e.g. ``PCGL``): prefix-YYYYMMDD-sequence
    request_prefix: Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]{0,15}$")] | None = None
    #: how long a restoration usually takes, the forecast's estimate before the utility answers
    typical_restoration: Annotated[float, Field(gt=0)] = 14400.0
    #: its dispatch centres and people who take requests, by id
    contacts: dict[str, UtilityContact] = {}
    #: which contact serves which sites: by district, by site list, or the whole province
    areas: tuple[UtilityArea, ...] = ()

    _d = field_validator("typical_restoration", mode="before")(optional_duration)

    @model_validator(mode="after")
    def _directory(self) -> Utility:
        if self.areas and not self.contacts:
            raise ValueError("areas name contacts: give contacts")
        if self.contacts and not self.areas:
            raise ValueError("contacts serve areas: give areas (an area without district or sites is the province)")
        return self

    def area_for(self, site_id: str, district: str) -> UtilityArea | None:
        """The area serving a site: one listing it, else its district's, else the province's."""
        listed = next((a for a in self.areas if site_id in a.sites), None)
        by_district = next((a for a in self.areas if a.district is not None and a.district == district), None)
        whole = next((a for a in self.areas if a.district is None and not a.sites), None)
        return listed or by_district or whole


class Team(Strict):
    #: the team's name
    name: str
    #: province it covers
    province: str = ""
    #: district it covers
    district: str = ""
    #: what it looks after: network, postal, ...
    domain: str = ""


class InputSpec(Strict):
    #: what the dry contact tells: mains, generator, door, smoke, flood, rectifier_failure, lvd_open or alarm
    means: str
    #: the contact level that alarms (mains lost, door open, generator running): ``open`` or
    #: ``closed``; default ``closed`` for generator, else ``open`` (fail-safe: a cut wire alarms)
    alarm_when: Literal["open", "closed"] | None = None
    #: the alarm's name, for ``means: alarm`` (read as ``alarm_active{alarm=NAME}``)
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")] | None = None

    @field_validator("means")
    @classmethod
    def _means(cls, v: str) -> str:
        if v not in MEANINGS:
            raise ValueError(f"unknown meaning {v!r}: one of {', '.join(MEANINGS)}")
        return v

    @model_validator(mode="after")
    def _name(self) -> InputSpec:
        if MEANINGS[self.means].named and self.name is None:
            raise ValueError("means alarm needs a name (e.g. name: high_temperature)")
        if not MEANINGS[self.means].named and self.name is not None:
            raise ValueError("name is only for means alarm")
        return self


def _input_shorthand(v: object) -> object:
    # ``3: door`` is ``3: {means: door}``
    return {k: {"means": x} if isinstance(x, str) else x for k, x in v.items()} if isinstance(v, dict) else v


class SnmpTarget(Strict):
    #: the agent's IP address or host name
    host: str
    #: the agent's UDP port
    port: Annotated[int, Field(ge=1, le=65535)] = 161
    #: a name under ``credentials``
    credential: str
    #: per-target community overriding the credential's (v1/v2c fleets with per-site communities)
    community: SecretRef | None = None
    #: profile names; empty = pick automatically from sysObjectID / a probe of the MIB tree
    profiles: tuple[str, ...] = ()
    #: this target's SNMP timeout (default: ``daemon.snmp_timeout``)
    timeout: Annotated[float, Field(gt=0)] | None = None
    #: this target's SNMP retries (default: ``daemon.snmp_retries``)
    retries: Annotated[int, Field(ge=0, le=10)] | None = None
    #: what the controller's dry-contact inputs mean at this site, by input number
    #: (``{2: {means: mains, alarm_when: open}, 3: door}``); needs ``profiles``
    inputs: dict[Annotated[int, Field(ge=0)], InputSpec] = {}

    _inputs = field_validator("inputs", mode="before")(_input_shorthand)

    @model_validator(mode="after")
    def _wired(self) -> SnmpTarget:
        if self.inputs and not self.profiles:
            raise ValueError("inputs needs the target's profiles listed (which controller's inputs they are)")
        named = [(x.means, x.name) for x in self.inputs.values() if x.means != "alarm"] + [
            ("alarm", x.name) for x in self.inputs.values() if x.means == "alarm"]
        twice = sorted({f"{m} {n}" if n else m for m, n in named if named.count((m, n)) > 1})
        if twice:
            raise ValueError(f"two inputs mean the same: {', '.join(twice)}")
        return self

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout(cls, v: object) -> float | None:
        return optional_duration(v)

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        if not v:
            raise ValueError("host must not be empty")
        if not _is_host(v):
            raise ValueError(f"not an IP address or host name: {v!r}")
        return v


class PowerSupply(Strict):
    #: the power utility (an id under ``utilities``)
    utility: str
    customer_id: str = ""  #: mã khách hàng
    #: meter number
    meter: str = ""
    feeder: str = ""  #: xuất tuyến / lộ
    transformer: str = ""  #: trạm biến áp


class WaterSupply(Strict):
    #: the water utility (an id under ``utilities``)
    utility: str
    #: account number
    account: str = ""
    #: the site needs water (cooling, the building's supply): water requests may be sent for it
    needed: bool = False


class BackupSpec(Strict):
    #: battery bank capacity (Ah), for the runtime estimate
    battery_capacity_ah: Annotated[float, Field(gt=0)] | None = None
    #: battery bank nominal voltage (V)
    nominal_voltage: Annotated[float, Field(gt=0)] | None = None
    #: usual load (W): the runtime estimate derives the battery current from it when none is measured
    typical_load_watts: Annotated[float, Field(gt=0)] | None = None
    #: the site has a standby generator
    generator: bool = False


class Site(Strict):
    #: unique site id (letters, digits, ``_.:-``), as metrics and messages show it
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]
    #: the site's name, as messages show it
    name: str
    #: what kind of site it is
    kind: SiteKind
    #: only for telecom stations
    level: StationLevel | None = None
    #: province
    province: str
    #: district
    district: str = ""
    #: commune or ward
    commune: str = ""
    #: street address
    address: str = ""
    #: latitude (with ``longitude``), for the map
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    #: longitude (with ``latitude``)
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    #: how much it matters (routes may match on it)
    criticality: Criticality = Criticality.NORMAL
    #: why (e.g. serves a hospital), shown in messages
    criticality_reasons: tuple[str, ...] = ()
    #: restricted / quarantine area: what responders must know to get in
    restricted_area: str | None = None
    #: about how many people it serves (subscribers), for the utility's order of restoration
    subscribers: Annotated[int, Field(ge=0)] | None = None
    #: what depends on it (e.g. provincial hospital, government video-conference), told to the utility
    serves: tuple[str, ...] = ()
    #: the site it depends on (an id): its outage explains this one's, which is then not paged
    parent: str | None = None
    #: SNMP agents to poll at this site
    snmp: tuple[SnmpTarget, ...] = ()
    #: interface names (ifName/ifDescr) that carry the site's uplink; empty = all admin-up ones
    uplinks: tuple[str, ...] = ()
    #: mains supply
    power: PowerSupply | None = None
    #: water supply
    water: WaterSupply | None = None
    #: battery and generator
    backup: BackupSpec = BackupSpec()
    #: the team responsible (a team id)
    team: str | None = None
    #: this site's own thresholds, on top of the defaults for its kind
    thresholds: ThresholdOverrides | None = None
    #: the site has power equipment whose state must be watched (mains, battery); default: as
    #: ``site_kinds`` says for its kind (every kind but post_office)
    power_equipment: bool | None = None

    @model_validator(mode="after")
    def _level(self) -> Site:
        if self.level is not None and self.kind is not SiteKind.TELECOM_STATION:
            raise ValueError("level is only for kind telecom_station")
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together")
        if self.parent == self.id:
            raise ValueError("a site cannot be its own parent")
        return self


#: kinds whose sites have power equipment to watch unless ``site_kinds`` says otherwise
POWER_KINDS = frozenset({SiteKind.BTS, SiteKind.TELECOM_STATION, SiteKind.FIXED_STATION, SiteKind.NOC_BUILDING})


class SiteKindSpec(Strict):
    #: sites of this kind have power equipment (mains, batteries) that must be watched: a site
    #: whose profiles read none is a check-config warning and ``sitewatch_site_power_visibility`` 0
    power_equipment: bool


class Config(Strict):
    #: the daemon: listener, polling, state directory, time zone
    daemon: DaemonConfig = DaemonConfig()
    #: SNMP credentials by name, referenced by sites' ``snmp`` targets
    credentials: dict[str, Credential] = {}
    #: more directories of device profiles (the shipped ones are always loaded)
    profile_dirs: tuple[str, ...] = ()
    #: power and water utilities by id, referenced by sites
    utilities: dict[str, Utility] = {}
    #: the operator as sender and the rules of requests to the utilities for priority restoration
    utility_requests: UtilityRequestsConfig = UtilityRequestsConfig()
    #: operations teams by id, referenced by sites, people, rosters and routes
    teams: dict[str, Team] = {}
    #: the monitored sites
    sites: tuple[Site, ...] = ()
    #: when readings become incidents: levels, hold times, flapping
    thresholds: ThresholdsConfig = ThresholdsConfig()
    #: maintenance windows: incidents inside are recorded, not paged
    maintenance: tuple[MaintenanceSpec, ...] = ()
    #: where incidents are kept
    incidents: IncidentsConfig = IncidentsConfig()
    #: the SNMP trap and inform receiver
    traps: TrapsConfig = TrapsConfig()
    #: the HTTP listener's tokens and limits
    api: ApiConfig = ApiConfig()
    #: notification channels by name (SMS gateway, email, Telegram, Slack, webhook, Alertmanager)
    channels: dict[str, ChannelConfig] = {}
    #: people who may be paged, by id
    people: dict[str, Person] = {}
    #: on-call rosters by id: who is on duty when
    rosters: dict[str, RosterSpec] = {}
    #: escalation policies by id: whom to page, in which order, how long to wait
    policies: dict[str, Policy] = {}
    #: which policy pages an incident, and how incidents are grouped
    routes: tuple[Route, ...] = ()
    #: ack links, re-notification, retries, heartbeat
    notifications: NotificationsConfig = NotificationsConfig()
    #: settings per kind of site (bts, telecom_station, fixed_station, noc_building, post_office)
    site_kinds: dict[SiteKind, SiteKindSpec] = {}

    def power_watched(self, site: Site) -> bool:
        """Whether the site's power must be visible: its own ``power_equipment``, else its kind's."""
        if site.power_equipment is not None:
            return site.power_equipment
        spec = self.site_kinds.get(site.kind)
        return spec.power_equipment if spec is not None else site.kind in POWER_KINDS

    def thresholds_for(self, site: Site) -> Thresholds:
        """Effective thresholds: built-in defaults < built-in defaults for the site's kind <
        ``thresholds.default`` < ``thresholds.by_kind`` < the site's own."""
        t = self.thresholds.default.apply(KIND_DEFAULTS[site.kind.value].apply(Thresholds()))
        kind = self.thresholds.by_kind.get(site.kind.value)
        if kind is not None:
            t = kind.apply(t)
        return site.thresholds.apply(t) if site.thresholds is not None else t

    def site(self, site_id: str) -> Site:
        for s in self.sites:
            if s.id == site_id:
                return s
        raise KeyError(site_id)
