"""Issue 10 item 6: one way to write time. The API gives every time as ISO 8601 in
``daemon.timezone`` with its offset and unix seconds beside it; the CLI prints the same zone
with its offset (messages: ``tests/escalation/test_message_time_zone.py``). The zone here is
India's (+05:30) so that neither the host's zone (UTC in CI) nor a default could pass for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sitewatch.commands.incidents import format_incident, format_table
from sitewatch.config.schema import Config
from sitewatch.core.conditions import Condition
from sitewatch.core.model import PollResult
from sitewatch.incidents.service import IncidentService
from sitewatch.metrics.exposition import Exposition
from sitewatch.polling.fleet_snapshot import FleetState
from sitewatch.store.incidents import IncidentStore
from sitewatch.web.app import build_app
from tests.escalation.conftest import FakeClock
from tests.incidents.conftest import db_path, store, tr  # noqa: F401 (fixtures)

T0 = 1_796_531_760.0  # 2026-12-06 04:36 UTC
ZONE = "Asia/Kolkata"


@pytest.fixture
def config() -> Config:
    return Config.model_validate({
        "daemon": {"timezone": ZONE},
        "api": {"tokens": {"noc": {"value": "s3cret-token-value"}}},
        "sites": [{"id": "BTS-01", "name": "BTS Chư Sê 01", "kind": "bts", "province": "Gia Lai",
                   "district": "Chư Sê"}],
    })


@pytest.fixture
async def api(config: Config, store: IncidentStore) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    clock = FakeClock(T0)
    service = IncidentService(store=store, config=config, clock=clock)
    service.lifecycle.apply([tr("BTS-01", Condition.ON_BATTERY, at=T0, summary="input 0 V")], T0)
    state = FleetState(["BTS-01"])
    state.record(PollResult(site_id="BTS-01", started_at=T0 + 30, duration_seconds=0.2, ok=True))
    sites = {s.id: s for s in config.sites}
    app = build_app(state=state, sites=lambda: sites, now=clock.time, ready=lambda: True, staleness=lambda: 180,
                    exposition=Exposition(state=state, sites=config.sites, staleness=180, now=clock.time),
                    incidents=service, config=lambda: config)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1",
                                 headers={"Authorization": "Bearer s3cret-token-value"}) as client:
        yield client


async def test_the_api_gives_times_in_the_daemon_zone_with_unix_seconds_beside(api: httpx.AsyncClient) -> None:
    [incident] = (await api.get("/api/v1/incidents")).json()["incidents"]
    assert (incident["opened_at"], incident["opened_at_unix"]) == ("2026-12-06T10:06:00+05:30", T0)
    assert (incident["acknowledged_at"], incident["acknowledged_at_unix"]) == (None, None)
    detail = (await api.get(f"/api/v1/incidents/{incident['id']}")).json()
    assert (detail["timeline"][0]["at"], detail["timeline"][0]["at_unix"]) == ("2026-12-06T10:06:00+05:30", T0)

    [site] = (await api.get("/api/v1/sites")).json()["sites"]
    assert (site["last_poll_at"], site["last_poll_at_unix"]) == ("2026-12-06T10:06:30+05:30", T0 + 30)
    assert (site["last_success_at"], site["last_success_at_unix"]) == ("2026-12-06T10:06:30+05:30", T0 + 30)

    window = await api.post("/api/v1/maintenance", json={
        "site": "BTS-01", "start": T0 + 3600, "end": "2026-12-06T08:36:00Z", "reason": "generator service",
        "author": "Hà"})
    assert window.status_code == 201
    assert (window.json()["start"], window.json()["end"], window.json()["end_unix"]) == (
        "2026-12-06T11:06:00+05:30", "2026-12-06T14:06:00+05:30", T0 + 4 * 3600)


async def test_the_cli_prints_the_daemon_zone_with_its_offset(api: httpx.AsyncClient) -> None:
    listed: list[dict[str, Any]] = (await api.get("/api/v1/incidents")).json()["incidents"]
    assert "2026-12-06 10:06 +05:30" in format_table(listed)
    await api.post(f"/api/v1/incidents/{listed[0]['id']}/ack", json={"comment": "on my way"})
    shown = format_incident((await api.get(f"/api/v1/incidents/{listed[0]['id']}")).json())
    assert "opened 2026-12-06 10:06 +05:30" in shown
    assert "acknowledged by api:noc at 2026-12-06 10:06 +05:30" in shown
    day, *timeline = shown.split("\n\n")[1].splitlines()  # the date once, then each entry's time and offset
    assert day == "2026-12-06" and timeline
    assert all(line.startswith("  10:06:00 +05:30  ") for line in timeline), timeline

