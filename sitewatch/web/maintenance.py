"""HTTP API for maintenance windows: list, create (for a site, district or province), delete.

Reads need a token with the ``read`` scope, writes one with the ``write`` scope; bad input is
answered by ``sitewatch.web.requests``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sitewatch.incidents.maintenance import MaintenanceWindow
from sitewatch.incidents.service import IncidentService
from sitewatch.messages.timefmt import time_fields
from sitewatch.web.lists import list_response
from sitewatch.web.requests import MAX_NAME, MAX_TEXT, json_body, path_id, text_field, time_field, write

__all__ = ["MaintenanceRoutes", "maintenance_routes"]


def _window_json(w: MaintenanceWindow, tz: str) -> dict[str, Any]:
    return {"id": w.id, "scope": w.scope.value, "target": w.target, **time_fields("start", w.starts_at, tz),
            **time_fields("end", w.ends_at, tz), "reason": w.reason, "author": w.author, "source": w.source.value,
            **time_fields("deleted_at", w.deleted_at, tz), "deleted_by": w.deleted_by}


class MaintenanceRoutes:
    """The maintenance routes under ``/api/v1``, each a method calling ``IncidentService``;
    ``timezone()`` is the zone times are given in (``daemon.timezone``)."""

    def __init__(self, *, service: IncidentService, timezone: Callable[[], str]):
        self.service = service
        self.timezone = timezone

    def routes(self) -> list[Route]:
        return [
            Route("/api/v1/maintenance", self.list_maintenance, methods=["GET"]),
            Route("/api/v1/maintenance", write(self.create_maintenance), methods=["POST"]),
            Route("/api/v1/maintenance/{window_id:int}", write(self.delete_maintenance), methods=["DELETE"]),
        ]

    async def list_maintenance(self, request: Request) -> Response:
        """
        summary: Maintenance windows (current and future; ?all=1 for every one, deleted included)
        responses:
          200: {description: "{windows: [...], total, shown} and X-Total-Count"}
        """
        every = request.query_params.get("all") in ("1", "true")
        windows = self.service.maintenance_windows(include_past=every)
        return list_response("windows", [_window_json(w, self.timezone()) for w in windows])

    async def create_maintenance(self, request: Request, token: str) -> Response:
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
        data = await json_body(request)
        scopes = [k for k in ("site", "district", "province") if data.get(k)]
        if len(scopes) != 1:
            raise ValueError("give exactly one of site, district or province")
        target = text_field(data, scopes[0], limit=MAX_NAME)
        reason = text_field(data, "reason", limit=MAX_TEXT, required=True)
        author = text_field(data, "author", limit=MAX_NAME, required=True)
        assert target is not None and reason is not None
        window = self.service.create_maintenance(
            scope=scopes[0], target=target, starts_at=time_field(data.get("start"), "start"),
            ends_at=time_field(data.get("end"), "end"), reason=reason, author=f"{author} (api:{token})")
        return JSONResponse(_window_json(window, self.timezone()), status_code=201)

    async def delete_maintenance(self, request: Request, token: str) -> Response:
        """
        summary: Delete (end) a maintenance window; its incidents start paging
        security: [{bearer: []}]
        responses:
          204: {description: deleted}
          401: {description: no valid token}
          404: {description: no such window}
        """
        self.service.delete_maintenance(path_id(request, "window_id"), f"api:{token}")
        return Response(status_code=204)


def maintenance_routes(*, service: IncidentService, timezone: Callable[[], str]) -> list[Route]:
    """The maintenance routes (``MaintenanceRoutes``) as a list for ``build_app``."""
    return MaintenanceRoutes(service=service, timezone=timezone).routes()
