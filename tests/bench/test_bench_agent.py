"""The benchmark's agent must answer what the shipped profiles ask for, or the bench measures less
work than it claims (and snmp_exporter's config, written from the same answers, would differ)."""

from __future__ import annotations

import subprocess

import pytest

from bench.agent import AgentPool, agent_config
from bench.peer import agent_values, exporter_config, verify_scrape
from sitewatch.snmp.client import FetchPlan
from sitewatch.snmp.profiles import compile_profiles, load_profiles


@pytest.fixture(scope="module")
def plan() -> FetchPlan:
    return compile_profiles([load_profiles(())[n] for n in ("ups-mib", "if-mib")]).plan


def test_agent_answers_every_object_of_the_profiles(plan: FetchPlan) -> None:
    with AgentPool(plan, sites=1, distinct=False) as pool:
        values = agent_values(pool.ports[0], plan)
    fallbacks = {o for o in plan.scalars if o + ".0" in plan.scalars}  # x beside x.0: absent on a good agent
    assert sorted(set(plan.scalars) - fallbacks - set(values)) == []
    assert values["1.3.6.1.2.1.33.1.2.5.0"] == ("INTEGER", "545")  # upsBatteryVoltage, 0.1 V
    assert values["1.3.6.1.2.1.33.1.6.1.0"] == ("GAUGE32", "0")  # upsAlarmsPresent
    assert values["1.3.6.1.2.1.33.1.3.3.1.3.1"] == ("INTEGER", "230")  # upsInputVoltage.1, walked
    assert sum(o.startswith("1.3.6.1.2.1.2.2.1.8.") for o in values) >= 1  # ifOperStatus rows


def test_a_plan_object_without_a_bench_value_is_refused() -> None:
    with pytest.raises(ValueError, match=r"1\.3\.6\.1\.2\.1\.33\.1\.9\.1\.0"):
        agent_config(FetchPlan(scalars=("1.3.6.1.2.1.33.1.9.1.0",)))


def test_each_site_reaches_the_agent_holding_its_community(plan: FetchPlan) -> None:
    small = FetchPlan(scalars=("1.3.6.1.2.1.33.1.2.1.0",))
    with AgentPool(small, sites=700, distinct=True, per_agent=300) as pool:
        assert len(pool.ports) == 3
        endpoints = pool.endpoints()
        for i in (0, 299, 300, 599, 600, 699):
            port, community = endpoints[i]
            assert agent_values(port, small, community=community) == {"1.3.6.1.2.1.33.1.2.1.0": ("INTEGER", "2")}
        port, community = endpoints[0]
        other = next(p for p in pool.ports if p != port)
        unknown = subprocess.run(["snmpget", "-v2c", "-c", community, "-t", "0.3", "-r", "0", f"127.0.0.1:{other}",
                                  "1.3.6.1.2.1.33.1.2.1.0"], capture_output=True, text=True)
        assert "Timeout" in unknown.stderr  # an agent ignores a community it does not hold


def test_exporter_check_finds_a_wrong_value(plan: FetchPlan) -> None:
    values = {"1.3.6.1.2.1.33.1.2.1.0": ("INTEGER", "2")}
    small = FetchPlan(scalars=("1.3.6.1.2.1.33.1.2.1.0",))
    config = exporter_config(small, values)
    assert config["get36"]["get"] == ["1.3.6.1.2.1.33.1.2.1.0"]  # type: ignore[index]
    good = "# TYPE oid_1_3_6_1_2_1_33_1_2_1 gauge\noid_1_3_6_1_2_1_33_1_2_1 2\n"
    assert verify_scrape(good, small, values) == []
    assert verify_scrape(good.replace(" 2\n", " 3\n"), small, values) != []
