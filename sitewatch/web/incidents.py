"""HTTP API for incidents: list, read (with timeline and paging history), acknowledge,
resolve, comment.

Reads need a token with the ``read`` scope, writes one with the ``write`` scope
(``sitewatch.web.access`` checks them; ``sitewatch.web.requests`` reads the requests and answers
bad input). Every endpoint is described in the OpenAPI schema served at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sitewatch.config.schema import Site
from sitewatch.core.conditions import Condition, Severity
from sitewatch.core.incident import Incident, IncidentState, TimelineEvent
from sitewatch.incidents.errors import IncidentNotFound
from sitewatch.incidents.service import IncidentService
from sitewatch.messages.readings import summary_text
from sitewatch.messages.timefmt import time_fields
from sitewatch.messages.vocabulary import EN
from sitewatch.web.history import History, history_json, notifications_route
from sitewatch.web.lists import list_response
from sitewatch.web.requests import MAX_TEXT, claimed, error, json_body, path_id, text_field, time_field, write

__all__ = ["MAX_LIST", "IncidentRoutes", "incident_json", "incident_routes"]

#: the most incidents one list request may ask for (`limit`)
MAX_LIST = 10_000


def incident_json(i: Incident, site: Site | None, tz: str) -> dict[str, Any]:
    """An incident for the API; times in ``tz`` (``daemon.timezone``) with ``*_unix`` beside them."""
    d: dict[str, Any] = {
        "id": i.id, "site": i.site_id, "site_name": site.name if site else None,
        "province": site.province if site else None, "district": site.district if site else None,
        "condition": i.condition.value, "subject": i.subject, "severity": Severity(i.severity).label,
        "state": i.state.value, "summary": summary_text(i.summary, EN), "flapping": i.flapping,
        "suppressed_by": i.suppressed_by, "maintenance_id": i.maintenance_id, "paging": i.pages,
        **time_fields("opened_at", i.opened_at, tz), **time_fields("updated_at", i.updated_at, tz),
        **time_fields("acknowledged_at", i.acknowledged_at, tz), "acknowledged_by": i.acknowledged_by,
        **time_fields("resolved_at", i.resolved_at, tz), "resolved_by": i.resolved_by,
    }
    if i.runtime is not None:
        d["battery_runtime"] = {"seconds": round(i.runtime.seconds), "method": i.runtime.method,
                                **time_fields("predicted_depletion_at", i.runtime.depletion_at, tz)}
    return d


def _event_json(e: TimelineEvent, tz: str) -> dict[str, Any]:
    return {**time_fields("at", e.at, tz), "kind": e.kind.value, "actor": e.actor, "text": e.text}


class IncidentRoutes:
    """The incident routes under ``/api/v1``, each a method calling ``IncidentService``.
    ``timezone()`` is the zone times are given in (``daemon.timezone``); ``history`` an
    incident's paging history (``EscalationEngine.incident_history``), if paging runs."""

    def __init__(self, *, service: IncidentService, timezone: Callable[[], str], history: History | None = None):
        self.service = service
        self.timezone = timezone
        self.history = history

    def routes(self) -> list[Route]:
        return [
            *([notifications_route(self.history, self.when)] if self.history is not None else []),
            Route("/api/v1/incidents", self.list_incidents),
            Route("/api/v1/incidents/{incident_id:int}", self.get_incident),
            Route("/api/v1/incidents/{incident_id:int}/ack", write(self.ack), methods=["POST"]),
            Route("/api/v1/incidents/{incident_id:int}/resolve", write(self.resolve), methods=["POST"]),
            Route("/api/v1/incidents/{incident_id:int}/comment", write(self.comment), methods=["POST"]),
        ]

    def when(self) -> Callable[[str, float | None], dict[str, Any]]:
        tz = self.timezone()
        return lambda name, t: time_fields(name, t, tz)

    def sites_matching(self, q: Mapping[str, str]) -> list[str] | None:
        prov, dist, site = q.get("province"), q.get("district"), q.get("site")
        if not (prov or dist or site):
            return None
        return [s.id for s in self.service.sites() if (not prov or s.province == prov)
                and (not dist or s.district == dist) and (not site or s.id == site)]

    async def list_incidents(self, request: Request) -> Response:
        """
        summary: Incidents, newest first
        parameters:
          - {name: state, in: query, schema: {type: string, enum: [open, acknowledged, resolved, active]}}
          - {name: site, in: query, schema: {type: string}}
          - {name: province, in: query, schema: {type: string}}
          - {name: district, in: query, schema: {type: string}}
          - {name: condition, in: query, schema: {type: string}}
          - {name: since, in: query, description: ISO 8601 time or unix seconds, schema: {type: string}}
          - {name: limit, in: query, schema: {type: integer}}
        responses:
          200: {description: "{incidents: [...], total, shown} and X-Total-Count (shown < total: limit cut it)"}
          400: {description: a filter is invalid}
        """
        q = request.query_params
        try:
            states = None
            if q.get("state") == "active":
                states = [IncidentState.OPEN, IncidentState.ACKNOWLEDGED]
            elif q.get("state"):
                states = [IncidentState(q["state"])]
            conditions = [Condition(c) for c in q["condition"].split(",")] if q.get("condition") else None
            since_raw = q.get("since")
            since = None
            if since_raw:
                since = time_field(float(since_raw) if since_raw.replace(".", "", 1).isdigit() else since_raw, "since")
            limit = int(q["limit"]) if q.get("limit", "").isdigit() else 500 if not q.get("limit") else 0
            if not 1 <= limit <= MAX_LIST:
                raise ValueError(f"limit: a whole number from 1 to {MAX_LIST}")
        except ValueError as e:
            return error(400, str(e))
        filters: dict[str, Any] = {"states": states, "site_ids": self.sites_matching(q), "conditions": conditions,
                                   "since": since}
        found, total = self.service.find_incidents(**filters, limit=limit)
        tz = self.timezone()
        return list_response("incidents", [incident_json(i, self.service.site(i.site_id), tz) for i in found], total)

    async def get_incident(self, request: Request) -> Response:
        """
        summary: One incident with its timeline and paging history (escalations, notifications, escalation_events)
        responses:
          200: {description: the incident, its timeline and who was paged how}
          404: {description: no such incident}
        """
        try:
            inc, events = self.service.incident_with_timeline(path_id(request, "incident_id"))
        except IncidentNotFound as e:
            return error(404, str(e))
        d = incident_json(inc, self.service.site(inc.site_id), self.timezone())
        d["timeline"] = [_event_json(e, self.timezone()) for e in events]
        if self.history is not None:
            d.update(history_json(self.history(inc.id), self.when()))
        return JSONResponse(d)

    async def ack(self, request: Request, token: str) -> Response:
        """
        summary: Acknowledge an incident (stops escalation)
        security: [{bearer: []}]
        requestBody: {content: {application/json: {schema: {type: object, properties:
          {actor: {type: string, maxLength: 200}, comment: {type: string, maxLength: 4000}}}}}}
        responses:
          200: {description: the incident}
          401: {description: no valid token}
          404: {description: no such incident}
          409: {description: already acknowledged or resolved}
        """
        data = await json_body(request)
        change = self.service.acknowledge(path_id(request, "incident_id"), f"api:{token}",
                                     claimed(data, text_field(data, "comment", limit=MAX_TEXT)))
        return JSONResponse(incident_json(change.incident, self.service.site(change.incident.site_id), self.timezone()))

    async def resolve(self, request: Request, token: str) -> Response:
        """
        summary: Resolve an incident by hand
        description: Refused (409) while the last poll still finds the condition, unless force is
          true; a forced resolve opens a new incident at the next poll that still finds it.
        security: [{bearer: []}]
        requestBody: {content: {application/json: {schema: {type: object, properties:
          {actor: {type: string, maxLength: 200}, comment: {type: string, maxLength: 4000},
           force: {type: boolean}}}}}}
        responses:
          200: {description: the incident}
          400: {description: force is not true or false}
          401: {description: no valid token}
          404: {description: no such incident}
          409: {description: already resolved, or still active (without force)}
        """
        data = await json_body(request)
        force = data.get("force", False)
        if not isinstance(force, bool):
            raise ValueError("force: expected true or false")
        changes = self.service.resolve(path_id(request, "incident_id"), f"api:{token}",
                                  claimed(data, text_field(data, "comment", limit=MAX_TEXT)), force=force)
        inc = changes[0].incident
        return JSONResponse(incident_json(inc, self.service.site(inc.site_id), self.timezone()))

    async def comment(self, request: Request, token: str) -> Response:
        """
        summary: Add a comment to an incident's timeline
        security: [{bearer: []}]
        requestBody: {content: {application/json: {schema: {type: object, required: [text], properties:
          {actor: {type: string, maxLength: 200}, text: {type: string, maxLength: 4000}}}}}}
        responses:
          201: {description: the timeline entry}
          400: {description: no text}
          401: {description: no valid token}
          404: {description: no such incident}
        """
        data = await json_body(request)
        text = claimed(data, text_field(data, "text", limit=MAX_TEXT, required=True))
        assert text is not None
        event = self.service.comment(path_id(request, "incident_id"), f"api:{token}", text)
        return JSONResponse(_event_json(event, self.timezone()), status_code=201)


def incident_routes(*, service: IncidentService, timezone: Callable[[], str],
                    history: History | None = None) -> list[Route]:
    """The incident routes (``IncidentRoutes``) as a list for ``build_app``."""
    return IncidentRoutes(service=service, timezone=timezone, history=history).routes()
