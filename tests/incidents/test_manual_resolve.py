"""A manual resolve of an incident whose condition is still there (issue 19): it is refused with
the reason and what to do instead; forced, it closes and the next poll that still finds the
condition opens a new incident. Never silence for good.

A real ``IncidentService`` on a SQLite file, fed poll results the way the poller does, with the
clock driven by the test; the API is served on 127.0.0.1 and the CLI run as a process.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware

from sitewatch.config.schema import BackupSpec, Config, Site, SiteKind
from sitewatch.core.conditions import Condition
from sitewatch.core.incident import EventKind, IncidentState
from sitewatch.core.model import PollErrorKind, PollResult, Reading
from sitewatch.incidents.errors import StillActive
from sitewatch.incidents.lifecycle import ChangeKind, IncidentChange
from sitewatch.incidents.service import IncidentService
from sitewatch.polling.fleet_snapshot import SiteStatus
from sitewatch.store.database import SqliteDatabase
from sitewatch.store.incidents import IncidentStore
from sitewatch.web.access import AccessControl
from sitewatch.web.incidents import incident_routes
from sitewatch.web.server import EmbeddedServer
from tests.evaluation.helpers import interface, phases, readings
from tests.evaluation.test_conditions import CASES
from tests.traps.conftest import FixedClock

SITE = "GL-BTS-0042"
T0 = 1_790_000_000.0  # 2026-09-21T12:13:20Z
TOKEN = "noc-token-for-tests"
ACTIVE = "is still active"
ADVICE = ("acknowledge it or put GL-BTS-0042 in maintenance instead, or resolve with force (CLI --force, "
          'API "force": true) to close it anyway: it opens again at the next poll that still finds it')


class Desk:
    """The incident service of one site, its database file, and every change it announced."""

    def __init__(self, db: Path, *, generator: bool = False) -> None:
        self.clock = FixedClock(T0)
        self.db = db
        self.config = Config.model_validate({"api": {"tokens": {"noc": {"value": TOKEN}}}, "sites": [Site(
            id=SITE, name="Trạm BTS Ia Kring", kind=SiteKind.BTS, province="Gia Lai", uplinks=("eth0",),
            backup=BackupSpec(generator=generator, nominal_voltage=48.0, battery_capacity_ah=100.0,
                              typical_load_watts=1000.0))]})
        self.store = IncidentStore(SqliteDatabase(db))
        self.heard: list[IncidentChange] = []
        self.service = self._service()

    def _service(self) -> IncidentService:
        service = IncidentService(store=self.store, config=self.config, clock=self.clock)
        service.subscribe(self.heard.extend)
        return service

    def restart(self) -> None:
        """A new process on the same database (the evaluator's state is read back)."""
        self.store.db.close()
        self.store = IncidentStore(SqliteDatabase(self.db))
        self.service = self._service()

    def poll(self, after: float, *extra: tuple[Reading, ...], **values: float | str | None) -> None:
        self.clock.now += after
        rs = readings(**values) + tuple(r for group in extra for r in group)
        self.service.on_poll(SiteStatus(site_id=SITE), PollResult(
            site_id=SITE, started_at=self.clock.now, duration_seconds=0.2, ok=True, readings=rs))

    def fail(self, after: float = 60.0) -> None:
        self.clock.now += after
        self.service.on_poll(SiteStatus(site_id=SITE), PollResult(
            site_id=SITE, started_at=self.clock.now, duration_seconds=2.0, ok=False, error=PollErrorKind.TIMEOUT))

    def open_ids(self, condition: Condition) -> list[int]:
        return [i.id for i in self.store.open_incidents() if i.condition is condition]

    def opened_and_paging(self, condition: Condition) -> list[int]:
        return [c.incident.id for c in self.heard
                if c.kind is ChangeKind.OPENED and c.incident.condition is condition and c.pages]


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = Desk(tmp_path / "incidents.sqlite3")
    yield d
    d.store.db.close()


def test_resolving_a_site_still_unreachable_is_refused_and_it_never_goes_silent(desk: Desk) -> None:
    """The issue's reproduction: three timed-out polls, a manual resolve, thirty more timeouts."""
    for _ in range(3):
        desk.fail()
    [incident] = desk.open_ids(Condition.SITE_UNREACHABLE)
    with pytest.raises(StillActive) as refused:
        desk.service.resolve(incident, "api:noc")
    assert str(refused.value) == (f"incident #{incident} {ACTIVE}: the last 3 polls failed (timeout); {ADVICE}")
    for _ in range(30):
        desk.fail()
    assert desk.open_ids(Condition.SITE_UNREACHABLE) == [incident]
    assert desk.store.get_incident(incident).state is IncidentState.OPEN


def test_a_forced_resolve_of_an_unreachable_site_opens_again_at_the_next_failing_poll(desk: Desk) -> None:
    for _ in range(3):
        desk.fail()
    [first] = desk.open_ids(Condition.SITE_UNREACHABLE)
    [change] = desk.service.resolve(first, "Trần B (api:noc)", "đã kiểm tra tại chỗ", force=True)
    assert change.kind is ChangeKind.RESOLVED and change.incident.resolved_by == "Trần B (api:noc)"
    assert change.events[0].text == ("đã kiểm tra tại chỗ (forced while still active: the last 3 polls failed "
                                     "(timeout); it opens again at the next poll that still finds it)")
    assert desk.open_ids(Condition.SITE_UNREACHABLE) == []
    desk.fail()
    [second] = desk.open_ids(Condition.SITE_UNREACHABLE)
    assert second != first and desk.opened_and_paging(Condition.SITE_UNREACHABLE) == [first, second]
    timeline = desk.store.timeline(second)
    assert (timeline[0].kind, timeline[0].text) == (EventKind.OPENED, "no answer for 4 polls (timeout) (source: poll)")


def test_the_forgotten_incident_survives_a_restart(desk: Desk) -> None:
    """The evaluator's state is written with the resolve: after a restart it still opens again."""
    for _ in range(3):
        desk.fail()
    [first] = desk.open_ids(Condition.SITE_UNREACHABLE)
    desk.service.resolve(first, "api:noc", force=True)
    desk.restart()
    desk.fail()
    assert len(desk.open_ids(Condition.SITE_UNREACHABLE)) == 1


# every condition a poll can hold active, with its readings: (condition, subject, active, generator site)
POLLED = [(c, "", active, bool(options.get("generator"))) for c, active, _, options in CASES]
POLLED.append((Condition.LINK_DOWN, "eth0", {}, False))


@pytest.mark.parametrize(("condition", "subject", "active", "generator"), POLLED,
                         ids=[f"{c.value}-{next(iter(a), s)}" for c, s, a, _ in POLLED])
def test_no_condition_goes_silent_after_a_manual_resolve(condition: Condition, subject: str,
                                                         active: dict[str, float | str], generator: bool,
                                                         tmp_path: Path) -> None:
    desk = Desk(tmp_path / "incidents.sqlite3", generator=generator)
    extra = interface("eth0", 0.0 if condition is Condition.LINK_DOWN else 1.0)
    for _ in range(12):  # long enough for every hold, polled every minute
        desk.poll(60, extra, **active)
    [first] = [i for i in desk.store.open_incidents() if i.condition is condition and i.subject == subject]
    what = f"{condition.value} {subject}".strip()
    with pytest.raises(StillActive, match=f"#{first.id} {ACTIVE}: {what} for [0-9]+ min, as of the last poll; "):
        desk.service.resolve(first.id, "api:noc")
    desk.poll(60, extra, **active)
    assert desk.store.get_incident(first.id).state is IncidentState.OPEN

    desk.service.resolve(first.id, "api:noc", force=True)
    desk.poll(60, extra, **active)
    [second] = [i for i in desk.store.open_incidents() if i.condition is condition and i.subject == subject]
    assert second.id != first.id
    assert second.id in desk.opened_and_paging(condition)
    desk.store.db.close()


def test_an_incident_clearing_may_be_resolved_by_hand_and_a_relapse_opens_a_new_one(desk: Desk) -> None:
    """Mains back, the clear hold (60 s) not over: nothing is still active, no force needed."""
    for _ in range(3):
        desk.poll(30, phases(0, 0, 0), mains_ok=0.0)
    [first] = desk.open_ids(Condition.MAINS_LOST)
    desk.poll(30, phases(229, 231, 230), mains_ok=1.0)
    [change] = desk.service.resolve(first, "api:noc", "điện về")
    assert change.events[0].text == "điện về"
    for _ in range(2):  # mains lost again within the old clear hold, then for its 30 s hold
        desk.poll(20, phases(0, 0, 0), mains_ok=0.0)
    assert desk.open_ids(Condition.MAINS_LOST) == []
    desk.poll(20, phases(0, 0, 0), mains_ok=0.0)
    [second] = desk.open_ids(Condition.MAINS_LOST)
    assert second != first and desk.opened_and_paging(Condition.MAINS_LOST) == [first, second]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def served(desk: Desk) -> AsyncIterator[str]:
    """The incident API of ``desk`` on 127.0.0.1; yields its base URL."""
    app = Starlette(routes=incident_routes(service=desk.service, timezone=lambda: desk.config.daemon.timezone),
                    middleware=[Middleware(AccessControl, config=lambda: desk.config)])
    port = _free_port()
    server = EmbeddedServer(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, lifespan="off"))
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:
            if task.done():
                task.result()  # it failed to start: say why
            await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def _cli(url: str, *argv: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sitewatch", "incidents", "--url", url, *argv,
        env={**os.environ, "SITEWATCH_TOKEN": TOKEN}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_the_api_refuses_with_409_and_resolves_with_force(desk: Desk, served: str) -> None:
    for _ in range(3):
        desk.fail()
    [first] = desk.open_ids(Condition.SITE_UNREACHABLE)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=served, headers=auth) as http:
        r = await http.post(f"/api/v1/incidents/{first}/resolve", json={"actor": "Trần B"})
        assert (r.status_code, r.json()) == (409, {
            "error": f"incident #{first} {ACTIVE}: the last 3 polls failed (timeout); {ADVICE}"})
        r = await http.post(f"/api/v1/incidents/{first}/resolve", json={"force": "yes"})
        assert (r.status_code, r.json()) == (400, {"error": "force: expected true or false"})
        assert desk.store.get_incident(first).state is IncidentState.OPEN
        r = await http.post(f"/api/v1/incidents/{first}/resolve", json={"actor": "Trần B", "force": True})
        assert r.status_code == 200 and r.json()["state"] == "resolved"
        assert r.json()["resolved_by"] == "api:noc"
    assert desk.store.timeline(first)[-1].text == (
        "as Trần B (forced while still active: the last 3 polls failed (timeout); "
        "it opens again at the next poll that still finds it)")
    desk.fail()
    assert len(desk.open_ids(Condition.SITE_UNREACHABLE)) == 1


async def test_the_cli_says_why_and_resolves_with_force(desk: Desk, served: str) -> None:
    for _ in range(3):
        desk.fail()
    [first] = desk.open_ids(Condition.SITE_UNREACHABLE)
    code, out, err = await _cli(served, "resolve", str(first), "--as", "Trần B")
    assert (code, out) == (1, "")
    assert err == (f"sitewatch incidents: incident #{first} {ACTIVE}: the last 3 polls failed (timeout); "
                   f"{ADVICE} (HTTP 409)\n")
    code, out, err = await _cli(served, "resolve", str(first), "--as", "Trần B", "--force", "-m", "kiểm tra xong")
    assert (code, err) == (0, "")
    assert "state resolved" in out and "resolved at" in out and "by api:noc" in out
    assert desk.store.timeline(first)[-1].text.startswith("as Trần B: kiểm tra xong (forced while still active: ")
    desk.fail()
    assert len(desk.open_ids(Condition.SITE_UNREACHABLE)) == 1


def test_a_condition_silenced_by_an_older_version_comes_back_after_the_upgrade(desk: Desk) -> None:
    """Resolved by hand before this fix: the stored evaluator state still holds it open."""
    for _ in range(3):
        desk.fail()
    [first] = desk.open_ids(Condition.SITE_UNREACHABLE)
    desk.service.lifecycle.resolve(first, "api:noc", desk.clock.now)  # what a resolve used to do
    desk.fail()
    assert desk.open_ids(Condition.SITE_UNREACHABLE) == []  # silent, as it was
    desk.restart()
    desk.fail()
    assert len(desk.open_ids(Condition.SITE_UNREACHABLE)) == 1
