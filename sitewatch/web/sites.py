"""The site API: ``/api/v1/sites`` (with their latest poll status) and ``/api/v1/sites/{id}``
(latest readings with their raw SNMP source, and open incidents). Read from the fleet snapshot;
nothing here writes it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sitewatch import __version__
from sitewatch.config.schema import Config, Site
from sitewatch.core.model import Reading
from sitewatch.incidents.service import IncidentService
from sitewatch.messages.timefmt import time_fields
from sitewatch.polling.fleet_snapshot import FleetState, SiteStatus
from sitewatch.web.incidents import incident_json
from sitewatch.web.lists import list_response

__all__ = ["SiteRoutes"]


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


class SiteRoutes:
    """``sites()`` is the current configuration's sites by id, ``config()`` the configuration
    (its time zone), ``staleness()`` how old readings may be and still count as fresh;
    ``incidents`` gives a site's open incidents, if incidents run."""

    def __init__(self, *, state: FleetState, sites: Callable[[], dict[str, Site]], config: Callable[[], Config],
                 staleness: Callable[[], float], now: Callable[[], float],
                 incidents: IncidentService | None = None) -> None:
        self.state = state
        self.sites = sites
        self.config = config
        self.staleness = staleness
        self.now = now
        self.incidents = incidents

    def routes(self) -> list[Route]:
        return [Route("/api/v1/sites", self.list_sites), Route("/api/v1/sites/{site_id}", self.get_site)]

    async def list_sites(self, request: Request) -> Response:
        """
        summary: Sites with their latest poll status
        parameters:
          - {name: province, in: query, schema: {type: string}}
          - {name: district, in: query, schema: {type: string}}
          - {name: kind, in: query, schema: {type: string}}
        responses: {200: {description: "{sites: [...], total, shown, version} and X-Total-Count"}}
        """
        q = request.query_params
        t, st = self.now(), self.staleness()
        snap = self.state.snapshot()
        out = [
            _site_json(s, snap.get(s.id), t, st, detail=False, tz=self.config().daemon.timezone)
            for s in self.sites().values()
            if all(not q.get(k) or q.get(k) == v for k, v in
                   (("province", s.province), ("district", s.district), ("kind", s.kind.value)))
        ]
        return list_response("sites", out, version=__version__)

    async def get_site(self, request: Request) -> Response:
        """
        summary: One site - latest readings (with their raw SNMP source) and open incidents
        responses: {200: {description: the site}, 404: {description: no such site}}
        """
        site = self.sites().get(request.path_params["site_id"])
        if site is None:
            return JSONResponse({"error": "no such site"}, status_code=404)
        tz = self.config().daemon.timezone
        d = _site_json(site, self.state.get(site.id), self.now(), self.staleness(), detail=True, tz=tz)
        if self.incidents is not None:
            d["incidents"] = [incident_json(i, site, tz) for i in self.incidents.open_incidents([site.id])]
        return JSONResponse(d)
