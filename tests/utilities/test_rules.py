"""When a power or water request falls due: per criticality and kind, and never while mains is back."""

from __future__ import annotations

import pytest

from sitewatch.config.utility_schema import PowerRequestRules, WaterRequestRules
from sitewatch.utilities.model import DueReason, GeneratorState, SiteState, Supply
from sitewatch.utilities.rules import power_request_due, water_request_due
from tests.utilities.fleet import MIN, NIGHT, site

#: defaults: normal 1 h, high 30 min, critical 10 min; 1 h of battery left; 30 min without a generator
RULES = PowerRequestRules()


def lost(since: float = NIGHT, **kw: object) -> SiteState:
    return SiteState(site_id="x", mains_lost_since=since, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("criticality", "minutes"), [("normal", 60), ("high", 30), ("critical", 10)])
def test_mains_lost_waits_the_delay_of_the_sites_criticality(criticality: str, minutes: int) -> None:
    due = power_request_due(site("GL-BTS-0101", criticality=criticality),
                            lost(generator=GeneratorState.RUNNING), RULES)
    assert due is not None
    assert (due.at - NIGHT, due.reason, due.supply) == (minutes * MIN, DueReason.MAINS_LOST, Supply.POWER)
    assert not due.is_due(NIGHT + minutes * MIN - 1) and due.is_due(NIGHT + minutes * MIN)


def test_a_kinds_rules_replace_the_delays_they_name() -> None:
    rules = PowerRequestRules.model_validate(
        {"by_kind": {"post_office": {"mains_lost_after": {"normal": "2h"}}}})
    office = site("GL-BC-0001", kind="post_office", backup={"generator": True})
    due = power_request_due(office, lost(generator=GeneratorState.STANDBY), rules)
    assert due is not None and due.at - NIGHT == 120 * MIN
    high = power_request_due(site("GL-BC-0001", kind="post_office", criticality="high"),
                             lost(generator=GeneratorState.STANDBY), rules)
    assert high is not None and high.at - NIGHT == 30 * MIN  # not named for the kind: the general rule


def test_a_kind_without_requests_never_falls_due() -> None:
    rules = PowerRequestRules.model_validate({"by_kind": {"bts": {"request": False}}})
    assert power_request_due(site("GL-BTS-0101"), lost(depletion_at=NIGHT + 5 * MIN), rules) is None


def test_a_battery_running_out_within_the_limit_asks_at_once() -> None:
    due = power_request_due(site("GL-BTS-0101"), lost(depletion_at=NIGHT + 40 * MIN,
                                                      generator=GeneratorState.RUNNING), RULES)
    assert due is not None and (due.at, due.reason) == (NIGHT, DueReason.DEPLETION_SOON)
    # three hours of battery: asked one hour before it runs out, which comes after the 1 h delay
    later = power_request_due(site("GL-BTS-0101"), lost(depletion_at=NIGHT + 180 * MIN,
                                                        generator=GeneratorState.RUNNING), RULES)
    assert later is not None and (later.at - NIGHT, later.reason) == (60 * MIN, DueReason.MAINS_LOST)
    soon = power_request_due(site("GL-BTS-0101"), lost(depletion_at=NIGHT + 100 * MIN,
                                                       generator=GeneratorState.RUNNING), RULES)
    assert soon is not None and (soon.at - NIGHT, soon.reason) == (40 * MIN, DueReason.DEPLETION_SOON)


def test_a_failed_generator_asks_at_once_and_none_shortens_the_wait() -> None:
    failed = power_request_due(site("GL-BTS-0101"), lost(generator=GeneratorState.FAILED), RULES)
    assert failed is not None and (failed.at, failed.reason) == (NIGHT, DueReason.GENERATOR_FAILED)
    none = power_request_due(site("GL-BTS-0101"), lost(generator=GeneratorState.ABSENT), RULES)
    assert none is not None and (none.at - NIGHT, none.reason) == (30 * MIN, DueReason.NO_GENERATOR)
    critical = power_request_due(site("GL-BTS-0101", criticality="critical"), lost(), RULES)
    assert critical is not None and (critical.at - NIGHT, critical.reason) == (10 * MIN, DueReason.MAINS_LOST)


def test_mains_returning_within_the_delay_sends_nothing() -> None:
    bts = site("GL-BTS-0101")
    states = {t: lost(generator=GeneratorState.RUNNING) if t < 25 * MIN else SiteState(site_id=bts.id)
              for t in range(0, int(90 * MIN), 60)}
    due_at = [t for t, state in states.items()
              if (d := power_request_due(bts, state, RULES)) is not None and d.is_due(NIGHT + t)]
    assert due_at == []  # mains came back after 25 min, before the 60 min delay: never due
    assert power_request_due(bts, SiteState(site_id=bts.id, depletion_at=NIGHT), RULES) is None


def test_a_site_without_a_power_utility_gets_no_request() -> None:
    bts = site("GL-BTS-0101").model_copy(update={"power": None})
    assert power_request_due(bts, lost(generator=GeneratorState.FAILED), RULES) is None


def test_water_only_for_sites_that_need_it() -> None:
    rules = WaterRequestRules()
    dry = site("GL-NOC-PKU", water={"utility": "cntn-gialai"})
    assert water_request_due(dry, rules, operator_asked_at=NIGHT) is None
    wet = site("GL-NOC-PKU", water={"utility": "cntn-gialai", "needed": True})
    assert water_request_due(wet, rules) is None
    asked = water_request_due(wet, rules, operator_asked_at=NIGHT, condition_since=NIGHT - 5 * MIN)
    assert asked is not None and (asked.at, asked.reason, asked.supply) == (NIGHT, DueReason.OPERATOR, Supply.WATER)
    condition = water_request_due(wet, rules, condition_since=NIGHT)
    assert condition is not None and (condition.at - NIGHT, condition.reason) == (30 * MIN, DueReason.WATER_CONDITION)
