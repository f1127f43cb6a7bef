"""The acknowledge page on a real IncidentService and SQLite file: a GET never acknowledges,
the confirm POST does (once), bad and expired links acknowledge nothing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html import unescape
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from sitewatch.config.schema import Config
from sitewatch.core.conditions import Condition, TrapEvent
from sitewatch.core.incident import EventKind, IncidentState
from sitewatch.incidents.acks import IncidentAcks
from sitewatch.incidents.lifecycle import ChangeKind, IncidentChange
from sitewatch.incidents.service import IncidentService
from sitewatch.messages.acklinks import AckSigner
from sitewatch.store.database import SqliteDatabase
from sitewatch.store.incidents import IncidentStore
from sitewatch.web.ack import ack_routes
from tests.messages.conftest import BASE_URL, BTS2, HOSP, KEY, PROVINCIAL, SIGNER, T0
from tests.traps.conftest import FixedClock

NAMES = {"hoa": "Trần Thị Hoa", "an": "Nguyễn Văn An"}


class Desk:
    """A real incident service behind the ack page, and what its listeners heard."""

    def __init__(self, tmp_path: Path) -> None:
        self.clock = FixedClock(T0)
        self.store = IncidentStore(SqliteDatabase(tmp_path / "incidents.sqlite3"))
        self.service = IncidentService(store=self.store, config=Config(sites=(HOSP, BTS2, PROVINCIAL)),
                                       clock=self.clock)
        self.heard: list[IncidentChange] = []
        self.service.subscribe(self.heard.extend)
        self.signer: AckSigner | None = SIGNER
        self.groups: dict[str, list[int]] = {}
        acks = IncidentAcks(self.service, lambda key: self.groups.get(key, []))
        app = Starlette(routes=ack_routes(signer_getter=lambda: self.signer, acknowledge=acks.acknowledge,
                                          describe=acks.describe, now=self.clock.time,
                                          actor_for=lambda grant: NAMES[grant.person]))
        # the app itself over ASGI (starlette.testclient wants httpx2, which is not installed)
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)

    def outage(self, site_id: str) -> list[int]:
        """The site's UPS says it is on battery: mains_lost and on_battery open at once."""
        self.service.on_trap(TrapEvent(site_id=site_id, received_at=self.clock.now, trap_oid="1.3.6.1.2.1.33.2.0.1",
                                       name="upsTrapOnBattery", source="127.0.0.1:1162",
                                       asserts=((Condition.MAINS_LOST, "", True), (Condition.ON_BATTERY, "", True))))
        return [i.id for i in self.store.open_incidents([site_id])]

    def state(self, incident_id: int) -> tuple[IncidentState, str | None]:
        i = self.store.get_incident(incident_id)
        return i.state, i.acknowledged_by

    def path(self, url: str) -> str:
        assert url.startswith(BASE_URL)
        return url[len(BASE_URL):]


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    d = Desk(tmp_path)
    async with d.client:
        yield d
    d.store.db.close()


def text_of(html: str) -> str:
    """What a person sees: no head, block elements apart, inline ones joined."""
    body = re.sub(r"<head>.*</head>", "", html, flags=re.S)
    body = re.sub(r"</?(?:p|li|ul|h1|br|form|button)\b[^>]*>", " ", body)
    return " ".join(unescape(re.sub(r"<[^>]+>", "", body)).split())


def form_token(html: str) -> str:
    m = re.search(r'<form method="post" action="([^"]+)"><input type="hidden" name="token" value="([^"]+)">', html)
    assert m, html
    return m.group(2)


async def test_get_describes_and_never_acknowledges(desk: Desk) -> None:
    ids = desk.outage("BTS-HOSP")
    url = SIGNER.link(BASE_URL, incident_ids=ids, person="hoa", now=T0, language="vi")
    desk.clock.now = T0 + 300
    for _ in range(3):  # a link scanner, a preview, the person
        r = await desk.client.get(desk.path(url))
        assert r.status_code == 200
    page = text_of(r.text)
    assert "Xác nhận tiếp nhận sự cố" in page and "Bạn (hoa) sắp xác nhận tiếp nhận:" in page
    assert ("Trạm BTS Bệnh viện Chư Sê (BTS-HOSP): mất điện lưới (trap upsTrapOnBattery từ 127.0.0.1:1162), "
            "từ 22:15 (5 phút)") in page
    assert "Giờ theo: UTC+07:00" in page  # the zone of the times above (daemon.timezone), said once
    assert "đang chạy ắc quy" in page and "Khi bạn xác nhận, hệ thống ngừng báo lên các cấp tiếp theo." in page
    assert '<button type="submit">Xác nhận tiếp nhận</button>' in r.text
    assert form_token(r.text) == url.rsplit("/", 1)[1]
    assert r.headers["cache-control"] == "no-store" and r.headers["referrer-policy"] == "no-referrer"
    assert 'name="viewport"' in r.text
    assert (await desk.client.head(desk.path(url))).status_code == 200
    assert [desk.state(i) for i in ids] == [(IncidentState.OPEN, None)] * 2
    assert not [c for c in desk.heard if c.kind is ChangeKind.ACKNOWLEDGED]


async def test_confirm_acknowledges_once_and_then_says_who_took_it(desk: Desk) -> None:
    ids = desk.outage("BTS-HOSP")
    url = SIGNER.link(BASE_URL, incident_ids=ids, person="hoa", now=T0, language="vi")
    desk.clock.now = T0 + 300
    token = form_token((await desk.client.get(desk.path(url))).text)
    r = await desk.client.post(desk.path(url), data={"token": token})
    assert r.status_code == 200
    page = text_of(r.text)
    assert page.count("đã xác nhận tiếp nhận") == 2 and "Kết quả xác nhận" in page
    assert [desk.state(i) for i in ids] == [(IncidentState.ACKNOWLEDGED, "Trần Thị Hoa")] * 2
    # the escalation engine hears of it through the service at once
    assert sorted(c.incident.id for c in desk.heard if c.kind is ChangeKind.ACKNOWLEDGED) == sorted(ids)
    assert desk.store.timeline(ids[0])[-1].kind is EventKind.ACKNOWLEDGED

    # someone else's link, later: already acknowledged, by whom and when; nothing changes
    other = SIGNER.link(BASE_URL, incident_ids=ids, person="an", now=T0, language="en")
    desk.clock.now = T0 + 600
    r = await desk.client.post(desk.path(other), data={"token": other.rsplit("/", 1)[1]})
    assert r.status_code == 200
    assert text_of(r.text).count("already acknowledged by Trần Thị Hoa at 22:20, 21 Sep 2026") == 2
    assert [desk.state(i) for i in ids] == [(IncidentState.ACKNOWLEDGED, "Trần Thị Hoa")] * 2
    # and the GET now shows that, with no button
    r = await desk.client.get(desk.path(other))
    assert "already acknowledged by Trần Thị Hoa" in text_of(r.text) and "<form" not in r.text


async def test_post_without_the_echoed_token_acknowledges_nothing(desk: Desk) -> None:
    ids = desk.outage("BTS-2")
    url = SIGNER.link(BASE_URL, incident_ids=ids, person="an", now=T0, language="en")
    for data in ({}, {"token": "x"}, {"token": SIGNER.token(incident_ids=ids, person="hoa", now=T0)}):
        r = await desk.client.post(desk.path(url), data=data)
        assert r.status_code == 400
        assert "The form does not match the link. Nothing was acknowledged." in text_of(r.text)
    assert [desk.state(i)[0] for i in ids] == [IncidentState.OPEN] * 2


async def test_expired_links_show_410_and_acknowledge_nothing(desk: Desk) -> None:
    ids = desk.outage("BTS-2")
    signer = AckSigner(KEY, ttl=600)
    url = signer.link(BASE_URL, incident_ids=ids, person="an", now=T0, language="vi")
    desk.clock.now = T0 + 601
    token = url.rsplit("/", 1)[1]
    for r in (await desk.client.get(desk.path(url)), await desk.client.post(desk.path(url), data={"token": token})):
        assert r.status_code == 410
        assert "Liên kết đã hết hạn lúc 22:25 21/09/2026" in text_of(r.text)
        assert "Không có gì được xác nhận." in text_of(r.text) and "<form" not in r.text
    assert [desk.state(i)[0] for i in ids] == [IncidentState.OPEN] * 2


async def test_a_link_that_expires_between_get_and_post_acknowledges_nothing(desk: Desk) -> None:
    ids = desk.outage("BTS-2")
    url = AckSigner(KEY, ttl=600).link(BASE_URL, incident_ids=ids, person="an", now=T0)
    desk.clock.now = T0 + 599
    token = form_token((await desk.client.get(desk.path(url))).text)
    desk.clock.now = T0 + 600
    assert (await desk.client.post(desk.path(url), data={"token": token})).status_code == 410
    assert [desk.state(i)[0] for i in ids] == [IncidentState.OPEN] * 2


async def test_altered_or_foreign_links_show_400_in_both_languages(desk: Desk) -> None:
    ids = desk.outage("BTS-2")
    token = SIGNER.token(incident_ids=ids, person="an", now=T0, language="en")
    altered = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    foreign = AckSigner(b"another sitewatch's secret key", ttl=600).token(incident_ids=ids, person="an", now=T0)
    for bad in (altered, foreign, "garbage", "x" * 3000):
        for r in (await desk.client.get(f"/ack/{bad}"),
                  await desk.client.post(f"/ack/{bad}", data={"token": bad})):
            assert r.status_code == 400
            page = text_of(r.text)
            assert "Liên kết xác nhận không hợp lệ" in page and "This acknowledge link is not valid" in page
    assert [desk.state(i)[0] for i in ids] == [IncidentState.OPEN] * 2


async def test_a_group_link_acknowledges_every_incident_of_the_group_at_use(desk: Desk) -> None:
    first = desk.outage("BTS-HOSP")
    desk.groups["gl/chu-se"] = first
    url = SIGNER.link(BASE_URL, person="an", group="gl/chu-se", now=T0, language="vi")
    desk.clock.now = T0 + 120
    later = desk.outage("BTS-2")  # joined the group after the page went out
    desk.groups["gl/chu-se"] = first + later
    elsewhere = desk.outage("TS-PKU")
    r = await desk.client.get(desk.path(url))
    assert "Trạm Chư Sê 2 (BTS-2)" in text_of(r.text) and "cả nhóm" in text_of(r.text)
    r = await desk.client.post(desk.path(url), data={"token": form_token(r.text)})
    assert r.status_code == 200 and text_of(r.text).count("đã xác nhận tiếp nhận") == 4
    assert [desk.state(i) for i in first + later] == [(IncidentState.ACKNOWLEDGED, "Nguyễn Văn An")] * 4
    assert [desk.state(i)[0] for i in elsewhere] == [IncidentState.OPEN] * 2


async def test_resolved_incidents_are_said_to_be_resolved(desk: Desk) -> None:
    ids = desk.outage("BTS-2")
    url = SIGNER.link(BASE_URL, incident_ids=ids, person="an", now=T0, language="en")
    desk.clock.now = T0 + 900
    for i in ids:
        desk.service.resolve(i, "api:noc", force=True)  # the UPS still says on battery
    r = await desk.client.get(desk.path(url))
    assert text_of(r.text).count("already resolved at 22:30, 21 Sep 2026") == 2 and "<form" not in r.text
    r = await desk.client.post(desk.path(url), data={"token": url.rsplit("/", 1)[1]})
    assert r.status_code == 200 and text_of(r.text).count("already resolved at 22:30, 21 Sep 2026") == 2
    assert [desk.state(i)[0] for i in ids] == [IncidentState.RESOLVED] * 2


async def test_unknown_incidents_and_empty_groups(desk: Desk) -> None:
    url = SIGNER.link(BASE_URL, incident_ids=(999,), person="an", now=T0, language="en")
    assert "Nothing left to acknowledge." in text_of((await desk.client.get(desk.path(url))).text)
    r = await desk.client.post(desk.path(url), data={"token": url.rsplit("/", 1)[1]})
    assert r.status_code == 200 and "incident #999 not found" in text_of(r.text)
    empty = SIGNER.link(BASE_URL, person="an", group="nobody-home", now=T0, language="en")
    r = await desk.client.post(desk.path(empty), data={"token": empty.rsplit("/", 1)[1]})
    assert r.status_code == 200 and "Nothing left to acknowledge." in text_of(r.text)


async def test_without_a_secret_the_page_says_links_are_not_configured(desk: Desk) -> None:
    ids = desk.outage("BTS-2")
    url = SIGNER.link(BASE_URL, incident_ids=ids, person="an", now=T0)
    desk.signer = None
    r = await desk.client.post(desk.path(url), data={"token": url.rsplit("/", 1)[1]})
    assert r.status_code == 503 and "not configured" in text_of(r.text)
    assert [desk.state(i)[0] for i in ids] == [IncidentState.OPEN] * 2


async def test_a_hostile_interface_name_is_shown_not_obeyed(desk: Desk) -> None:
    # as stored before device text was cleaned at the edge: the page must still escape it
    hostile = '<a href="https://evil.example/ack">eth9</a><script>alert(1)</script>'
    desk.service.on_trap(TrapEvent(site_id="BTS-HOSP", received_at=T0, trap_oid="1.3.6.1.6.3.1.1.5.3",
                                   name="linkDown", source="127.0.0.1:1162",
                                   asserts=((Condition.LINK_DOWN, hostile, True),)))
    ids = [i.id for i in desk.store.open_incidents(["BTS-HOSP"])]
    r = await desk.client.get(desk.path(SIGNER.link(BASE_URL, incident_ids=ids, person="hoa", now=T0,
                                                    language="vi")))
    assert r.status_code == 200
    assert "evil.example" in r.text and "<a " not in r.text and "<script" not in r.text
    assert hostile in text_of(r.text)
