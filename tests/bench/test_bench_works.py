"""The benchmark's two works ask for what they claim, and one agent answers both: get36 is exactly
the issue's 36 OIDs by GET, mapped to the readings an operator expects from a healthy UPS site;
snmp_exporter gets the same GET list, in one request too."""

from __future__ import annotations

import asyncio

from bench.agent import AgentPool
from bench.lean_client import GET36
from bench.peer import agent_values, exporter_config
from bench.works import WORKS, agent_plan, work
from sitewatch.snmp.client import Target
from sitewatch.snmp.lean_client import LeanSnmpClient


def test_get36_is_the_issues_work_by_get_only() -> None:
    plan = work("get36").plan
    assert not plan.columns
    assert len(plan.scalars) == 36 and set(plan.scalars) == set(GET36.scalars)
    assert work("profiles").plan.columns  # the shipped profiles walk their tables


def test_one_agent_answers_every_work_and_get36_maps_to_a_healthy_site() -> None:
    works = [work(n) for n in WORKS]
    get36 = works[0].compiled
    with AgentPool(agent_plan(works), sites=1, distinct=False) as pool:
        values = agent_values(pool.ports[0], get36.plan)
        assert sorted(set(get36.plan.scalars) - set(values)) == []  # nothing the agent lacks

        async def fetch() -> dict[str, object]:
            client = LeanSnmpClient()
            try:
                return dict(await client.fetch(Target(host="127.0.0.1", port=pool.ports[0], community=b"public"),
                                               get36.plan))
            finally:
                await client.close()

        raw = asyncio.run(fetch())
    readings = {(r.name, r.labels): r.value for r in get36.readings(raw)}  # type: ignore[arg-type]
    assert readings[("battery_voltage_volts", ())] == 54.5
    assert readings[("battery_status", ())] == "normal" and readings[("output_source", ())] == "normal"
    assert readings[("mains_ok", ())] == 1.0 and readings[("on_battery", ())] == 0.0
    assert readings[("input_voltage_volts", (("phase", "1"),))] == 230
    assert {labels for name, labels in readings if name == "link_up"} == {(("interface", str(i)),) for i in range(1, 5)}


def test_the_exporter_gets_the_same_list_in_one_request_for_get36() -> None:
    plan = work("get36").plan
    module = exporter_config(plan, {})["get36"]
    assert module["get"] == list(plan.scalars) and module["walk"] == []  # type: ignore[index]
    assert module["max_repetitions"] >= len(plan.scalars)  # type: ignore[index]  # 0.21 cuts GETs by it
