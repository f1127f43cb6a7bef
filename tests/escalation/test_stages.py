"""The pure stages: routing, policy snapshots, target resolution, contact plans, token bucket, backoff."""

from __future__ import annotations

import random
from typing import Any

import pytest

from sitewatch.config.oncall_schema import Target
from sitewatch.config.schema import Config
from sitewatch.core.conditions import Condition, Severity
from sitewatch.core.incident import Incident, IncidentState
from sitewatch.escalation.policy import PolicySnapshot, snapshot
from sitewatch.escalation.ratelimit import RETRY_CAP, TokenBucket, retry_delay
from sitewatch.escalation.routing import route_incident
from sitewatch.escalation.targets import (
    ContactPlan,
    Unreachable,
    contact_plan,
    fallback_rules,
    immediate_contacts,
    resolve_targets,
)
from sitewatch.oncall.schedule import who_is_on_call
from tests.escalation.conftest import T0, World, WorldFactory, make_config

CONFIG = make_config(http="http://127.0.0.1:1", smtp_port=1)
CHANNELS = frozenset({"sms", "email", "hook"})


def _incident(site: str, condition: Condition = Condition.ON_BATTERY) -> Incident:
    return Incident(id=1, site_id=site, condition=condition, severity=Severity.WARNING, state=IncidentState.OPEN,
                    opened_at=T0, updated_at=T0)


def test_first_matching_route_wins_and_groups_by_its_fields() -> None:
    hosp = route_incident(CONFIG.routes, _incident("BTS-HOSP"), CONFIG.site("BTS-HOSP"))
    assert hosp is not None and hosp.index == 0 and hosp.matched
    assert hosp.group_key == "route1:bts-battery/site=BTS-HOSP"
    plain = route_incident(CONFIG.routes, _incident("BTS-07"), CONFIG.site("BTS-07"))
    assert plain is not None and plain.index == 1 and plain.group_key == "route2:bts-battery/district=Chư Sê"
    other = route_incident(CONFIG.routes, _incident("BTS-08", Condition.MAINS_LOST), CONFIG.site("BTS-08"))
    assert other is not None and other.group_key == plain.group_key, "one district, one group, any condition"


def test_an_incident_no_route_fits_falls_back_to_the_last_route_and_says_so() -> None:
    routes = (CONFIG.routes[0].model_copy(update={"match": CONFIG.routes[0].match.model_copy(
        update={"condition": ("lvd_open",)})}), CONFIG.routes[0])
    decision = route_incident(routes, _incident("BTS-07"), CONFIG.site("BTS-07"))
    assert decision is not None and not decision.matched and decision.index == 1
    assert "no route matched" in decision.describe()
    assert route_incident((), _incident("BTS-07"), CONFIG.site("BTS-07")) is None


async def test_an_unmatched_incident_is_still_paged_and_counted(make_world: WorldFactory) -> None:
    world: World = make_world(routes=[{"match": {"criticality": ["critical"]}, "policy": "bts-battery",
                                       "group_wait": 0}])
    world.open("BTS-PK")
    await world.settle()
    assert [r.json()["to"] for r in world.sms()] == ["+84901000001"]
    assert world.metric("sitewatch_route_unmatched_total") == 1


async def test_with_no_routes_nothing_pages_and_it_is_counted(make_world: WorldFactory,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    world: World = make_world(routes=[])
    world.open("BTS-PK")
    await world.run_until(T0 + 60)
    assert world.sms() == [] and world.metric("sitewatch_route_unmatched_total") == 1
    assert "no routes are configured" in caplog.text


def test_a_snapshot_multiplies_waits_and_survives_json() -> None:
    snap = snapshot("bts-battery", CONFIG.policies["bts-battery"], CONFIG.routes[0])
    assert [lv.wait for lv in snap.levels] == [300.0, 600.0, 900.0]
    assert PolicySnapshot.from_json(snap.to_json()) == snap
    assert snap.after(-1, 0) == (0, 0) and snap.after(0, 0) == (1, 0) and snap.after(2, 0) is None
    twice = snapshot("p", CONFIG.policies["bts-battery"].model_copy(update={"repeat": 1}), CONFIG.routes[1])
    assert twice.after(2, 0) == (0, 1) and twice.after(2, 1) is None


def _config(**changes: Any) -> Config:
    return CONFIG.model_copy(update=changes)


def test_targets_resolve_to_reachable_people_and_say_why_others_are_not() -> None:
    found = resolve_targets(CONFIG, (Target(roster="chuse"), Target(people=("binh", "an", "nobody")),
                                     Target(team="ghost"), Target(roster="missing")),
                            T0, on_call=who_is_on_call, channels=CHANNELS)
    assert found.people == ("an", "binh")
    assert found.unreachable == (Unreachable(who="person nobody", reason="not in people"),
                                 Unreachable(who="person dung", reason="has no contact method"),
                                 Unreachable(who="roster missing", reason="not configured"))
    sms_only = resolve_targets(CONFIG, (Target(people=("an", "cuong")),), T0, on_call=who_is_on_call,
                               channels=frozenset({"email"}))
    assert sms_only.people == ("an",)
    assert sms_only.unreachable == (Unreachable(who="person cuong", reason="no contact on a configured channel (sms)"),)
    empty = resolve_targets(CONFIG, (Target(team="nobody-here"), Target(roster="chuse")), T0,
                            on_call=lambda config, roster, at: (), channels=CHANNELS)
    assert empty.people == () and [str(u) for u in empty.unreachable] == [
        "team nobody-here: nobody in this team", "roster chuse: nobody on call"]


def test_contact_plans_follow_the_persons_rules() -> None:
    an, binh = CONFIG.people["an"], CONFIG.people["binh"]
    assert contact_plan(an, CHANNELS) == (ContactPlan(contact=0, after=0.0, repeat=300.0),
                                          ContactPlan(contact=1, after=0.0, repeat=None))
    assert contact_plan(CONFIG.people["cuong"], CHANNELS) == (ContactPlan(contact=0, after=0.0, repeat=None),)
    assert immediate_contacts(binh, CHANNELS) == (0,)  # the email comes 5 min later: not for follow-ups
    assert contact_plan(binh, frozenset({"email"})) == (ContactPlan(contact=1, after=300.0, repeat=None),)
    assert immediate_contacts(binh, frozenset({"email"})) == (1,)
    assert contact_plan(CONFIG.people["dung"], CHANNELS) == ()


def test_fallback_rules_are_no_part_of_the_page_time_plan() -> None:
    people = make_config(http="http://127.0.0.1:1", smtp_port=1, people=lambda p: {
        "an": {**p["an"], "rules": [{"contact": 0}, {"contact": 1, "if_down": {"contact": 0, "for": "2m"}}]},
        "binh": {**p["binh"], "rules": [{"contact": 1, "if_down": {"contact": 0}}]}}).people
    assert contact_plan(people["an"], CHANNELS) == (ContactPlan(contact=0, after=0.0, repeat=None),)
    assert people["an"].rules[1].if_down is not None and people["an"].rules[1].if_down.for_ == 120.0
    # only a fallback rule: the other contacts are used at once, the fallback waits for an outage
    assert contact_plan(people["binh"], CHANNELS) == (ContactPlan(contact=0, after=0.0, repeat=None),)
    assert [r.contact for r in fallback_rules(people["binh"], 0)] == [1] and fallback_rules(people["binh"], 1) == ()


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(2.0, now=0.0)
    assert [bucket.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.5]
    assert bucket.take(0.25) == pytest.approx(0.25)
    assert bucket.take(0.5) == 0.0 and bucket.take(0.5) == pytest.approx(0.5)
    slow = TokenBucket(0.1, now=0.0)
    assert slow.take(0.0) == 0.0 and slow.take(1.0) == pytest.approx(9.0)


def test_retry_delay_grows_with_jitter_caps_and_honours_retry_after() -> None:
    rng = random.Random(1)
    for attempt, base in ((1, 5.0), (2, 10.0), (3, 20.0), (10, RETRY_CAP)):
        delays = [retry_delay(attempt, None, rng) for _ in range(200)]
        assert all(base / 2 <= d <= base for d in delays)
        assert len(set(delays)) > 100, "jittered"
    assert retry_delay(1, 120.0, rng) == 120.0
    assert 5.0 <= retry_delay(2, 1.0, rng) <= 10.0
