"""An incident's paging history over HTTP: the ``escalations``, ``notifications`` and
``escalation_events`` of ``GET /api/v1/incidents/{id}``, and the filterable list
``GET /api/v1/incidents/{id}/notifications`` (read model: ``sitewatch.escalation.history``).

Addresses are masked; levels and rounds count from 1; every time comes as the incident's own
times do (``TimeFields``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sitewatch.escalation.history import EscalationSummary, IncidentHistory, Notification, Step
from sitewatch.incidents.errors import IncidentNotFound
from sitewatch.notify.model import MessageKind
from sitewatch.web.lists import list_response

__all__ = ["History", "TimeFields", "history_json", "notification_json", "notifications_route"]

#: the incident id → its history (``EscalationEngine.incident_history``)
History = Callable[[int], IncidentHistory]
#: (field name, unix time or None) → the JSON fields for it (``{"sent_at": ..., "sent_at_unix": ...}``)
TimeFields = Callable[[str, float | None], dict[str, Any]]

STATUSES = ("pending", "sent", "dead", "cancelled")
_KINDS = tuple(k.value for k in MessageKind)
_DEFAULT_LIMIT = 500
_MAX_LIMIT = 10_000
_MAX_ID = 2**63 - 1  # SQLite's INTEGER: beyond it, no such incident


def notification_json(n: Notification, when: TimeFields) -> dict[str, Any]:
    return {"id": n.id, "escalation": n.escalation, "kind": n.kind.value, "level": n.level, "round": n.round,
            "person": n.person, "person_name": n.person_name, "channel": n.channel, "address": n.address,
            "status": n.status, **when("queued_at", n.queued_at), **when("due_at", n.due_at),
            "attempts": n.attempts, **when("first_attempt_at", n.first_attempt_at), **when("sent_at", n.sent_at),
            **when("finished_at", n.finished_at), "error": n.error or None,
            **when("acknowledged_at", n.acknowledged_at), "acknowledged_by": n.acknowledged_by}


def _step_json(s: Step, when: TimeFields) -> dict[str, Any]:
    return {"escalation": s.escalation, **when("at", s.at), "kind": s.kind, "level": s.level, "round": s.round,
            "person": s.person, "person_name": s.person_name, "text": s.text}


def _escalation_json(e: EscalationSummary, when: TimeFields) -> dict[str, Any]:
    return {"key": e.key, "group": e.group_key, "route": e.route, "policy": e.policy, "status": e.status,
            "level": e.level, "round": e.round, **when("created_at", e.created_at),
            **when("started_at", e.started_at), **when("next_step_at", e.next_step_at),
            **when("acknowledged_at", e.acknowledged_at), "acknowledged_by": e.acknowledged_by,
            **when("closed_at", e.closed_at), **when("joined_at", e.joined_at), **when("left_at", e.left_at)}


def history_json(h: IncidentHistory, when: TimeFields) -> dict[str, Any]:
    """The fields ``GET /api/v1/incidents/{id}`` adds to the incident (every notification)."""
    return {"escalations": [_escalation_json(e, when) for e in h.escalations],
            "notifications": [notification_json(n, when) for n in h.notifications],
            "escalation_events": [_step_json(s, when) for s in h.steps]}


def _choices(request: Request, name: str, allowed: tuple[str, ...]) -> frozenset[str] | None:
    text = request.query_params.get(name)
    if not text:
        return None
    given = frozenset(v.strip() for v in text.split(","))
    unknown = sorted(given - set(allowed))
    if unknown:
        raise ValueError(f"{name}: unknown {', '.join(unknown)}; one or more of {', '.join(allowed)}")
    return given


def _number(request: Request, name: str, default: int | None, low: int, high: int) -> int | None:
    text = request.query_params.get(name)
    if not text:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"{name}: a whole number from {low} to {high}")
    return int(text)


def notifications_route(history: History, when: Callable[[], TimeFields]) -> Route:
    """``GET /api/v1/incidents/{id}/notifications``; ``when()`` gives the current time renderer."""

    async def notifications(request: Request) -> Response:
        """
        summary: Every notification about an incident, in the order queued (who, level, channel, what became of it)
        parameters:
          - {name: status, in: query, description: "comma-separated: pending, sent, dead, cancelled",
             schema: {type: string}}
          - {name: kind, in: query, description: "comma-separated: page, update, reminder, resolved, acknowledged",
             schema: {type: string}}
          - {name: channel, in: query, schema: {type: string}}
          - {name: person, in: query, description: person id, schema: {type: string}}
          - {name: level, in: query, description: "escalation level, from 1", schema: {type: integer}}
          - {name: limit, in: query, description: "at most this many (default 500)", schema: {type: integer}}
          - {name: offset, in: query, description: "skip this many first", schema: {type: integer}}
        responses:
          200: {description: "{notifications: [...], total, shown} and X-Total-Count"}
          400: {description: a filter is invalid}
          404: {description: no such incident}
        """
        q = request.query_params
        try:
            statuses = _choices(request, "status", STATUSES)
            kinds = _choices(request, "kind", _KINDS)
            level = _number(request, "level", None, 1, 1000)
            limit = _number(request, "limit", _DEFAULT_LIMIT, 1, _MAX_LIMIT)
            offset = _number(request, "offset", 0, 0, 2**31) or 0
        except ValueError as e:
            return JSONResponse({"error": str(e)}, status_code=400)
        try:
            incident_id: int = request.path_params["incident_id"]
            if incident_id > _MAX_ID:
                raise IncidentNotFound(incident_id)
            h = history(incident_id)
        except IncidentNotFound as e:
            return JSONResponse({"error": str(e)}, status_code=404)
        found = [n for n in h.notifications
                 if (statuses is None or n.status in statuses) and (kinds is None or n.kind.value in kinds)
                 and (not q.get("channel") or n.channel == q["channel"])
                 and (not q.get("person") or n.person == q["person"]) and (level is None or n.level == level)]
        render = when()
        shown = found[offset:offset + (limit or _DEFAULT_LIMIT)]
        return list_response("notifications", [notification_json(n, render) for n in shown], len(found),
                             incident=h.incident_id)

    return Route("/api/v1/incidents/{incident_id:int}/notifications", notifications, methods=["GET"])
