"""The daemon's one HTTP application: probes (``probes``), sites (``sites``), incidents,
maintenance and paging history, plus the on-call and ack routes the daemon adds, behind one
access check (``sitewatch.web.access``) and one set of request limits (``sitewatch.web.server``).

Every route reads through the services (fleet snapshot, ``IncidentService``, escalation
history), never the store. Request bodies are limited to ``MAX_BODY_BYTES``; every error is JSON ``{"error": ...}``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.schemas import SchemaGenerator

from sitewatch import __version__
from sitewatch.config.schema import Config, Site
from sitewatch.incidents.service import IncidentService
from sitewatch.metrics.exposition import Exposition
from sitewatch.polling.fleet_snapshot import FleetState
from sitewatch.web.access import AccessControl
from sitewatch.web.history import History
from sitewatch.web.incidents import incident_routes
from sitewatch.web.maintenance import maintenance_routes
from sitewatch.web.probes import Probes
from sitewatch.web.server import RequestLimits
from sitewatch.web.sites import SiteRoutes

__all__ = ["MAX_BODY_BYTES", "build_app"]

#: the largest request body accepted (413 beyond): room for a comment or a maintenance window
#: of MAX_TEXT characters, all escaped, many times over
MAX_BODY_BYTES = 256 * 1024


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

    routes: list[BaseRoute] = [
        *Probes(exposition=exposition, ready=ready).routes(),
        *SiteRoutes(state=state, sites=sites, config=config, staleness=staleness, now=now,
                    incidents=incidents).routes(),
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
