"""Walks that ask for what the tables hold, against real agents whose tables change while polled.

The lean client asks each agent for one row more than its longest column had last time and
matches the answer against the previous one's layout. These tests change an agent's tables
between polls (snmpsim serving each site from an SQLite table, as the fleet simulator does) and
check that every poll still returns exactly what net-snmp's ``snmpbulkwalk`` reads from the
agent at that moment: a new interface or alarm row at once, a removed one gone at once. A relay
in front of the agent (the simulator's own ``SiteProxy``) shows what was asked on the wire.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from sitewatch.core.model import SnmpValue
from sitewatch.simulator.mibs import Table, gauge, integer, oid_value, text, timeticks
from sitewatch.simulator.proxy import SiteProxy
from sitewatch.simulator.responder import SnmpsimResponder
from sitewatch.snmp.ber import Pdu, decode_message
from sitewatch.snmp.client import FetchPlan, Target
from sitewatch.snmp.lean_client import LeanSnmpClient
from tests.agents import SnmpdAgent, free_udp_port, wait_snmp_ready
from tests.snmp.test_lean_client import net_snmp

COMMUNITY = "walks"
IF_DESCR, IF_OPER = "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.8"
ALARM_DESCR, ALARM_TIME = "1.3.6.1.2.1.33.1.6.2.1.2", "1.3.6.1.2.1.33.1.6.2.1.3"
INPUT_BAD, ON_BATTERY = "1.3.6.1.2.1.33.1.6.3.6", "1.3.6.1.2.1.33.1.6.3.2"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
PLAN = FetchPlan(scalars=(SYS_NAME,), columns=(IF_DESCR, IF_OPER, ALARM_DESCR))


def interface(index: int, up: bool = True) -> Table:
    return {f"{IF_DESCR}.{index}": text(f"eth{index}"), f"{IF_OPER}.{index}": integer(1 if up else 2)}


def alarm(alarm_id: int, which: str) -> Table:
    return {f"{ALARM_DESCR}.{alarm_id}": oid_value(which), f"{ALARM_TIME}.{alarm_id}": timeticks(100 * alarm_id)}


def site(interfaces: int = 4, alarms: Table | None = None) -> Table:
    rows: Table = {SYS_NAME: text("walks"), "1.3.6.1.2.1.33.1.6.1.0": gauge(len(alarms or {}) // 2),
                   "1.3.6.1.2.1.33.1.7.1.0": oid_value("1.3.6.1.2.1.33.1.7.7.1")}  # beyond the alarm table
    for i in range(1, interfaces + 1):
        rows.update(interface(i))
    rows.update(alarms or {})
    return rows


def reference(port: int) -> dict[str, SnmpValue]:
    """What net-snmp reads from the agent now, for ``PLAN``."""
    out = net_snmp("snmpget", "2c", COMMUNITY, port, *PLAN.scalars)
    for column in PLAN.columns:
        # of an empty column snmpbulkwalk shows a GET of the column itself: not a row
        out.update((k, v) for k, v in net_snmp("snmpbulkwalk", "2c", COMMUNITY, port, column).items() if k != column)
    return out


class CountingRelay(SiteProxy):
    """The simulator's relay, noting each request's PDU type and max-repetitions on the way."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[int, int]] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        m = decode_message(data)
        self.requests.append((m.pdu, m.error_index))  # GetBulk: max-repetitions
        super().datagram_received(data, addr)

    def bulk_repetitions(self) -> list[int]:
        """Max-repetitions of the GetBulk requests since the last call."""
        out = [reps for pdu, reps in self.requests if pdu == Pdu.GET_BULK]
        self.requests.clear()
        return out


class Agent:
    """One site served by snmpsim from an SQLite table, behind a counting relay."""

    def __init__(self, responder: SnmpsimResponder, relay: CountingRelay) -> None:
        self.responder = responder
        self.relay = relay

    @property
    def port(self) -> int:
        return self.relay.port

    def serve(self, rows: Table) -> None:
        self.responder.write({"site": rows})

    def walked(self) -> dict[str, SnmpValue]:
        return reference(self.responder.port)


@pytest.fixture(scope="module")
def responder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpsimResponder]:
    r = SnmpsimResponder(Path(tmp_path_factory.mktemp("walks")))
    r.create({COMMUNITY: "site"}, {"site": site()})
    r.start(free_udp_port())
    try:
        wait_snmp_ready(r.port, COMMUNITY, proc=r.proc)  # type: ignore[arg-type]
        yield r
    finally:
        r.stop()


@pytest.fixture
async def agent(responder: SnmpsimResponder) -> AsyncIterator[Agent]:
    responder.write({"site": site()})
    _, relay = await asyncio.get_running_loop().create_datagram_endpoint(
        CountingRelay, local_addr=("127.0.0.1", 0))
    relay.backend = ("127.0.0.1", responder.port)
    yield Agent(responder, relay)
    relay.close()


@pytest.fixture
async def client() -> AsyncIterator[LeanSnmpClient]:
    c = LeanSnmpClient()
    yield c
    await c.close()


def target(port: int, community: str = COMMUNITY) -> Target:
    return Target(host="127.0.0.1", port=port, community=community.encode(), timeout=3.0, retries=1)


async def test_a_stable_table_is_asked_for_one_row_more_than_it_has(agent: Agent, client: LeanSnmpClient) -> None:
    t = target(agent.port)
    want = agent.walked()
    assert len(want) == 1 + 4 + 4  # sysName, two columns of four interfaces, no alarm
    for _ in range(4):
        assert await client.fetch(t, PLAN) == want
    # the first poll asks the plan's 25; after it, 5 (four interfaces + 1), one request a poll
    reps = agent.relay.bulk_repetitions()
    assert reps == [25, 5, 5, 5]


async def test_a_new_interface_and_a_new_alarm_show_up_at_the_next_poll(agent: Agent,
                                                                         client: LeanSnmpClient) -> None:
    t = target(agent.port)
    for _ in range(3):
        await client.fetch(t, PLAN)
    agent.serve(site(interfaces=5, alarms=alarm(1, INPUT_BAD)))
    want = agent.walked()
    assert {f"{IF_DESCR}.5", f"{IF_OPER}.5", f"{ALARM_DESCR}.1"} <= set(want)
    assert await client.fetch(t, PLAN) == want
    assert await client.fetch(t, PLAN) == want
    agent.relay.bulk_repetitions()
    assert await client.fetch(t, PLAN) == want
    assert agent.relay.bulk_repetitions() == [6]  # settled again: one request for 5 rows + 1


async def test_a_cleared_alarm_disappears_at_the_next_poll(agent: Agent, client: LeanSnmpClient) -> None:
    t = target(agent.port)
    agent.serve(site(alarms={**alarm(1, INPUT_BAD), **alarm(2, ON_BATTERY)}))
    for _ in range(3):
        got = await client.fetch(t, PLAN)
    assert got[f"{ALARM_DESCR}.1"] == INPUT_BAD and got[f"{ALARM_DESCR}.2"] == ON_BATTERY
    agent.serve(site(alarms=alarm(2, ON_BATTERY)))  # mains back: input_bad cleared
    got = await client.fetch(t, PLAN)
    assert got == agent.walked()
    assert f"{ALARM_DESCR}.1" not in got and got[f"{ALARM_DESCR}.2"] == ON_BATTERY
    agent.serve(site())  # every alarm cleared: the table is empty
    got = await client.fetch(t, PLAN)
    assert got == agent.walked()
    assert not any(k.startswith(ALARM_DESCR) for k in got)


async def test_a_table_that_outgrows_the_request_is_walked_on(agent: Agent, client: LeanSnmpClient) -> None:
    t = target(agent.port)
    for _ in range(3):
        await client.fetch(t, PLAN)
    agent.relay.bulk_repetitions()
    agent.serve(site(interfaces=12))  # eight new interfaces: more rows than the 5 asked for
    want = agent.walked()
    assert await client.fetch(t, PLAN) == want
    assert len(agent.relay.bulk_repetitions()) >= 3  # the expected layout, then a walk of several requests
    assert await client.fetch(t, PLAN) == want
    assert await client.fetch(t, PLAN) == want
    assert agent.relay.bulk_repetitions()[-1] == 13


async def test_changed_values_in_a_stable_layout_are_read(agent: Agent, client: LeanSnmpClient) -> None:
    t = target(agent.port)
    for _ in range(3):
        await client.fetch(t, PLAN)
    agent.serve({**site(), **interface(2, up=False)})
    got = await client.fetch(t, PLAN)
    assert got == agent.walked()
    assert got[f"{IF_OPER}.2"] == 2 and got[f"{IF_OPER}.1"] == 1


async def test_each_agent_keeps_its_own_layout(agent: Agent, client: LeanSnmpClient) -> None:
    # two agents, one community, the same plan, different tables: polled in turn, neither
    # answer is read with the other's layout
    with SnmpdAgent(community=COMMUNITY) as snmpd:
        agent.serve(site(interfaces=2, alarms=alarm(7, INPUT_BAD)))
        want = {agent.port: agent.walked(), snmpd.port: reference(snmpd.port)}
        assert want[agent.port] != want[snmpd.port]
        for _ in range(4):
            for port in (agent.port, snmpd.port):
                assert await client.fetch(target(port), PLAN) == want[port]
