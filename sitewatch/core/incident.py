"""Incidents: what the NOC and the on-call act on. Plain immutable data.

An incident is opened, updated and resolved by ``Transition``s (``sitewatch.core.conditions``);
its timeline records what happened to it and who did it.

An incident is identified by its dedup key (site, condition, subject); ``subject`` is the
interface for ``link_down`` and empty otherwise. Only one incident per key is open at a time.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sitewatch.core.conditions import Condition, RuntimeEstimate, Severity, Summary

__all__ = ["EventKind", "Incident", "IncidentState", "TimelineEvent"]


class IncidentState(enum.Enum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


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
    summary: Summary = Summary()
    runtime: RuntimeEstimate | None = None

    @property
    def key(self) -> tuple[str, Condition, str]:
        return (self.site_id, self.condition, self.subject)

    @property
    def pages(self) -> bool:
        """Whether this incident should page anyone now."""
        return self.state is IncidentState.OPEN and self.suppressed_by is None and self.maintenance_id is None
