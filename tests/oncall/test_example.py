"""The Gia Lai duty system as shipped: district rosters with day and night layers, the
provincial duty officer and the director on duty, and the routes the issue describes (a BTS
on battery → district → 10 min → duty officer → 20 min → director; hospital sites faster)."""

from __future__ import annotations

from pathlib import Path

from sitewatch.config.loader import load_config
from sitewatch.config.schema import Config, Criticality
from sitewatch.core.conditions import Condition, Severity
from sitewatch.core.incident import Incident, IncidentState
from sitewatch.escalation.routing import route_incident
from sitewatch.oncall.checks import oncall_warnings
from sitewatch.oncall.schedule import on_call_for_team, schedule_for, shift_starts, who_is_on_call
from sitewatch.simulator.fleetconfig import fleet_config, write_fleet_config
from sitewatch.simulator.plan import plan_fleet
from tests.oncall.util import at

DISTRICT_TEAMS = ("ut-pleiku", "ut-an-khe", "ut-ayun-pa", "ut-chu-se")


def _on_battery(site_id: str) -> Incident:
    return Incident(id=1, site_id=site_id, condition=Condition.ON_BATTERY, severity=Severity.WARNING,
                    state=IncidentState.OPEN, opened_at=0.0, updated_at=0.0)


def test_no_warnings_all_year_round(config: Config) -> None:
    for month in range(1, 13):
        assert oncall_warnings(config, at(f"2026-{month:02d}-15T12:00")) == []


def test_each_district_team_has_a_day_and_a_night_layer_and_someone_on_call_around_the_clock(config: Config) -> None:
    for team in DISTRICT_TEAMS:
        [roster] = [r for r in config.rosters.values() if r.team == team]
        assert [layer.name for layer in roster.layers] == ["day", "night"]
        for hour in range(24):
            assert len(on_call_for_team(config, team, at(f"2026-12-23T{hour:02d}:15"))) == 1


def test_the_night_layer_takes_over_at_18_and_an_khe_keeps_the_day_person_at_weekends(config: Config) -> None:
    assert who_is_on_call(config, "ut-ayun-pa", at("2026-12-23T17:59")) != who_is_on_call(
        config, "ut-ayun-pa", at("2026-12-23T18:00"))
    saturday_day = who_is_on_call(config, "ut-an-khe", at("2026-12-26T12:00"))
    assert who_is_on_call(config, "ut-an-khe", at("2026-12-26T23:00")) == saturday_day
    assert who_is_on_call(config, "ut-an-khe", at("2026-12-28T23:00")) != who_is_on_call(
        config, "ut-an-khe", at("2026-12-28T12:00"))


def test_a_bts_on_battery_escalates_district_then_duty_officer_then_director(config: Config) -> None:
    bts = next(s for s in config.sites if s.kind.value == "bts" and s.team == "ut-chu-se"
               and s.criticality is Criticality.NORMAL)
    decision = route_incident(config.routes, _on_battery(bts.id), bts)
    assert decision is not None and decision.matched
    policy = config.policies[decision.route.policy]
    assert [[t.roster for t in level.notify] for level in policy.levels] == [
        ["ut-chu-se"], ["truc-dieu-hanh"], ["truc-lanh-dao"]]
    waits = [level.wait * decision.route.wait_factor for level in policy.levels]
    assert (waits[0], waits[0] + waits[1]) == (600, 1200)  # duty officer at 10 min, director at 20


def test_sites_serving_hospitals_get_half_the_waits(config: Config) -> None:
    serving = [s for s in config.sites if s.criticality is not Criticality.NORMAL and s.team in DISTRICT_TEAMS]
    assert serving
    for site in serving:
        decision = route_incident(config.routes, _on_battery(site.id), site)
        assert decision is not None
        assert (decision.route.policy, decision.route.wait_factor) == (site.team, 0.5)


def test_sites_of_no_district_team_go_to_the_duty_officer(config: Config) -> None:
    post_office = next(s for s in config.sites if s.team == "buu-chinh")
    decision = route_incident(config.routes, _on_battery(post_office.id), post_office)
    assert decision is not None and decision.matched
    assert decision.route.policy == "province"


def test_shift_notifications_once_per_shift_start_for_those_who_asked(config: Config) -> None:
    start, end = at("2026-12-23T00:00"), at("2026-12-24T00:00")
    seen = [x for t in range(int(start), int(end), 600) for x in shift_starts(config, t, t + 600)]
    assert seen == shift_starts(config, start, end)  # ten-minute windows: each start once
    assert all(config.people[x.person].shift_notifications for x in seen)
    pleiku = [(x.person, x.start, x.end) for x in seen if x.roster == "ut-pleiku"]
    # Dec 23: tran-thi-binh's day from 07:00 (asked); the night person pham-thi-dung at 18:00 (asked)
    assert pleiku == [("tran-thi-binh", at("2026-12-23T07:00"), at("2026-12-23T18:00")),
                      ("pham-thi-dung", at("2026-12-23T18:00"), at("2026-12-24T07:00"))]
    duty = [(x.person, x.start) for x in seen if x.roster == "truc-dieu-hanh"]
    assert duty == [("le-minh-khoa", at("2026-12-23T07:30")), ("nguyen-thi-hanh", at("2026-12-23T19:30"))]
    # hoang-van-hai did not ask: his night week starts on 2026-12-28 and nobody is told
    quiet = shift_starts(config, at("2026-12-28T17:00"), at("2026-12-28T19:00"))
    assert [x.person for x in quiet if x.roster == "ut-pleiku"] == []
    assert schedule_for(config.rosters["ut-pleiku"], "ut-pleiku").on_call(at("2026-12-28T18:30")) == ("hoang-van-hai",)


def test_the_duty_sections_survive_the_simulated_fleet_config(config: Config, tmp_path: Path) -> None:
    """``sitewatch simulate --write-config`` (and so ``make demo``) writes every section back as YAML."""
    sites = plan_fleet(config)
    ports = {s.site.id: 20000 + i for i, s in enumerate(sites)}
    write_fleet_config(tmp_path / "fleet.yaml", fleet_config(config, sites, ports, state_dir=tmp_path / "state"))
    written = load_config(tmp_path / "fleet.yaml")
    assert (written.people, written.rosters, written.policies, written.routes) == (
        config.people, config.rosters, config.policies, config.routes)
    assert {k: (c.type, c.settings) for k, c in written.channels.items()} == {
        k: (c.type, c.settings) for k, c in config.channels.items()}
    assert {n: (t.reveal(), t.scopes) for n, t in written.api.tokens.items()} == {
        n: (t.reveal(), t.scopes) for n, t in config.api.tokens.items()}
