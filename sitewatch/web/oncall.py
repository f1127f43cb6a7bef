"""HTTP routes for on-call: who is on duty (JSON), and calendars to subscribe to (.ics).

    GET /api/v1/oncall?team=&roster=&at=&days=     who is on call, per roster
    GET /api/v1/oncall/{roster}.ics?days=          a roster's shifts
    GET /api/v1/people/{person}/oncall.ics?days=   one person's shifts on every roster

Read-only and free of secrets and contact addresses, like the rest of the read API. The
config is read through ``config_getter`` on every request, so a reload shows at once.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sitewatch.config.schema import Config
from sitewatch.oncall.ics import person_ics, roster_ics
from sitewatch.oncall.localtime import day_start, parse_when
from sitewatch.oncall.schedule import schedule_for
from sitewatch.oncall.view import duty_json, roster_duty, select_rosters
from sitewatch.web.lists import list_response
from sitewatch.web.requests import error

__all__ = ["ICS_MEDIA_TYPE", "OncallRoutes", "calendar_window", "oncall_routes"]

ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"
_MAX_DAYS = 366
_LATEST = 7_258_118_400.0  # 2200-01-01: the calendar arithmetic stays far from datetime's year 9999


def calendar_window(now: float, zone: ZoneInfo, days: int) -> tuple[float, float]:
    """From local midnight a week ago to ``days`` days ahead: the same all day long, so a
    calendar client polling every few minutes gets the same bytes."""
    return day_start(now, zone, days=-7), day_start(now, zone, days=days + 1)


def _days(request: Request, default: int) -> int:
    text = request.query_params.get("days")
    if text is None:
        return default
    if not text.isdigit() or not 0 < int(text) <= _MAX_DAYS:
        raise ValueError(f"days must be a whole number from 1 to {_MAX_DAYS}")
    return int(text)


class OncallRoutes:
    """The on-call routes under ``/api/v1``, each a method reading the on-call schedule of the
    current configuration (``config()``); ``now`` is the clock."""

    def __init__(self, config: Callable[[], Config], now: Callable[[], float]) -> None:
        self.config = config
        self.now = now

    def routes(self) -> list[Route]:
        return [
            Route("/api/v1/oncall", self.oncall, methods=["GET"]),
            Route("/api/v1/oncall/{roster}.ics", self.roster_calendar, methods=["GET"]),
            Route("/api/v1/people/{person}/oncall.ics", self.person_calendar, methods=["GET"]),
        ]

    async def oncall(self, request: Request) -> Response:
        """
        summary: Who is on call, per roster, now or at a given time
        parameters:
          - {name: team, in: query, schema: {type: string}}
          - {name: roster, in: query, schema: {type: string}}
          - {name: at, in: query, description: "ISO 8601; without an offset, each roster's local time",
             schema: {type: string}}
          - {name: days, in: query, description: "how far ahead to list handoffs (default 1)",
             schema: {type: integer}}
        responses: {200: {description: "{rosters: [...], total, shown} and X-Total-Count"},
                    400: {description: bad parameter}, 404: {description: unknown team or roster}}
        """
        config = self.config()
        q = request.query_params
        try:
            ids = select_rosters(config, roster=q.get("roster"), team=q.get("team"))
        except LookupError as e:
            return error(404, str(e.args[0]))
        try:
            ahead = _days(request, 1) * 86400.0
            out = []
            for rid in ids:
                zone = schedule_for(config.rosters[rid], rid).zone
                at = parse_when(q["at"], zone) if q.get("at") else self.now()
                if not 0 <= at < _LATEST:
                    raise ValueError("at: a time from 1970 to 2199")
                out.append(duty_json(config, roster_duty(config, rid, at, ahead=ahead)))
        except ValueError as e:
            return error(400, str(e))
        return list_response("rosters", out)

    async def roster_calendar(self, request: Request) -> Response:
        """
        summary: A roster's on-call shifts as iCalendar
        parameters:
          - {name: days, in: query, description: "days ahead (default 30)", schema: {type: integer}}
        responses: {200: {description: text/calendar}, 404: {description: unknown roster}}
        """
        config = self.config()
        rid = request.path_params["roster"]
        spec = config.rosters.get(rid)
        if spec is None:
            return error(404, f"no roster {rid!r}")
        try:
            days = _days(request, 30)
        except ValueError as e:
            return error(400, str(e))
        schedule = schedule_for(spec, rid)
        start, end = calendar_window(self.now(), schedule.zone, days)
        names = {pid: p.name for pid, p in config.people.items()}
        return Response(roster_ics(schedule, start, end, names=names), media_type=ICS_MEDIA_TYPE)

    async def person_calendar(self, request: Request) -> Response:
        """
        summary: One person's on-call shifts on every roster as iCalendar
        parameters:
          - {name: days, in: query, description: "days ahead (default 30)", schema: {type: integer}}
        responses: {200: {description: text/calendar}, 404: {description: unknown person}}
        """
        config = self.config()
        pid = request.path_params["person"]
        if pid not in config.people:
            return error(404, f"no person {pid!r}")
        try:
            days = _days(request, 30)
        except ValueError as e:
            return error(400, str(e))
        start, end = calendar_window(self.now(), ZoneInfo(config.daemon.timezone), days)
        return Response(person_ics(config, pid, start, end), media_type=ICS_MEDIA_TYPE)


def oncall_routes(config_getter: Callable[[], Config], now: Callable[[], float]) -> list[Route]:
    """The on-call routes (``OncallRoutes``) as a list for the daemon's app."""
    return OncallRoutes(config_getter, now).routes()
