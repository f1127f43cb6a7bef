"""An incident's paging history (issue 18 item 4), read from what the engine stored while it paged
real receivers: a gateway failing then recovering (retries), a mail server refusing (a dead
letter and a fallback), the next level, an acknowledgement cancelling a page still waiting, and
the resolution notices. Asserted as a responder reads it."""

from __future__ import annotations

import pytest

from sitewatch.core.conditions import Condition
from sitewatch.escalation.history import Notification, mask_address
from sitewatch.incidents.errors import IncidentNotFound
from sitewatch.notify.model import MessageKind
from tests.escalation.conftest import MIN, T0, World, WorldFactory


async def _night(world: World) -> int:
    world.http.fail_with(500, duration=1 * MIN, path="/sms")  # the gateway is down for a minute
    # an's mailbox refuses the page, naming the address as mail servers do
    world.smtp.fail_with(550, count=1, text="5.1.1 <an@noc.example>: mailbox unavailable")
    incident = world.open("BTS-HOSP")  # the hospital: paged at once, next level after 5 min
    await world.run_until(T0 + 6 * MIN)
    world.service.acknowledge(incident.id, "an (ack link)")
    await world.run_until(T0 + 8 * MIN)
    world.clear("BTS-HOSP")
    await world.settle()
    return incident.id


def _row(n: Notification) -> tuple[object, ...]:
    return (n.kind.value, n.level, n.person_name, n.channel, n.address, n.status)


async def test_every_page_says_who_which_level_channel_and_what_became_of_it(world: World) -> None:
    incident_id = await _night(world)
    h = world.engine.incident_history(incident_id)

    [esc] = h.escalations
    assert (esc.key, esc.status, esc.level, esc.acknowledged_by) == ("g1", "resolved", 2, "Nguyễn Văn An")
    rows = [_row(n) for n in h.notifications]
    assert rows[:2] == [
        ("page", 1, "Nguyễn Văn An", "sms", "+8490****001", "sent"),
        ("page", 1, "Nguyễn Văn An", "email", "a***@noc.example", "dead"),
    ]
    assert ("reminder", 1, "Nguyễn Văn An", "sms", "+8490****001", "sent") in rows, "An's SMS again after 5 min"
    assert ("page", 2, "Trần Thị Bình", "sms", "+8490****002", "sent") in rows
    assert ("page", 2, "Trần Thị Bình", "email", "b***@noc.example", "cancelled") in rows, \
        "the email due 5 min after Bình's SMS was cancelled by the acknowledgement"
    assert ("acknowledged", None, "Trần Thị Bình", "sms", "+8490****002", "sent") in rows, "Bình told An took it"
    assert {n.person for n in h.notifications if n.kind is MessageKind.RESOLVED} == {"an", "binh"}

    first_sms = h.notifications[0]
    assert first_sms.attempts >= 2 and first_sms.first_attempt_at < T0 + 10, "retried while the gateway was down"
    assert first_sms.sent_at is not None and T0 + 1 * MIN <= first_sms.sent_at < T0 + 3 * MIN
    assert first_sms.queued_at == T0 and first_sms.error == ""
    mail = h.notifications[1]
    assert mail.sent_at is None and "550 5.1.1 <a***@noc.example>: mailbox unavailable" in mail.error
    cancelled = next(n for n in h.notifications if n.status == "cancelled")
    assert cancelled.finished_at == T0 + 6 * MIN and cancelled.due_at == T0 + 10 * MIN and cancelled.attempts == 0

    # the acknowledgement is on An's pages (An acknowledged), not on Bình's
    assert {(n.person, n.acknowledged_by) for n in h.notifications if n.acknowledged_at is not None} == {
        ("an", "an (ack link)")}
    assert all(n.acknowledged_at == T0 + 6 * MIN for n in h.notifications if n.acknowledged_by)

    kinds = [(s.kind, s.level, s.person_name) for s in h.steps]
    assert kinds[:3] == [("started", None, None), ("joined", None, None), ("paged", 1, "Nguyễn Văn An")]
    assert ("paged", 2, "Trần Thị Bình") in kinds and ("acknowledged", None, None) in kinds
    assert any(s.kind in ("fallback", "unreachable") and s.person == "an" for s in h.steps), "the dead email"
    assert [s.at for s in h.steps] == sorted(s.at for s in h.steps)
    # nothing of the full addresses anywhere in the history
    assert "+84901000001" not in repr(h) and "an@noc.example" not in repr(h)


async def test_a_group_member_sees_only_what_was_about_it(world: World) -> None:
    first = world.open("BTS-01")
    await world.run_until(T0 + 1 * MIN)  # the district group (30 s wait) pages An about BTS-01
    second = world.open("BTS-02")
    await world.run_until(T0 + 7 * MIN)  # the group interval passes: an update names BTS-02
    h1, h2 = world.engine.incident_history(first.id), world.engine.incident_history(second.id)
    assert [e.key for e in h1.escalations] == [e.key for e in h2.escalations] == ["g1"]
    assert {n.kind for n in h1.notifications} >= {MessageKind.PAGE}
    assert MessageKind.PAGE not in {n.kind for n in h2.notifications}, "BTS-02 joined after the page"
    assert MessageKind.UPDATE in {n.kind for n in h2.notifications}
    assert [s.text for s in h2.steps if s.kind == "joined"] == [f"incident #{second.id} (on_battery at BTS-02)"]
    assert not any(s.kind == "paged" and s.at < T0 + 1 * MIN for s in h2.steps)


async def test_an_incident_that_moved_keeps_the_pages_of_its_first_escalation(make_world: WorldFactory) -> None:
    world = make_world(sites=_with_aggregation_site,
                       routes=lambda routes: [*routes, {"policy": "bts-battery", "group_wait": "30s"}])
    bts = world.open("BTS-PK", Condition.SITE_UNREACHABLE)
    await world.run_until(T0 + 2 * MIN)
    world.open("AGG-PK", Condition.SITE_UNREACHABLE)  # suppressed by its parent: g1 is withdrawn
    await world.run_until(T0 + 8 * MIN)
    world.clear("AGG-PK", Condition.SITE_UNREACHABLE)  # the parent is back, the BTS pages again, in g3
    await world.run_until(T0 + 10 * MIN)
    h = world.engine.incident_history(bts.id)
    assert [(e.key, e.status, e.left_at is not None) for e in h.escalations] == [
        ("g1", "withdrawn", True), ("g3", "active", False)]
    assert [(n.escalation, n.kind.value, n.person) for n in h.notifications if n.channel == "sms"] == [
        ("g1", "page", "an"), ("g3", "page", "an")], "nothing of the parent's own escalation (g2)"
    assert [s.kind for s in h.steps if s.escalation == "g1"][-1] == "moved"
    assert ("g3", "carried") in [(s.escalation, s.kind) for s in h.steps]


def _with_aggregation_site(sites: list[dict[str, object]]) -> list[dict[str, object]]:
    agg = {"id": "AGG-PK", "name": "Trạm tập trung Pleiku", "kind": "telecom_station", "province": "Gia Lai",
           "district": "Pleiku"}
    return [agg, *({**s, "parent": "AGG-PK"} if s["id"] == "BTS-PK" else s for s in sites)]


async def test_an_address_a_gateway_echoes_in_its_error_is_masked_too(make_world: WorldFactory) -> None:
    world = make_world(policies={"bts-battery": {"levels": [{"notify": [{"roster": "directors"}], "wait": "30m"},
                                                            {"notify": [{"roster": "gialai"}], "wait": "30m"}]}})
    world.http.fail_with(400, count=1, path="/sms", json={"error": "invalid number +84901000003"})
    incident = world.open("BTS-HOSP")
    await world.settle()
    h = world.engine.incident_history(incident.id)
    dead = next(n for n in h.notifications if n.person == "cuong")
    assert dead.status == "dead" and "invalid number +8490****003" in dead.error
    [gone] = [s for s in h.steps if s.kind == "unreachable"]
    assert "every contact failed" in gone.text and "+8490****003" in gone.text
    assert "+84901000003" not in repr(h)


async def test_unknown_incident(world: World) -> None:
    with pytest.raises(IncidentNotFound):
        world.engine.incident_history(999)
    assert world.engine.incident_history(world.open("BTS-PK", Condition.MAINS_LOST).id).notifications == ()


@pytest.mark.parametrize(("address", "shown"), [
    ("+84901000001", "+8490****001"), ("an@noc.example", "a***@noc.example"), ("-1001234", "-1****34"),
    ("https://hooks.slack.example/services/T0/B0/secret", "https://hooks.slack.example/…"), ("", ""), ("42", "****"),
])
def test_addresses_are_masked(address: str, shown: str) -> None:
    assert mask_address(address) == shown
