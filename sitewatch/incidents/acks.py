"""What an ack link does, on the one command path into the incident store.

``IncidentAcks`` gives the ack page its two callables over a real ``IncidentService``:
``describe(grant)`` (what the link would acknowledge: read only) and ``acknowledge(grant,
actor)`` (``IncidentService.acknowledge`` for each incident, so listeners such as the
escalation engine hear of it at once). A grant with a group key covers every incident the
engine's ``group_incidents(key)`` names at the moment of use, plus the ids in the token.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sitewatch.config.schema import Site
from sitewatch.core.incident import Incident, IncidentState
from sitewatch.incidents.errors import IncidentNotFound, InvalidTransition
from sitewatch.incidents.service import IncidentService
from sitewatch.messages.acklinks import AckGrant
from sitewatch.messages.context import SiteIncident

__all__ = ["AckOutcome", "AckResult", "IncidentAcks"]


class AckResult(enum.Enum):
    ACKNOWLEDGED = "acknowledged"  #: acknowledged by this request
    ALREADY_ACKNOWLEDGED = "already_acknowledged"  #: someone had taken it (see ``incident.acknowledged_by``)
    RESOLVED = "resolved"  #: resolved before the link was used
    NOT_FOUND = "not_found"  #: no such incident (a pruned or foreign database)


@dataclass(frozen=True, slots=True, kw_only=True)
class AckOutcome:
    incident_id: int
    result: AckResult
    incident: Incident | None = None  #: as it is now
    site: Site | None = None


class IncidentAcks:
    """``describe`` and ``acknowledge`` for ``ack_routes``, backed by an ``IncidentService``."""

    def __init__(self, service: IncidentService,
                 group_incidents: Callable[[str], Iterable[int]] = lambda key: ()) -> None:
        self._service = service
        self._group_incidents = group_incidents

    def incident_ids(self, grant: AckGrant) -> list[int]:
        """The token's incidents, then the group's current ones, each once."""
        group = list(self._group_incidents(grant.group)) if grant.group else []
        return list(dict.fromkeys([*grant.incident_ids, *group]))

    def describe(self, grant: AckGrant) -> list[SiteIncident]:
        """The incidents the grant covers that still exist, with their sites."""
        found = []
        for incident_id in self.incident_ids(grant):
            try:
                incident = self._service.store.get_incident(incident_id)
            except IncidentNotFound:
                continue
            site = self._service.site(incident.site_id)
            if site is not None:
                found.append(SiteIncident(incident=incident, site=site))
        return found

    def acknowledge(self, grant: AckGrant, actor: str) -> list[AckOutcome]:
        """Acknowledge every incident of the grant; report each one's outcome."""
        outcomes = []
        for incident_id in self.incident_ids(grant):
            try:
                incident = self._service.acknowledge(incident_id, actor).incident
                result = AckResult.ACKNOWLEDGED
            except IncidentNotFound:
                outcomes.append(AckOutcome(incident_id=incident_id, result=AckResult.NOT_FOUND))
                continue
            except InvalidTransition:
                incident = self._service.store.get_incident(incident_id)
                result = (AckResult.RESOLVED if incident.state is IncidentState.RESOLVED
                          else AckResult.ALREADY_ACKNOWLEDGED)
            outcomes.append(AckOutcome(incident_id=incident_id, result=result, incident=incident,
                                       site=self._service.site(incident.site_id)))
        return outcomes
