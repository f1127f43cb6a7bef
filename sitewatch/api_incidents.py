"""HTTP API for incidents and maintenance windows.

Reads are open (like ``/metrics``); writes (ack, resolve, comment, maintenance) need
``Authorization: Bearer <token>`` with a token from ``api.tokens`` (compared in constant time).
The actor recorded on the timeline is ``api:<token name>``, or ``<actor> (api:<token name>)``
when the body names a person.

Every endpoint is described in the OpenAPI schema served at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sitewatch.config.schema import Site
from sitewatch.incidents.errors import IncidentError, IncidentNotFound, MaintenanceNotFound
from sitewatch.incidents.maintenance import MaintenanceWindow
from sitewatch.incidents.model import Condition, Incident, IncidentState, Severity, TimelineEvent
from sitewatch.incidents.service import IncidentService
from sitewatch.messages.readings import summary_text
from sitewatch.messages.vocabulary import EN

__all__ = ["incident_json", "incident_routes"]

Handler = Callable[[Request], Awaitable[Response]]


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds")


def incident_json(i: Incident, site: Site | None) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": i.id, "site": i.site_id, "site_name": site.name if site else None,
        "province": site.province if site else None, "district": site.district if site else None,
        "condition": i.condition.value, "subject": i.subject, "severity": Severity(i.severity).label,
        "state": i.state.value, "summary": summary_text(i.summary, EN), "flapping": i.flapping,
        "suppressed_by": i.suppressed_by, "maintenance_id": i.maintenance_id, "paging": i.pages,
        "opened_at": _iso(i.opened_at), "updated_at": _iso(i.updated_at),
        "acknowledged_at": _iso(i.acknowledged_at), "acknowledged_by": i.acknowledged_by,
        "resolved_at": _iso(i.resolved_at), "resolved_by": i.resolved_by,
    }
    if i.runtime is not None:
        d["battery_runtime"] = {"seconds": round(i.runtime.seconds), "method": i.runtime.method,
                                "predicted_depletion_at": _iso(i.runtime.depletion_at)}
    return d


def _event_json(e: TimelineEvent) -> dict[str, Any]:
    return {"at": _iso(e.at), "kind": e.kind.value, "actor": e.actor, "text": e.text}


def _window_json(w: MaintenanceWindow) -> dict[str, Any]:
    return {"id": w.id, "scope": w.scope.value, "target": w.target, "start": _iso(w.starts_at),
            "end": _iso(w.ends_at), "reason": w.reason, "author": w.author, "source": w.source.value,
            "deleted_at": _iso(w.deleted_at), "deleted_by": w.deleted_by}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _time(value: object, field: str) -> float:
    """An ISO 8601 time with offset, or unix seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if dt.tzinfo is not None:
                return dt.timestamp()
    raise ValueError(f"{field}: expected an ISO 8601 time with an offset (2026-11-22T22:00:00+07:00) or unix seconds")


def incident_routes(*, service: IncidentService, tokens: Callable[[], Mapping[str, str]]) -> list[Route]:
    """Routes under ``/api/v1``. ``tokens()`` returns token name → secret (the current config)."""

    def authorized(request: Request) -> str | None:
        """The token's name, or None."""
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given:
            return None
        found = None
        for name, secret in tokens().items():
            # compare against every token, in constant time each, so timing tells nothing
            if hmac.compare_digest(given.encode(), secret.encode()):
                found = name
        return found

    def write(handler: Callable[[Request, str], Awaitable[Response]]) -> Handler:
        async def guarded(request: Request) -> Response:
            name = authorized(request)
            if name is None:
                return JSONResponse({"error": "a valid bearer token is required"}, status_code=401,
                                    headers={"WWW-Authenticate": 'Bearer realm="sitewatch"'})
            try:
                return await handler(request, name)
            except (IncidentNotFound, MaintenanceNotFound) as e:
                return _error(404, str(e))
            except (IncidentError, ValueError) as e:
                return _error(409 if isinstance(e, IncidentError) else 400, str(e))
        guarded.__doc__ = handler.__doc__  # the OpenAPI schema is read from the docstrings
        return guarded

    async def body(request: Request) -> dict[str, Any]:
        if not (await request.body()).strip():
            return {}
        try:
            data = await request.json()
        except ValueError:
            raise ValueError("the body must be JSON") from None
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data

    def actor(data: Mapping[str, Any], token: str) -> str:
        who = data.get("actor")
        return f"{who} (api:{token})" if isinstance(who, str) and who.strip() else f"api:{token}"

    def sites_matching(q: Mapping[str, str]) -> list[str] | None:
        prov, dist, site = q.get("province"), q.get("district"), q.get("site")
        if not (prov or dist or site):
            return None
        return [s.id for s in service.sites() if (not prov or s.province == prov)
                and (not dist or s.district == dist) and (not site or s.id == site)]

    async def list_incidents(request: Request) -> Response:
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
          200: {description: "{incidents: [...]}"}
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
                since = _time(float(since_raw) if since_raw.replace(".", "", 1).isdigit() else since_raw, "since")
            limit = int(q["limit"]) if q.get("limit") else 500
        except ValueError as e:
            return _error(400, str(e))
        found = service.store.query_incidents(states=states, site_ids=sites_matching(q), conditions=conditions,
                                              since=since, limit=limit)
        return JSONResponse({"incidents": [incident_json(i, service.site(i.site_id)) for i in found]})

    async def get_incident(request: Request) -> Response:
        """
        summary: One incident with its timeline
        responses:
          200: {description: the incident and its timeline}
          404: {description: no such incident}
        """
        try:
            inc, events = service.store.incident_with_timeline(int(request.path_params["incident_id"]))
        except IncidentNotFound as e:
            return _error(404, str(e))
        d = incident_json(inc, service.site(inc.site_id))
        d["timeline"] = [_event_json(e) for e in events]
        return JSONResponse(d)

    async def ack(request: Request, token: str) -> Response:
        """
        summary: Acknowledge an incident (stops escalation)
        security: [{bearer: []}]
        requestBody: {content: {application/json: {schema: {type: object, properties:
          {actor: {type: string}, comment: {type: string}}}}}}
        responses:
          200: {description: the incident}
          401: {description: no valid token}
          404: {description: no such incident}
          409: {description: already acknowledged or resolved}
        """
        data = await body(request)
        change = service.acknowledge(int(request.path_params["incident_id"]), actor(data, token),
                                     data.get("comment") or None)
        return JSONResponse(incident_json(change.incident, service.site(change.incident.site_id)))

    async def resolve(request: Request, token: str) -> Response:
        """
        summary: Resolve an incident by hand
        security: [{bearer: []}]
        requestBody: {content: {application/json: {schema: {type: object, properties:
          {actor: {type: string}, comment: {type: string}}}}}}
        responses:
          200: {description: the incident}
          401: {description: no valid token}
          404: {description: no such incident}
          409: {description: already resolved}
        """
        data = await body(request)
        changes = service.resolve(int(request.path_params["incident_id"]), actor(data, token),
                                  data.get("comment") or None)
        inc = changes[0].incident
        return JSONResponse(incident_json(inc, service.site(inc.site_id)))

    async def comment(request: Request, token: str) -> Response:
        """
        summary: Add a comment to an incident's timeline
        security: [{bearer: []}]
        requestBody: {content: {application/json: {schema: {type: object, required: [text], properties:
          {actor: {type: string}, text: {type: string}}}}}}
        responses:
          201: {description: the timeline entry}
          400: {description: no text}
          401: {description: no valid token}
          404: {description: no such incident}
        """
        data = await body(request)
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ValueError("text: a non-empty comment is required")
        event = service.comment(int(request.path_params["incident_id"]), actor(data, token), text.strip())
        return JSONResponse(_event_json(event), status_code=201)

    async def list_maintenance(request: Request) -> Response:
        """
        summary: Maintenance windows (current and future; ?all=1 for every one, deleted included)
        responses:
          200: {description: "{windows: [...]}"}
        """
        every = request.query_params.get("all") in ("1", "true")
        now = service.clock.time()
        windows = service.store.windows(include_deleted=every, ending_after=None if every else now)
        return JSONResponse({"windows": [_window_json(w) for w in windows]})

    async def create_maintenance(request: Request, token: str) -> Response:
        """
        summary: Create a maintenance window for a site, district or province
        security: [{bearer: []}]
        requestBody: {content: {application/json: {schema: {type: object, required: [start, end, reason, author],
          properties: {site: {type: string}, district: {type: string}, province: {type: string},
          start: {type: string}, end: {type: string}, reason: {type: string}, author: {type: string}}}}}}
        responses:
          201: {description: the window}
          400: {description: invalid window}
          401: {description: no valid token}
        """
        data = await body(request)
        scopes = [k for k in ("site", "district", "province") if data.get(k)]
        if len(scopes) != 1:
            raise ValueError("give exactly one of site, district or province")
        for k in ("reason", "author"):
            if not isinstance(data.get(k), str) or not data[k].strip():
                raise ValueError(f"{k}: required")
        window = service.create_maintenance(
            scope=scopes[0], target=str(data[scopes[0]]), starts_at=_time(data.get("start"), "start"),
            ends_at=_time(data.get("end"), "end"), reason=data["reason"].strip(),
            author=f"{data['author'].strip()} (api:{token})")
        return JSONResponse(_window_json(window), status_code=201)

    async def delete_maintenance(request: Request, token: str) -> Response:
        """
        summary: Delete (end) a maintenance window; its incidents start paging
        security: [{bearer: []}]
        responses:
          204: {description: deleted}
          401: {description: no valid token}
          404: {description: no such window}
        """
        service.delete_maintenance(int(request.path_params["window_id"]), f"api:{token}")
        return Response(status_code=204)

    return [
        Route("/api/v1/incidents", list_incidents),
        Route("/api/v1/incidents/{incident_id:int}", get_incident),
        Route("/api/v1/incidents/{incident_id:int}/ack", write(ack), methods=["POST"]),
        Route("/api/v1/incidents/{incident_id:int}/resolve", write(resolve), methods=["POST"]),
        Route("/api/v1/incidents/{incident_id:int}/comment", write(comment), methods=["POST"]),
        Route("/api/v1/maintenance", list_maintenance, methods=["GET"]),
        Route("/api/v1/maintenance", write(create_maintenance), methods=["POST"]),
        Route("/api/v1/maintenance/{window_id:int}", write(delete_maintenance), methods=["DELETE"]),
    ]
