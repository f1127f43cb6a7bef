"""A BTS loses mains: the district on-call is paged by SMS and email, nobody answers, the next
level is paged, an acknowledgement stops everything at once, the restoration tells everyone.
Counted at real receivers (an HTTP SMS gateway and an SMTP server on 127.0.0.1)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sitewatch.config.schema import Config
from sitewatch.core.conditions import Condition, Transition, TransitionKind
from sitewatch.core.incident import IncidentState
from sitewatch.escalation.engine import EscalationEngine
from sitewatch.escalation.state import Status
from sitewatch.store.database import SqliteDatabase
from sitewatch.store.incidents import IncidentStore
from tests.escalation.conftest import MIN, T0, World, WorldFactory

AN, BINH, CUONG = "+84901000001", "+84901000002", "+84901000003"


def kinds(world: World, number: str) -> list[str]:
    """What each SMS to ``number`` was, from its idempotency key (``g1/page/L0R0/an/c0``)."""
    return [r.json()["ref"].split("/")[1] for r in world.sms_to(number)]


async def test_page_escalate_acknowledge_resolve(world: World) -> None:
    incident = world.open("BTS-PK")
    await world.settle()
    assert world.sms() == [] and world.smtp.messages == [], "nothing before the group wait"

    await world.run_until(T0 + 30)  # group wait over: the district on-call gets an SMS and an email
    assert kinds(world, AN) == ["page"]
    [sms] = world.sms_to(AN)
    assert "BTS Pleiku" in sms.json()["text"] and sms.at == T0 + 30
    assert len(world.mail_to("an@noc.example")) == 1
    assert world.sms_to(BINH) == []

    await world.run_until(T0 + 30 + 5 * MIN)  # an's own rule: SMS again after 5 min while unacknowledged
    assert kinds(world, AN) == ["page", "reminder"]
    assert world.sms_to(BINH) == []

    await world.run_until(T0 + 30 + 10 * MIN)  # nobody answered: the provincial duty officer
    assert kinds(world, BINH) == ["page"]
    assert world.sms_to(BINH)[0].at == T0 + 30 + 10 * MIN
    assert world.mail_to("binh@noc.example") == [], "binh's email comes 5 min after his SMS"

    await world.run_until(T0 + 30 + 12 * MIN)
    world.service.acknowledge(incident.id, "binh")  # the ack page / API / CLI all end here
    before = len(world.http.requests), len(world.smtp.messages)
    await world.settle()
    # at once: an hears that binh took it; binh's pending email and an's repeats are cancelled
    assert kinds(world, AN) == ["page", "reminder", "reminder", "ack"]
    assert len(world.mail_to("an@noc.example")) == 2
    e = world.engine.escalations_of(incident.id)[0]
    assert e.status is Status.ACKNOWLEDGED and e.acknowledged_by == "binh"
    assert [x.status for x in world.engine.deliveries(e.key) if x.person == "binh"] == ["sent", "cancelled"]
    assert len(world.http.requests) == before[0] + 1 and len(world.smtp.messages) == before[1] + 1

    await world.run_until(T0 + 90 * MIN, step=30)  # well past every wait: nothing more, no director
    assert kinds(world, AN) == ["page", "reminder", "reminder", "ack"]
    assert kinds(world, BINH) == ["page"] and world.mail_to("binh@noc.example") == []
    assert world.sms_to(CUONG) == []

    world.clear("BTS-PK")  # mains restored: everyone who was paged hears it
    await world.settle()
    assert kinds(world, AN)[-1] == "resolved" and kinds(world, BINH) == ["page", "resolved"]
    assert len(world.mail_to("an@noc.example")) == 3
    assert world.engine.escalation(e.key).status is Status.RESOLVED
    keys = Counter(r.json()["ref"] for r in world.sms())
    assert set(keys.values()) == {1}, "no message twice"
    assert world.by_label("sitewatch_escalation_level_reached_total", "level") == {"1": 1, "2": 1, "3": 0}
    # acknowledged 12 min after the first page: the (600, 900] bucket
    assert world.metric("sitewatch_time_to_acknowledge_seconds_bucket", le="600.0") == 0
    assert world.metric("sitewatch_time_to_acknowledge_seconds_bucket", le="900.0") == 1
    assert world.metric("sitewatch_notifications_total", channel="email", result="cancelled") == 1


async def test_a_level_with_nobody_reachable_is_recorded_and_passed_at_once(make_world: WorldFactory) -> None:
    world = make_world(policies={"bts-battery": {"levels": [{"notify": [{"roster": "ghost"}], "wait": "10m"},
                                                            {"notify": [{"roster": "gialai"}], "wait": "20m"}]}})
    incident = world.open("BTS-PK")
    await world.run_until(T0 + 30)
    # the ghost roster's only member has no contact: binh (level 2) is paged at the group wait's end
    assert kinds(world, BINH) == ["page"] and world.sms_to(BINH)[0].at == T0 + 30
    assert world.sms_to(AN) == []
    [e] = world.engine.escalations_of(incident.id)
    events = [(x.kind, x.level, x.text) for x in world.engine.history(e.key)]
    assert ("unreachable", 0, "person dung: has no contact method") in events
    assert ("skipped", 0, "nobody reachable; next level at once") in events
    assert world.by_label("sitewatch_escalation_level_unreachable_total", "level") == {"1": 1, "2": 0}
    assert e.level == 1 and e.next_step_at == T0 + 30 + 20 * MIN


async def test_hospital_sites_escalate_twice_as_fast(world: World) -> None:
    world.open("BTS-HOSP")  # its route: group per site, no group wait, waits × 0.5
    await world.settle()
    assert kinds(world, AN) == ["page"] and world.sms_to(AN)[0].at == T0
    await world.run_until(T0 + 5 * MIN)
    assert kinds(world, BINH) == ["page"] and world.sms_to(BINH)[0].at == T0 + 5 * MIN


async def test_a_restart_mid_escalation_resumes_and_the_auditor_runs_the_overdue_step(world: World,
                                                                                      db_path: Path) -> None:
    incident = world.open("BTS-PK")
    await world.run_until(T0 + 30)
    assert kinds(world, AN) == ["page"]
    # the daemon dies; 25 minutes later a new process opens the same database
    world.store.db.close()
    world.clock.advance(25 * MIN)
    store = IncidentStore(SqliteDatabase(db_path))
    try:
        engine = EscalationEngine(store=store, config=world.config, clock=world.clock,
                                  notifiers=world.engine.worker.notifiers)
        world.engine, world.store = engine, store
        assert engine.audit() == 1 and world.metric("sitewatch_escalation_audit_overdue_total") == 1
        await world.settle()
        # one step: level 2 now (not level 3 skipped to), and an is not paged again
        assert kinds(world, BINH) == ["page"] and world.sms_to(BINH)[0].at == T0 + 30 + 25 * MIN
        assert kinds(world, AN) == ["page", "reminder"], "one catch-up reminder, not a burst"
        assert world.sms_to(CUONG) == []
        [e] = engine.escalations_of(incident.id)
        assert e.level == 1 and e.next_step_at == world.clock.time() + 20 * MIN
        assert engine.audit() == 0
    finally:
        store.db.close()


async def test_an_incident_missed_by_a_crash_is_paged_by_the_auditor(world: World) -> None:
    # committed by the incident service, but the process died before the engine heard of it
    world.service.lifecycle.apply([Transition(site_id="BTS-PK", condition=Condition.MAINS_LOST,
                                              kind=TransitionKind.OPENED, at=T0)], T0)
    world.clock.advance(40)
    assert world.engine.audit() == 0  # found and grouped now: its group wait starts now
    await world.run_until(T0 + 40 + 30)
    assert kinds(world, AN) == ["page"]


async def test_acknowledged_and_still_open_renotifies_the_acknowledger(world: World) -> None:
    incident = world.open("BTS-PK")
    await world.run_until(T0 + 30)
    world.clock.advance(2 * MIN)
    world.service.acknowledge(incident.id, "an")
    await world.settle()
    assert kinds(world, AN) == ["page"], "an acknowledged: nobody else to tell"
    await world.run_until(T0 + 30 + 2 * MIN + 2 * 3600 - 5, step=60)
    assert kinds(world, AN) == ["page"]
    await world.run_until(T0 + 30 + 2 * MIN + 2 * 3600)
    assert kinds(world, AN) == ["page", "renotify"]
    assert world.engine.store.get_incident(incident.id).state is IncidentState.ACKNOWLEDGED
    assert world.sms_to(BINH) == []


async def test_acknowledged_through_the_api_by_someone_not_paged_tells_those_paged(world: World) -> None:
    incident = world.open("BTS-PK")
    await world.run_until(T0 + 30)
    world.service.acknowledge(incident.id, "api:noc-console")
    await world.settle()
    [e] = world.engine.state.unresolved()
    assert e.status is Status.ACKNOWLEDGED and e.acknowledged_by == "api:noc-console"
    assert kinds(world, AN) == ["page", "ack"]  # an was paged and is not the acknowledger
    await world.run_until(T0 + 30 * MIN, step=30)
    assert world.sms_to(BINH) == [] and kinds(world, AN) == ["page", "ack"]


def _with_aggregation_site(sites: list[dict[str, object]]) -> list[dict[str, object]]:
    agg = {"id": "AGG-PK", "name": "Trạm tập trung Pleiku", "kind": "telecom_station", "province": "Gia Lai",
           "district": "Pleiku"}
    return [agg, *({**s, "parent": "AGG-PK"} if s["id"] == "BTS-PK" else s for s in sites)]


async def test_a_suppressed_incident_withdraws_its_escalation_and_pages_again_once_released(
        make_world: WorldFactory) -> None:
    world = make_world(sites=_with_aggregation_site,
                       routes=lambda routes: [*routes, {"policy": "bts-battery", "group_wait": "30s"}])
    bts = world.open("BTS-PK", Condition.SITE_UNREACHABLE)
    await world.run_until(T0 + 2 * MIN)
    world.open("AGG-PK", Condition.SITE_UNREACHABLE)  # the BTS is unreachable because its parent is
    await world.settle()
    assert world.engine.escalation("g1").status is Status.WITHDRAWN
    await world.run_until(T0 + 8 * MIN)
    world.clear("AGG-PK", Condition.SITE_UNREACHABLE)  # the parent is back, the BTS is still down
    await world.run_until(T0 + 12 * MIN)
    world.clear("BTS-PK", Condition.SITE_UNREACHABLE)
    await world.settle()
    refs = [r.json()["ref"] for r in world.sms_to(AN)]
    assert refs == ["g1/page/L0R0/an/c0",  # the BTS
                    "g2/page/L0R0/an/c0", "g2/reminder/L0R0/1/an/c0", "g2/resolved/an/c0",  # the parent
                    "g3/page/L0R0/an/c0", "g3/resolved/an/c0"], "the BTS again, and its end told once"
    assert [e.kind for e in world.engine.history("g1")][-1] == "moved"
    assert world.engine.escalation("g3").status is Status.RESOLVED
    assert world.engine.escalations_of(bts.id) == []


async def test_when_no_level_reaches_anyone_it_starts_over_until_someone_can_be_paged(
        make_world: WorldFactory) -> None:
    world = make_world(policies={"bts-battery": {"levels": [{"notify": [{"roster": "ghost"}], "wait": "10m"},
                                                            {"notify": [{"people": ["dung"]}], "wait": "10m"}]}})
    incident = world.open("BTS-PK")
    await world.run_until(T0 + 30)
    assert world.sms() == []
    [e] = world.engine.escalations_of(incident.id)
    assert e.status is Status.ACTIVE and e.next_step_at == T0 + 30 + 10 * MIN
    assert [x.kind for x in world.engine.history(e.key)][-1] == "nobody"
    assert world.by_label("sitewatch_escalation_level_unreachable_total", "level") == {"1": 1, "2": 1}
    # dung gets a phone before the next try: the level-1 roster pages them then
    people = world.config.model_dump(mode="json", by_alias=True)["people"]
    people["dung"]["contacts"] = [{"channel": "sms", "address": "+84901000004"}]
    world.engine.set_config(world.config.model_copy(update={"people": Config.model_validate(
        {"people": people}).people}))
    await world.run_until(T0 + 30 + 10 * MIN)
    assert [r.json()["ref"] for r in world.sms()] == ["g1/page/L0R0/dung/c0"]
