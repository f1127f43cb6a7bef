"""``/api/v1/oncall`` and the calendar routes, served by Starlette over the Gia Lai example
(through httpx's ASGI transport: Starlette's TestClient now asks for another package)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import icalendar
import pytest
from starlette.applications import Starlette

from sitewatch.config.schema import Config
from sitewatch.web.oncall import oncall_routes
from tests.oncall.util import at

NOW = at("2026-12-22T17:30")


@pytest.fixture
async def client(config: Config) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=oncall_routes(lambda: config, lambda: NOW))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sitewatch") as c:
        yield c


async def test_who_is_on_call_now_for_one_roster(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/oncall", params={"roster": "ut-pleiku"})
    assert r.status_code == 200
    [roster] = r.json()["rosters"]
    assert {k: roster[k] for k in ("roster", "name", "team", "timezone", "at", "layer", "until")} == {
        "roster": "ut-pleiku", "name": "Trực ứng cứu thông tin cụm Pleiku", "team": "ut-pleiku",
        "timezone": "Asia/Ho_Chi_Minh", "at": "2026-12-22T17:30:00+07:00", "layer": "override",
        "until": "2026-12-22T18:00:00+07:00",
    }
    assert (roster["at_unix"], roster["until_unix"]) == (NOW, at("2026-12-22T18:00"))  # daemon.timezone, as all
    assert roster["on_call"] == [{
        "id": "nguyen-van-an", "name": "Nguyễn Văn An", "language": "vi",
        "contacts": [{"channel": "sms", "type": "sms_gateway"}, {"channel": "email", "type": "email"},
                     {"channel": "telegram", "type": "telegram"}],
    }]
    assert [(n["person"]["id"], n["start"], n["layer"]) for n in roster["next"]] == [
        ("pham-thi-dung", "2026-12-22T18:00:00+07:00", "night"),
        ("tran-thi-binh", "2026-12-23T07:00:00+07:00", "day"),
    ]


async def test_no_contact_address_or_secret_is_served(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/oncall")).text
    assert "+849" not in body and "@vienthong-gialai" not in body and "510010" not in body
    assert "lab-telegram-bot-token" not in body


async def test_by_team_and_at_a_local_time(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/oncall", params={"team": "noc", "at": "2026-12-23T07:30", "days": "1"})
    assert r.status_code == 200
    [roster] = r.json()["rosters"]
    assert (roster["roster"], roster["on_call"][0]["id"], roster["on_call"][0]["language"]) == (
        "truc-dieu-hanh", "le-minh-khoa", "en")
    assert roster["until"] == "2026-12-23T19:30:00+07:00"


async def test_every_roster_by_default(client: httpx.AsyncClient) -> None:
    rosters = (await client.get("/api/v1/oncall")).json()["rosters"]
    assert [r["roster"] for r in rosters] == [
        "ut-pleiku", "ut-an-khe", "ut-ayun-pa", "ut-chu-se", "truc-dieu-hanh", "truc-lanh-dao"]
    assert all(r["on_call"] for r in rosters)


async def test_bad_requests(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/oncall", params={"roster": "nope"})).status_code == 404
    r = await client.get("/api/v1/oncall", params={"team": "ut-plieku"})
    assert (r.status_code, r.json()) == (404, {"error": "no team 'ut-plieku' (did you mean 'ut-pleiku'?)"})
    assert (await client.get("/api/v1/oncall", params={"at": "soon"})).status_code == 400
    for far in ("9999-12-31T23:59", "9999-12-31T23:59+14:00", "0001-01-01T00:00-12:00"):
        r = await client.get("/api/v1/oncall", params={"at": far})
        assert r.status_code == 400 and r.json() == {"error": "at: a time from 1970 to 2199"}, far
    assert (await client.get("/api/v1/oncall", params={"days": "0"})).status_code == 400
    assert (await client.get("/api/v1/oncall/nope.ics")).status_code == 404
    assert (await client.get("/api/v1/people/nope/oncall.ics")).status_code == 404


async def test_calendars_of_a_roster_and_of_a_person(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/oncall/truc-dieu-hanh.ics", params={"days": "3"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    events = icalendar.Calendar.from_ical(r.content).walk("VEVENT")
    # from local midnight a week back to three days ahead: 11 days of 12-hour shifts, plus the one
    # running at the window's start
    assert len(events) == 23
    assert r.content == (await client.get("/api/v1/oncall/truc-dieu-hanh.ics", params={"days": "3"})).content
    p = await client.get("/api/v1/people/huynh-thi-mai/oncall.ics")
    summaries = {str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(p.content).walk("VEVENT")}
    assert summaries == {"On call: Trực lãnh đạo Viễn thông Gia Lai — Huỳnh Thị Mai"}
