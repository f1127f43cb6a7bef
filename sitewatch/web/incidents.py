"""HTTP API for incidents and maintenance windows.

Reads need a token with the ``read`` scope, writes (ack, resolve, comment, maintenance) one
with the ``write`` scope (``api_access`` checks them). The actor recorded on the timeline is
the token, ``api:<token name>``: a name given in the body is the caller's claim, so it goes
into the comment (``as <name>: ...``), never into "acknowledged by".

Bad input is a 4xx with a JSON ``{"error": ...}``: an id beyond SQLite's integers is 404, a
body that is not a JSON object (or nested past ``json``'s recursion limit) 400, a field of the
wrong type or longer than its limit (``MAX_TEXT``) 400.

Every endpoint is described in the OpenAPI schema served at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sitewatch.config.schema import Site
from sitewatch.core.conditions import Condition, Severity
from sitewatch.incidents.errors import IncidentError, IncidentNotFound, MaintenanceNotFound
from sitewatch.incidents.incident import Incident, IncidentState, TimelineEvent
from sitewatch.incidents.maintenance import MaintenanceWindow
from sitewatch.incidents.service import IncidentService
from sitewatch.messages.readings import summary_text
from sitewatch.messages.timefmt import time_fields
from sitewatch.messages.vocabulary import EN
from sitewatch.web.history import History, history_json, notifications_route
from sitewatch.web.lists import list_response

__all__ = ["MAX_LIST", "MAX_NAME", "MAX_TEXT", "incident_json", "incident_routes"]

#: the longest comment or maintenance reason accepted, in characters
MAX_TEXT = 4000
#: the longest actor or author name accepted, in characters
MAX_NAME = 200
_MAX_ID = 2**63 - 1  # SQLite's INTEGER
#: the most incidents one list request may ask for (`limit`)
MAX_LIST = 10_000

Handler = Callable[[Request], Awaitable[Response]]


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


def _window_json(w: MaintenanceWindow, tz: str) -> dict[str, Any]:
    return {"id": w.id, "scope": w.scope.value, "target": w.target, **time_fields("start", w.starts_at, tz),
            **time_fields("end", w.ends_at, tz), "reason": w.reason, "author": w.author, "source": w.source.value,
            **time_fields("deleted_at", w.deleted_at, tz), "deleted_by": w.deleted_by}


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


def _text(data: Mapping[str, Any], key: str, *, limit: int, required: bool = False) -> str | None:
    """A string field, stripped; None when absent or blank (unless required)."""
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError(f"{key}: {'a non-empty string is required' if required else 'expected a string'}")
    if len(value) > limit:
        raise ValueError(f"{key}: at most {limit} characters (got {len(value)})")
    return value.strip() or None


def _id(request: Request, key: str) -> int:
    value: int = request.path_params[key]
    if value > _MAX_ID:
        raise (IncidentNotFound(value) if key == "incident_id" else MaintenanceNotFound(value))
    return value


def incident_routes(*, service: IncidentService, timezone: Callable[[], str],
                    history: History | None = None) -> list[Route]:
    """Routes under ``/api/v1``; ``api_access`` has checked the token and left its name.
    ``timezone()`` is the zone times are given in (``daemon.timezone``); ``history`` an
    incident's paging history (``EscalationEngine.incident_history``), if paging runs."""

    def when() -> Callable[[str, float | None], dict[str, Any]]:
        tz = timezone()
        return lambda name, t: time_fields(name, t, tz)

    def write(handler: Callable[[Request, str], Awaitable[Response]]) -> Handler:
        async def guarded(request: Request) -> Response:
            name: str | None = getattr(request.state, "token", None)
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
        except (ValueError, RecursionError):  # RecursionError: nested deeper than json can parse
            raise ValueError("the body must be JSON") from None
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data

    def claimed(data: Mapping[str, Any], text: str | None) -> str | None:
        """The comment, with the name the caller gave (unverified: a token is not a person)."""
        who = _text(data, "actor", limit=MAX_NAME)
        if who is None:
            return text
        return f"as {who}: {text}" if text else f"as {who}"

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
                since = _time(float(since_raw) if since_raw.replace(".", "", 1).isdigit() else since_raw, "since")
            limit = int(q["limit"]) if q.get("limit", "").isdigit() else 500 if not q.get("limit") else 0
            if not 1 <= limit <= MAX_LIST:
                raise ValueError(f"limit: a whole number from 1 to {MAX_LIST}")
        except ValueError as e:
            return _error(400, str(e))
        filters: dict[str, Any] = {"states": states, "site_ids": sites_matching(q), "conditions": conditions,
                                   "since": since}
        found = service.store.query_incidents(**filters, limit=limit)
        tz = timezone()
        return list_response("incidents", [incident_json(i, service.site(i.site_id), tz) for i in found],
                             service.store.count_incidents(**filters))

    async def get_incident(request: Request) -> Response:
        """
        summary: One incident with its timeline and paging history (escalations, notifications, escalation_events)
        responses:
          200: {description: the incident, its timeline and who was paged how}
          404: {description: no such incident}
        """
        try:
            inc, events = service.store.incident_with_timeline(_id(request, "incident_id"))
        except IncidentNotFound as e:
            return _error(404, str(e))
        d = incident_json(inc, service.site(inc.site_id), timezone())
        d["timeline"] = [_event_json(e, timezone()) for e in events]
        if history is not None:
            d.update(history_json(history(inc.id), when()))
        return JSONResponse(d)

    async def ack(request: Request, token: str) -> Response:
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
        data = await body(request)
        change = service.acknowledge(_id(request, "incident_id"), f"api:{token}",
                                     claimed(data, _text(data, "comment", limit=MAX_TEXT)))
        return JSONResponse(incident_json(change.incident, service.site(change.incident.site_id), timezone()))

    async def resolve(request: Request, token: str) -> Response:
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
        data = await body(request)
        force = data.get("force", False)
        if not isinstance(force, bool):
            raise ValueError("force: expected true or false")
        changes = service.resolve(_id(request, "incident_id"), f"api:{token}",
                                  claimed(data, _text(data, "comment", limit=MAX_TEXT)), force=force)
        inc = changes[0].incident
        return JSONResponse(incident_json(inc, service.site(inc.site_id), timezone()))

    async def comment(request: Request, token: str) -> Response:
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
        data = await body(request)
        text = claimed(data, _text(data, "text", limit=MAX_TEXT, required=True))
        assert text is not None
        event = service.comment(_id(request, "incident_id"), f"api:{token}", text)
        return JSONResponse(_event_json(event, timezone()), status_code=201)

    async def list_maintenance(request: Request) -> Response:
        """
        summary: Maintenance windows (current and future; ?all=1 for every one, deleted included)
        responses:
          200: {description: "{windows: [...], total, shown} and X-Total-Count"}
        """
        every = request.query_params.get("all") in ("1", "true")
        now = service.clock.time()
        windows = service.store.windows(include_deleted=every, ending_after=None if every else now)
        return list_response("windows", [_window_json(w, timezone()) for w in windows])

    async def create_maintenance(request: Request, token: str) -> Response:
        """
        summary: Create a maintenance window for a site, district or province
        security: [{bearer: []}]
        requestBody: {content: {application/json: {schema: {type: object, required: [start, end, reason, author],
          properties: {site: {type: string}, district: {type: string}, province: {type: string},
          start: {type: string}, end: {type: string}, reason: {type: string, maxLength: 4000},
          author: {type: string, maxLength: 200}}}}}}
        responses:
          201: {description: the window}
          400: {description: invalid window}
          401: {description: no valid token}
        """
        data = await body(request)
        scopes = [k for k in ("site", "district", "province") if data.get(k)]
        if len(scopes) != 1:
            raise ValueError("give exactly one of site, district or province")
        target = _text(data, scopes[0], limit=MAX_NAME)
        reason = _text(data, "reason", limit=MAX_TEXT, required=True)
        author = _text(data, "author", limit=MAX_NAME, required=True)
        assert target is not None and reason is not None
        window = service.create_maintenance(
            scope=scopes[0], target=target, starts_at=_time(data.get("start"), "start"),
            ends_at=_time(data.get("end"), "end"), reason=reason, author=f"{author} (api:{token})")
        return JSONResponse(_window_json(window, timezone()), status_code=201)

    async def delete_maintenance(request: Request, token: str) -> Response:
        """
        summary: Delete (end) a maintenance window; its incidents start paging
        security: [{bearer: []}]
        responses:
          204: {description: deleted}
          401: {description: no valid token}
          404: {description: no such window}
        """
        service.delete_maintenance(_id(request, "window_id"), f"api:{token}")
        return Response(status_code=204)

    return [
        *([notifications_route(history, when)] if history is not None else []),
        Route("/api/v1/incidents", list_incidents),
        Route("/api/v1/incidents/{incident_id:int}", get_incident),
        Route("/api/v1/incidents/{incident_id:int}/ack", write(ack), methods=["POST"]),
        Route("/api/v1/incidents/{incident_id:int}/resolve", write(resolve), methods=["POST"]),
        Route("/api/v1/incidents/{incident_id:int}/comment", write(comment), methods=["POST"]),
        Route("/api/v1/maintenance", list_maintenance, methods=["GET"]),
        Route("/api/v1/maintenance", write(create_maintenance), methods=["POST"]),
        Route("/api/v1/maintenance/{window_id:int}", write(delete_maintenance), methods=["DELETE"]),
    ]
