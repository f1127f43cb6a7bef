"""The paging history and list totals over the daemon's HTTP app (issue 18 items 4 and 5), served
by the real Starlette app over the escalation world's store (httpx's ASGI transport).

List convention, every list: ``{<name>: [...], "total": N, "shown": M}`` and ``X-Total-Count: N``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from sitewatch.metrics.exposition import Exposition
from sitewatch.polling.fleet_snapshot import FleetState
from sitewatch.web.app import build_app
from sitewatch.web.oncall import oncall_routes
from tests.escalation.conftest import MIN, T0, World, WorldFactory
from tests.escalation.test_history import _night

TOKEN = "read-only-wallboard-token"


@pytest.fixture
def world(make_world: WorldFactory) -> World:
    """The district, with a read-only token: the history is served to readers, addresses masked."""
    return make_world(api={"tokens": {"wallboard": {"value": TOKEN, "scopes": ["read"]}}})


@pytest.fixture
async def api(world: World) -> AsyncIterator[httpx.AsyncClient]:
    state = FleetState()
    sites = {s.id: s for s in world.config.sites}
    app = build_app(state=state, sites=lambda: sites, now=world.clock.time, ready=lambda: (True, []),
                    exposition=Exposition(state=state, sites=(), staleness=180, now=world.clock.time),
                    staleness=lambda: 180, incidents=world.service, history=world.engine.incident_history,
                    config=lambda: world.config, extra_routes=oncall_routes(lambda: world.config, world.clock.time))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1",
                                 headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        yield c


def _counted(r: httpx.Response, name: str) -> tuple[int, int, int]:
    """(len, total, shown), after checking the header and the body agree."""
    assert r.status_code == 200, r.text
    body = r.json()
    assert r.headers["X-Total-Count"] == str(body["total"])
    assert body["shown"] == len(body[name])
    return len(body[name]), body["total"], body["shown"]


async def test_the_incident_says_who_was_paged_how_and_what_happened(world: World, api: httpx.AsyncClient) -> None:
    incident_id = await _night(world)
    r = await api.get(f"/api/v1/incidents/{incident_id}")
    assert r.status_code == 200
    body = r.json()
    assert "+84901000001" not in r.text and "an@noc.example" not in r.text, "addresses are masked"
    [esc] = body["escalations"]
    assert (esc["key"], esc["status"], esc["level"], esc["acknowledged_by"]) == ("g1", "resolved", 2, "Nguyễn Văn An")
    first, mail = body["notifications"][:2]
    assert {k: first[k] for k in ("kind", "level", "person", "person_name", "channel", "address", "status",
                                  "error", "acknowledged_by")} == {
        "kind": "page", "level": 1, "person": "an", "person_name": "Nguyễn Văn An", "channel": "sms",
        "address": "+8490****001", "status": "sent", "error": None, "acknowledged_by": "an (ack link)"}
    assert first["attempts"] >= 2 and first["queued_at_unix"] == T0 and first["sent_at_unix"] > T0 + MIN
    assert first["queued_at"] is not None and first["sent_at"] is not None
    assert (mail["channel"], mail["status"], mail["sent_at"]) == ("email", "dead", None)
    assert "550 5.1.1 <a***@noc.example>: mailbox unavailable" in mail["error"], "the address masked there too"
    assert [(s["kind"], s["level"], s["person_name"]) for s in body["escalation_events"]
            if s["kind"] == "paged"] == [("paged", 1, "Nguyễn Văn An"), ("paged", 2, "Trần Thị Bình")]

    # the sub-resource: the same rows, filtered, with totals
    every = await api.get(f"/api/v1/incidents/{incident_id}/notifications")
    assert _counted(every, "notifications") == (len(body["notifications"]),) * 3
    assert every.json()["notifications"] == body["notifications"]
    dead = await api.get(f"/api/v1/incidents/{incident_id}/notifications", params={"status": "dead,cancelled"})
    assert [(n["channel"], n["person"], n["status"]) for n in dead.json()["notifications"]] == [
        ("email", "an", "dead"), ("email", "binh", "cancelled")]
    level2 = await api.get(f"/api/v1/incidents/{incident_id}/notifications",
                           params={"level": "2", "kind": "page", "person": "binh", "channel": "sms"})
    assert [n["status"] for n in level2.json()["notifications"]] == ["sent"]
    cut = await api.get(f"/api/v1/incidents/{incident_id}/notifications", params={"limit": "2", "offset": "1"})
    assert _counted(cut, "notifications") == (2, len(body["notifications"]), 2)
    assert [n["id"] for n in cut.json()["notifications"]] == [n["id"] for n in body["notifications"][1:3]]


@pytest.mark.parametrize(("query", "error"), [
    ({"status": "delivered"}, "status: unknown delivered; one or more of pending, sent, dead, cancelled"),
    ({"kind": "sms"}, "kind: unknown sms"),
    ({"level": "0"}, "level: a whole number from 1"),
    ({"limit": "lots"}, "limit: a whole number from 1 to 10000"),
])
async def test_bad_filters_are_400_and_unknown_incidents_404(world: World, api: httpx.AsyncClient,
                                                             query: dict[str, str], error: str) -> None:
    incident = world.open("BTS-HOSP")
    r = await api.get(f"/api/v1/incidents/{incident.id}/notifications", params=query)
    assert r.status_code == 400 and error in r.json()["error"]
    assert (await api.get("/api/v1/incidents/999/notifications")).status_code == 404


async def test_every_list_says_how_many_there_are_and_how_many_are_shown(world: World,
                                                                         api: httpx.AsyncClient) -> None:
    for i in range(7):
        world.open(f"BTS-{i:02d}")
    cut = await api.get("/api/v1/incidents", params={"limit": "3"})
    assert _counted(cut, "incidents") == (3, 7, 3)
    assert _counted(await api.get("/api/v1/incidents"), "incidents") == (7, 7, 7)
    assert _counted(await api.get("/api/v1/incidents", params={"site": "BTS-01", "limit": "5"}),
                    "incidents") == (1, 1, 1)
    assert _counted(await api.get("/api/v1/sites"), "sites") == (42, 42, 42)
    assert _counted(await api.get("/api/v1/sites", params={"district": "Pleiku"}), "sites") == (1, 1, 1)
    assert (await api.get("/api/v1/sites")).json()["version"], "the body keeps its other fields"
    assert _counted(await api.get("/api/v1/oncall"), "rosters") == (4, 4, 4)
    assert _counted(await api.get("/api/v1/maintenance"), "windows") == (0, 0, 0)
    world.service.create_maintenance(scope="site", target="BTS-PK", starts_at=T0 + 60, ends_at=T0 + 3600,
                                     reason="generator swap", author="Lê Minh")
    assert _counted(await api.get("/api/v1/maintenance"), "windows") == (1, 1, 1)


async def test_the_schema_describes_the_notifications_and_the_totals(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/api/v1/openapi.json")).json()["paths"]
    listed = paths["/api/v1/incidents/{incident_id}/notifications"]["get"]
    assert {p["name"] for p in listed["parameters"]} == {"status", "kind", "channel", "person", "level", "limit",
                                                        "offset"}
    for path in ("/api/v1/incidents", "/api/v1/maintenance", "/api/v1/sites", "/api/v1/oncall"):
        assert "X-Total-Count" in paths[path]["get"]["responses"]["200"]["description"], path
