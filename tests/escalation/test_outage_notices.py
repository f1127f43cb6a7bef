"""What people hear when a channel is down: a fallback contact after a while (their own rule),
a resolution only where the page was delivered, and one short late notice on the channel that
lost the page once it is back. End to end against the real SMS gateway stand-in and SMTP
server on 127.0.0.1, in Vietnamese (an) and English (binh)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sitewatch.messages.sms import sms_encoding
from tests.escalation.conftest import MIN, T0, World, WorldFactory

AN, BINH = "+84901000001", "+84901000002"
BY_SITE = [{"match": {"kind": ["bts"]}, "policy": "bts-battery", "group_by": ["site"], "group_wait": 0}]
#: the district on-call (an, Vietnamese) and the duty officer (binh, English) paged together
BOTH = {"bts-battery": {"levels": [{"notify": [{"roster": "chuse"}, {"roster": "gialai"}], "wait": "10m"}]}}
FALLBACK = [{"contact": 0}, {"contact": 1, "if_down": {"contact": 0, "for": "2m"}}]


def _sms_texts(world: World, number: str) -> list[str]:
    return [r.json()["text"] for r in world.sms_to(number)]


def _mail_bodies(world: World, address: str) -> list[str]:
    return [str(m.message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
            for m in world.smtp.messages if address in m.rcpt_tos]


def _people(**changes: dict[str, Any]) -> Any:
    return lambda people: {pid: {**p, **changes.get(pid, {})} for pid, p in people.items()}


def _local(t: float) -> str:
    return f"{datetime.fromtimestamp(t, ZoneInfo('Asia/Ho_Chi_Minh')):%H:%M}"


async def test_a_resolution_goes_where_the_page_went_and_a_lost_sms_gets_one_late_notice(
        make_world: WorldFactory) -> None:
    world = make_world(routes=BY_SITE, policies=BOTH)
    world.http.fail_with(500, duration=10 * MIN, path="/sms")
    world.open("BTS-03")
    await world.run_until(T0 + 4 * MIN)
    assert world.sms() == []
    assert [s.startswith("[Sự cố]") for s in world.mail_to("an@noc.example")] == [True], "an's page went by email"
    assert world.mail_to("binh@noc.example") == [], "binh's email comes 5 min after his SMS"

    world.clear("BTS-03")  # resolved while the gateway is still down
    await world.run_until(T0 + 9 * MIN)
    mails = world.mail_to("an@noc.example")
    assert len(mails) == 2 and mails[1].startswith("[Đã khắc phục]"), "the resolution goes where the page went"
    assert world.mail_to("binh@noc.example") == [], "binh was never paged by email: no resolution there"
    assert world.sms() == []

    await world.run_until(T0 + 12 * MIN, step=1)  # the gateway is back
    [an] = _sms_texts(world, AN)
    assert an.startswith("[DA KHAC PHUC]") and "BTS Chu Se 03" in an, an
    assert f"{_local(T0)}-{_local(T0 + 4 * MIN)}" in an, "the outage as a span: they never saw it start"
    assert "khong gui duoc vi cong SMS bi loi" in an, an
    assert sms_encoding(an) == "gsm7"
    [binh] = _sms_texts(world, BINH)
    assert binh.startswith("[RESOLVED]") and "BTS Chu Se 03" in binh, binh
    assert "not delivered earlier because the SMS gateway was down" in binh, binh
    assert not [t for t in _sms_texts(world, AN) + _sms_texts(world, BINH) if "SU CO" in t or "INCIDENT" in t], \
        "the stale pages stay cancelled"

    await world.run_until(T0 + 30 * MIN, step=30)
    assert len(world.sms()) == 2 and len(world.mail_to("an@noc.example")) == 2, "one late notice each, once"
    assert world.mail_to("binh@noc.example") == []


async def test_a_group_lost_to_the_outage_gets_one_late_notice_listing_each_site(make_world: WorldFactory) -> None:
    world = make_world(policies=BOTH)  # the district's sites are one group
    world.http.fail_with(500, duration=10 * MIN, path="/sms")
    world.open("BTS-10")
    await world.run_until(T0 + 1 * MIN)
    world.open("BTS-11")
    await world.run_until(T0 + 3 * MIN)
    world.clear("BTS-10")
    await world.run_until(T0 + 4 * MIN)
    world.clear("BTS-11")
    await world.run_until(T0 + 15 * MIN, step=1)
    [an] = _sms_texts(world, AN)
    assert an.startswith("[DA KHAC PHUC] 2/2 tram"), an
    assert f"BTS Chu Se 10 (BTS-10) dang chay ac quy {_local(T0)}-{_local(T0 + 3 * MIN)}" in an, an
    assert f"BTS Chu Se 11 (BTS-11) dang chay ac quy {_local(T0 + MIN)}-{_local(T0 + 4 * MIN)}" in an, an
    assert an.endswith("Tin bao truoc do khong gui duoc vi cong SMS bi loi.") and sms_encoding(an) == "gsm7"
    [binh] = _sms_texts(world, BINH)
    assert binh.startswith("[RESOLVED] 2/2 sites"), binh
    assert f"BTS Chu Se 10 (BTS-10) running on battery {_local(T0)}-{_local(T0 + 3 * MIN)}" in binh, binh
    assert binh.endswith("This was not delivered earlier because the SMS gateway was down.")


async def test_a_person_who_wants_no_late_notices_gets_none(make_world: WorldFactory) -> None:
    world = make_world(routes=BY_SITE, policies=BOTH, people=_people(binh={"late_notices": False}))
    world.http.fail_with(500, duration=10 * MIN, path="/sms")
    world.open("BTS-04")
    await world.run_until(T0 + 3 * MIN)
    world.clear("BTS-04")
    await world.run_until(T0 + 15 * MIN, step=1)
    assert world.sms_to(BINH) == [] and world.mail_to("binh@noc.example") == []
    assert len(world.sms_to(AN)) == 1, "an still gets hers"


async def test_an_acknowledgement_notice_goes_only_where_the_page_was_delivered(make_world: WorldFactory) -> None:
    world = make_world(routes=BY_SITE, policies=BOTH)
    world.http.fail_with(500, duration=10 * MIN, path="/sms")
    incident = world.open("BTS-05")
    await world.run_until(T0 + 3 * MIN)
    world.service.acknowledge(incident.id, "binh")
    await world.settle()
    mails = world.mail_to("an@noc.example")
    assert len(mails) == 2 and mails[1].startswith("[Đã tiếp nhận]"), mails

    await world.run_until(T0 + 20 * MIN, step=5)  # the gateway is back: the acknowledged page stays unsent
    assert world.sms() == []

    world.clear("BTS-05")
    await world.settle()
    assert world.mail_to("an@noc.example")[2].startswith("[Đã khắc phục]")
    [an] = _sms_texts(world, AN)
    assert an.startswith("[DA KHAC PHUC]") and "cong SMS" in an, "the SMS that was lost is explained, once resolved"
    [binh] = _sms_texts(world, BINH)
    assert binh.startswith("[RESOLVED]") and "SMS gateway was down" in binh


async def test_with_the_gateway_up_nothing_changes_for_a_resolution(make_world: WorldFactory) -> None:
    world = make_world(routes=BY_SITE, policies=BOTH)
    world.open("BTS-06")
    await world.run_until(T0 + 6 * MIN)  # an: SMS + email; binh: SMS, and email after 5 min
    world.clear("BTS-06")
    await world.settle()
    assert [t.split("]")[0] for t in _sms_texts(world, AN)] == ["[SU CO", "[NHAC LAI", "[DA KHAC PHUC"]
    assert [t.split("]")[0] for t in _sms_texts(world, BINH)] == ["[INCIDENT", "[RESOLVED"]
    assert [s.split("]")[0] for s in world.mail_to("binh@noc.example")] == ["[Incident", "[Resolved"], \
        "binh's email page was delivered: so is the resolution"
    assert not [t for t in _sms_texts(world, AN) + _sms_texts(world, BINH) if "bi loi" in t or "was down" in t]


async def test_a_fallback_rule_sends_the_page_by_email_once_when_sms_has_been_down_for_its_time(
        make_world: WorldFactory) -> None:
    world = make_world(routes=BY_SITE, policies=BOTH,
                       people=_people(an={"rules": FALLBACK}, binh={"rules": FALLBACK}))
    world.http.fail_with(500, duration=8 * MIN, path="/sms")
    world.open("BTS-07")
    await world.run_until(T0 + 1 * MIN)
    down_since = world.engine.worker.health.state("sms").down_since
    assert down_since is not None
    assert world.smtp.messages == [], "the fallback rule is not used at page time"

    await world.run_until(down_since + 2 * MIN - 5)
    assert world.smtp.messages == []
    await world.run_until(down_since + 2 * MIN + 10)
    [an] = _mail_bodies(world, "an@noc.example")
    assert f"Cổng SMS không gửi được từ {_local(down_since)}; tin này gửi qua email thay thế." in an, an
    assert world.mail_to("an@noc.example")[0].startswith("[Sự cố]")
    [binh] = _mail_bodies(world, "binh@noc.example")
    assert f"SMS gateway down since {_local(down_since)}; sent by email instead." in binh, binh
    events = [e for e in world.engine.history("g1") if e.kind == "fallback"]
    assert sorted(e.person or "" for e in events) == ["an", "binh"], events
    assert "sms" in events[0].text and "email" in events[0].text

    await world.run_until(T0 + 11 * MIN, step=1)  # the gateway is back: the SMS page still goes
    assert len(world.mail_to("an@noc.example")) == 1 and len(world.mail_to("binh@noc.example")) == 1, "once"
    assert [t.split("]")[0] for t in _sms_texts(world, AN)] == ["[SU CO"]
    assert [t.split("]")[0] for t in _sms_texts(world, BINH)] == ["[INCIDENT"]

    world.clear("BTS-07")
    await world.settle()
    assert world.mail_to("an@noc.example")[-1].startswith("[Đã khắc phục]"), "the page went by email too"
    assert _sms_texts(world, AN)[-1].startswith("[DA KHAC PHUC]")
    assert "bi loi" not in _sms_texts(world, AN)[-1], "the SMS page was delivered: a plain resolution"


async def test_a_fallback_waits_for_its_time_and_is_not_sent_if_the_gateway_answers_sooner(
        make_world: WorldFactory) -> None:
    world = make_world(routes=BY_SITE, people=_people(an={"rules": FALLBACK}))
    world.http.fail_with(500, duration=1 * MIN, path="/sms")
    world.open("BTS-08")
    await world.run_until(T0 + 10 * MIN, step=5)
    assert [t.split("]")[0] for t in _sms_texts(world, AN)] == ["[SU CO"]
    assert world.smtp.messages == []


async def test_a_page_on_the_wire_when_the_incident_resolves_still_gets_its_resolution(
        make_world: WorldFactory) -> None:
    world = make_world(routes=BY_SITE)  # an: SMS and email at once
    gate = world.http.hold(path="/sms")
    world.open("BTS-09")
    sending = asyncio.create_task(world.engine.worker.send_due())
    await world.http.wait_for(1, path="/sms")
    world.clear("BTS-09")  # resolved while the SMS page is on the wire: it cannot be called back
    gate.set()
    await sending
    await world.settle()
    assert [t.split("]")[0] for t in _sms_texts(world, AN)] == ["[SU CO", "[DA KHAC PHUC"], \
        "the page reached her phone, so does its resolution"
    assert "bi loi" not in _sms_texts(world, AN)[1]
    # the email page raced the resolution too: sent before it, on the wire, or called back in time
    assert [m.split("]")[0] for m in world.mail_to("an@noc.example")] in ([], ["[Sự cố", "[Đã khắc phục"])
    await world.run_until(T0 + 10 * MIN, step=30)
    assert len(world.sms_to(AN)) == 2, "once"


async def test_a_probe_that_gets_through_after_the_resolution_is_followed_by_a_plain_resolution(
        make_world: WorldFactory) -> None:
    world = make_world(routes=BY_SITE)
    world.http.fail_with(500, count=3, path="/sms")
    gate = world.http.hold(path="/sms")
    gate.set()
    world.open("BTS-12")
    while world.engine.worker.health.state("sms").up:
        await world.run_until(world.clock.time() + 1, step=1)
    probe_at = world.engine.worker.health.probe_at("sms")
    assert probe_at is not None
    gate.clear()
    world.clock.t = probe_at
    sending = asyncio.create_task(world.engine.worker.send_due())
    await world.http.wait_for(1, path="/sms")
    world.clear("BTS-12")  # the page was lost as far as anyone could tell: a late notice is queued
    gate.set()
    await sending  # ... but the probe was that page, and it went through
    await world.run_until(world.clock.time() + 5 * MIN, step=5)
    texts = _sms_texts(world, AN)
    assert [t.split("]")[0] for t in texts] == ["[SU CO", "[DA KHAC PHUC"], texts
    assert "bi loi" not in texts[1], "she got the page: the resolution does not say it was lost"
