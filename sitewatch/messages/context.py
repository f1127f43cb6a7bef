"""What a message is about: the input of ``render``.

The escalation engine knows the incidents, the group, who else it paged and the recipient's
ack link; it puts them in a ``MessageContext`` and ``render`` turns that into words. Nothing
here reads a clock or a database: ``now`` and the time zone come in with the context.

Several incidents at one site (a mains loss gives ``mains_lost`` and ``on_battery``) are one
``SiteEntry``: people count sites, not incidents. Entries are ordered most urgent first:
criticality (sites serving hospitals first), then predicted battery depletion (soonest first;
sites without an estimate after those with one), then severity, then how long it has lasted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sitewatch.config.schema import Criticality, Site, Utility
from sitewatch.core.conditions import Severity
from sitewatch.core.incident import Incident, IncidentState

__all__ = ["ChannelOutage", "MessageContext", "SiteEntry", "SiteIncident", "by_urgency", "site_entries"]

_CRITICALITY_RANK = {Criticality.CRITICAL: 0, Criticality.HIGH: 1, Criticality.NORMAL: 2}


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteIncident:
    """One incident with the site it is at."""

    incident: Incident
    site: Site


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelOutage:
    """A channel that could not deliver, as a message tells it: ``instead`` set, this message
    goes by that channel because ``channel`` has been down since ``since`` (a fallback);
    unset, this message comes late because ``channel`` was down (a late notice).
    Channels are named by type (``sms_gateway``, ``email``, ``telegram``, ...)."""

    channel: str
    since: float | None = None
    instead: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageContext:
    """Everything ``render`` needs; build one per recipient (the ack link is theirs).

    - ``incidents``: one incident, or every incident of a group (any order: ``render`` sorts).
      Empty only for ``SHIFT`` and ``TEST``.
    - ``group``: where the group is, in place names ("Chư Sê, Gia Lai"); None = derived from
      the sites (their common district and province). ``group_key``: the engine's key, for machines.
    - ``new_incident_ids``: for ``UPDATE``, the incidents that joined since the last message.
    - ``escalation_level``: 1 for the first level. ``also_paged``: names of the others paged.
    - ``ack_url``: this recipient's signed acknowledge link (``AckSigner.link``).
    - ``acknowledged_by``: for ``ACKNOWLEDGED``, who took it (default: the incidents' acknowledger).
    - ``roster``, ``shift_start``, ``shift_end``: for ``SHIFT``.
    - ``utilities``: utility id → ``Utility`` (``Config.utilities``): names the power company.
    - ``timezone``: for the local times people read.
    - ``outage``: a channel that failed, said in one line (a fallback's or a late notice's why).
    """

    now: float
    incidents: tuple[SiteIncident, ...] = ()
    group: str | None = None
    group_key: str | None = None
    new_incident_ids: frozenset[int] = frozenset()
    escalation_level: int | None = None
    also_paged: tuple[str, ...] = ()
    ack_url: str | None = None
    acknowledged_by: str | None = None
    roster: str | None = None
    shift_start: float | None = None
    shift_end: float | None = None
    utilities: Mapping[str, Utility] = field(default_factory=dict)
    timezone: str = "Asia/Ho_Chi_Minh"
    outage: ChannelOutage | None = None

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {self.timezone!r}") from e


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteEntry:
    """A site and its incidents in this message (most severe first)."""

    site: Site
    incidents: tuple[Incident, ...]

    @property
    def since(self) -> float:
        return min(i.opened_at for i in self.incidents)

    @property
    def severity(self) -> Severity:
        return max(Severity(i.severity) for i in self.incidents)

    @property
    def unresolved(self) -> tuple[Incident, ...]:
        return tuple(i for i in self.incidents if i.state is not IncidentState.RESOLVED)

    @property
    def depletion_at(self) -> float | None:
        """The soonest predicted battery depletion among the unresolved incidents."""
        times = [i.runtime.depletion_at for i in self.unresolved if i.runtime is not None]
        return min(times) if times else None

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(i.id for i in self.incidents)


def _urgency(entry: SiteEntry) -> tuple[int, float, int, float, str]:
    depletion = entry.depletion_at
    return (_CRITICALITY_RANK[entry.site.criticality], depletion if depletion is not None else float("inf"),
            -entry.severity, entry.since, entry.site.id)


def by_urgency(entries: Iterable[SiteEntry]) -> list[SiteEntry]:
    """Most urgent first: criticality, then predicted depletion, then severity, then age."""
    return sorted(entries, key=_urgency)


def site_entries(incidents: Iterable[SiteIncident]) -> list[SiteEntry]:
    """Incidents gathered per site, most urgent site first."""
    sites: dict[str, Site] = {}
    per_site: dict[str, list[Incident]] = {}
    for si in incidents:
        sites.setdefault(si.site.id, si.site)
        per_site.setdefault(si.site.id, []).append(si.incident)
    return by_urgency(
        SiteEntry(site=sites[sid], incidents=tuple(sorted(found, key=lambda i: (-i.severity, i.opened_at, i.id))))
        for sid, found in per_site.items())
