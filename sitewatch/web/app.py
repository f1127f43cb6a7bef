"""The daemon's HTTP listener: ``/metrics``, ``/healthz``, ``/readyz`` and the read-only site API.

Everything here reads the snapshot; nothing writes it. Who may reach what is ``sitewatch.web.access``'s;
request bodies are limited to ``MAX_BODY_BYTES``; every error is JSON ``{"error": ...}``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.schemas import SchemaGenerator

from sitewatch import __version__
from sitewatch.config.schema import Config, Site
from sitewatch.core.model import Reading
from sitewatch.incidents.service import IncidentService
from sitewatch.messages.timefmt import time_fields
from sitewatch.metrics.exposition import CONTENT_TYPE, Exposition
from sitewatch.polling.fleet_snapshot import FleetState, SiteStatus
from sitewatch.web.access import AccessControl
from sitewatch.web.history import History
from sitewatch.web.incidents import incident_json, incident_routes
from sitewatch.web.lists import list_response
from sitewatch.web.maintenance import maintenance_routes
from sitewatch.web.server import RequestLimits

__all__ = ["MAX_BODY_BYTES", "build_app"]

#: the largest request body accepted (413 beyond): room for a comment or a maintenance window
#: of MAX_TEXT characters, all escaped, many times over
MAX_BODY_BYTES = 256 * 1024


def _reading_json(r: Reading) -> dict[str, Any]:
    d: dict[str, Any] = {"name": r.name, "value": r.value}
    if r.labels:
        d["labels"] = dict(r.labels)
    if r.info:
        d["info"] = dict(r.info)
    if r.source:
        d["source"] = r.source
    return d


def _site_json(site: Site, status: SiteStatus | None, now: float, staleness: float, detail: bool,
               tz: str) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": site.id, "name": site.name, "kind": site.kind.value, "province": site.province,
        "district": site.district, "criticality": site.criticality.value, "parent": site.parent,
        "latitude": site.latitude, "longitude": site.longitude, "team": site.team,
    }
    if status is not None:
        last = status.last_result
        d["up"] = status.up
        d.update(time_fields("last_poll_at", None if last is None else last.started_at, tz))
        d["last_error"] = None if last is None or last.error is None else last.error.value
        d["last_error_detail"] = None if last is None else (last.error_detail or None)
        d.update(time_fields("last_success_at", status.readings_at, tz))
        d["consecutive_failures"] = status.consecutive_failures
        d["readings_fresh"] = status.fresh(now, staleness)
    if detail:
        d.update({
            "commune": site.commune, "address": site.address, "level": site.level.value if site.level else None,
            "criticality_reasons": list(site.criticality_reasons), "restricted_area": site.restricted_area,
            "uplinks": list(site.uplinks),
            "profiles": list(status.last_result.profiles) if status and status.last_result else [],
            "readings": [_reading_json(r) for r in status.readings] if status else [],
        })
    return d


_SCHEMA = SchemaGenerator({
    "openapi": "3.0.0",
    "info": {"title": "sitewatch", "version": __version__,
             "description": "Telecom site continuity monitoring: sites, readings, incidents, maintenance."},
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    "security": [{"bearer": []}],  # every /api/v1 route; see web.access for the public ones
})


async def _json_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def build_app(*, state: FleetState, sites: Callable[[], dict[str, Site]], exposition: Exposition,
              staleness: Callable[[], float], now: Callable[[], float],
              ready: Callable[[], tuple[bool, Sequence[str]]],
              config: Callable[[], Config], incidents: IncidentService | None = None, history: History | None = None,
              extra_routes: Sequence[BaseRoute] = ()) -> Starlette:
    """The Starlette application. ``sites`` returns the current configuration's sites by id;
    ``config`` the current configuration (tokens, scopes, allowed hosts, request timeout);
    ``ready`` whether to take traffic, with one line per check for the ``/readyz`` body; ``history``
    an incident's paging history."""

    async def metrics(_: Request) -> Response:
        """
        summary: Prometheus metrics (text format 0.0.4)
        responses: {200: {description: the exposition}}
        """
        return Response(exposition.render(), media_type=CONTENT_TYPE)

    async def healthz(_: Request) -> Response:
        """
        summary: Liveness
        responses: {200: {description: the process is serving}}
        """
        return PlainTextResponse("ok\n")

    async def readyz(_: Request) -> Response:
        """
        summary: Readiness (every site polled once, or one interval passed; every vital task running)
        responses: {200: {description: "ready, one [+] line per check"}, 503: {description: "a [-] check fails"}}
        """
        ok, checks = ready()
        body = "".join(f"{line}\n" for line in checks)
        return PlainTextResponse(("ready\n" if ok else "not ready\n") + body, status_code=200 if ok else 503)

    async def list_sites(request: Request) -> Response:
        """
        summary: Sites with their latest poll status
        parameters:
          - {name: province, in: query, schema: {type: string}}
          - {name: district, in: query, schema: {type: string}}
          - {name: kind, in: query, schema: {type: string}}
        responses: {200: {description: "{sites: [...], total, shown, version} and X-Total-Count"}}
        """
        q = request.query_params
        t, st = now(), staleness()
        snap = state.snapshot()
        out = [
            _site_json(s, snap.get(s.id), t, st, detail=False, tz=config().daemon.timezone)
            for s in sites().values()
            if all(not q.get(k) or q.get(k) == v for k, v in
                   (("province", s.province), ("district", s.district), ("kind", s.kind.value)))
        ]
        return list_response("sites", out, version=__version__)

    async def get_site(request: Request) -> Response:
        """
        summary: One site - latest readings (with their raw SNMP source) and open incidents
        responses: {200: {description: the site}, 404: {description: no such site}}
        """
        site = sites().get(request.path_params["site_id"])
        if site is None:
            return JSONResponse({"error": "no such site"}, status_code=404)
        tz = config().daemon.timezone
        d = _site_json(site, state.get(site.id), now(), staleness(), detail=True, tz=tz)
        if incidents is not None:
            d["incidents"] = [incident_json(i, site, tz) for i in incidents.open_incidents([site.id])]
        return JSONResponse(d)

    routes: list[BaseRoute] = [
        Route("/metrics", metrics),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/api/v1/sites", list_sites),
        Route("/api/v1/sites/{site_id}", get_site),
    ]
    if incidents is not None:
        routes += incident_routes(service=incidents, timezone=lambda: config().daemon.timezone, history=history)
        routes += maintenance_routes(service=incidents, timezone=lambda: config().daemon.timezone)
    routes += extra_routes

    async def openapi(request: Request) -> Response:
        return JSONResponse(_SCHEMA.get_schema(routes=request.app.routes))

    routes.append(Route("/api/v1/openapi.json", openapi, include_in_schema=False))
    return Starlette(routes=routes, exception_handlers={HTTPException: _json_error},
                     middleware=[Middleware(AccessControl, config=config),
                                 Middleware(RequestLimits, max_body=MAX_BODY_BYTES,
                                            timeout=lambda: config().api.request_timeout)])
