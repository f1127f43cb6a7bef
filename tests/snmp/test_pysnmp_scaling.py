"""Per-site communities (and v3 agents) must not make PysnmpClient's start-up quadratic.

Stock pysnmp rebuilds its community maps by walking the whole SNMP-COMMUNITY-MIB table (one
``getNextNode`` per row) every time a community was added: the first poll of N sites with
their own community walks ~N²/2 rows. Its USM does the same with the user table, which grows
by one row per SNMPv3 agent discovered. The work is counted (calls into ``getNextNode``, with
cProfile), not timed. Every fetch goes to a real snmpd that accepts each community.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import pstats
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from pysnmp.entity.engine import SnmpEngine
from pysnmp.proto.secmod.rfc2576 import SnmpV1SecurityModel, SnmpV2cSecurityModel

from sitewatch.snmp.client import FetchPlan, Target, UsmAuth
from sitewatch.snmp.pysnmp_client import PysnmpClient
from sitewatch.snmp.pysnmp_engine import FleetEngine
from sitewatch.snmp.pysnmp_hlapi import (
    USM_AUTH_HMAC96_SHA,
    USM_PRIV_CFB128_AES,
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    UdpTransportTarget,
    UsmUserData,
    get_cmd,
    prepare_engine,
)
from tests.agents import SnmpdAgent

pytestmark = pytest.mark.asyncio(loop_scope="module")

FLEET = 60
V3_AGENTS = 5
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"


def community(i: int) -> str:
    return f"site{i:04d}"


@pytest.fixture(scope="module")
def snmpd() -> Iterator[SnmpdAgent]:
    lines = "".join(f"rocommunity {community(i)} 127.0.0.1\n" for i in range(FLEET))
    with SnmpdAgent(extra_conf="[snmp] serverRecvBuf 4194304\n" + lines) as agent:
        yield agent


async def table_steps(work: Callable[[], Awaitable[None]]) -> int:
    """Calls into pysnmp's MIB table walk (``getNextNode``) while ``work`` runs."""
    profile = cProfile.Profile()
    profile.enable()
    try:
        await work()
    finally:
        profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    return sum(calls for (_, _, name), (_, calls, *_) in stats.items() if name == "getNextNode")


async def first_poll_with_client(targets: list[Target]) -> int:
    """Table walk steps while a fresh client polls ``targets`` (all but the first, which sets it up)."""
    client = PysnmpClient()
    plan = FetchPlan(scalars=(SYS_UPTIME,))
    await client.fetch(targets[0], plan)

    async def poll() -> None:
        results = await asyncio.gather(*(client.fetch(t, plan) for t in targets[1:]))
        assert all(isinstance(r[SYS_UPTIME], int) for r in results)

    try:
        return await table_steps(poll)
    finally:
        await client.close()


async def first_poll_with_stock_pysnmp(requests: list[tuple[Any, int]]) -> int:
    """The same with pysnmp's hlapi as documented: (CommunityData or UsmUserData, agent port) each."""
    engine = SnmpEngine()
    prepare_engine(engine)  # pysnmp's MIB compiler set-up warns; see pysnmp_hlapi
    transports = {port: await UdpTransportTarget.create(("127.0.0.1", port), timeout=2, retries=2)
                  for port in {port for _, port in requests}}

    async def get(auth: Any, port: int) -> Any:
        return await get_cmd(engine, auth, transports[port], ContextData(), ObjectType(ObjectIdentity(SYS_UPTIME)),
                             lookupMib=False)

    await get(*requests[0])

    async def poll() -> None:
        results = await asyncio.gather(*(get(auth, port) for auth, port in requests[1:]))
        assert all(indication is None for indication, *_ in results)

    try:
        return await table_steps(poll)
    finally:
        engine.close_dispatcher()


def site_targets(port: int, sites: int) -> list[Target]:
    return [Target(host="127.0.0.1", port=port, community=community(i).encode(), retries=2) for i in range(sites)]


def stock_sites(port: int, sites: int) -> list[tuple[Any, int]]:
    return [(CommunityData(community(i)), port) for i in range(sites)]


async def test_first_poll_of_per_site_communities_scales_linearly(snmpd: SnmpdAgent) -> None:
    # linear means at most a few steps per site; the stock walk below takes ~N²/2
    assert await first_poll_with_client(site_targets(snmpd.port, FLEET)) <= FLEET


async def test_the_count_sees_stock_pysnmp_walking_the_table_per_new_community(snmpd: SnmpdAgent) -> None:
    # what the test above guards against (measured: 2,194 steps for 25 sites, 31,294 for 100)
    assert await first_poll_with_stock_pysnmp(stock_sites(snmpd.port, FLEET)) > FLEET * FLEET // 4


async def test_v3_agents_discovered_one_by_one_walk_no_user_table() -> None:
    # each agent has its own engine ID: pysnmp adds a user row per agent it discovers, and the
    # stock lookup walks the whole user table again after each
    user = "createUser monitor SHA monitor-auth-1 AES monitor-priv-1\nrouser monitor priv\n"
    usm = UsmAuth(username="monitor", auth_protocol="sha", auth_key="monitor-auth-1", priv_protocol="aes",
                  priv_key="monitor-priv-1")
    stock_user = UsmUserData("monitor", "monitor-auth-1", "monitor-priv-1", authProtocol=USM_AUTH_HMAC96_SHA,
                             privProtocol=USM_PRIV_CFB128_AES)
    with contextlib.ExitStack() as stack:
        ports = [stack.enter_context(SnmpdAgent(extra_conf=user)).port for _ in range(V3_AGENTS)]
        ours = await first_poll_with_client([Target(host="127.0.0.1", port=p, version="3", usm=usm) for p in ports])
        stock = await first_poll_with_stock_pysnmp([(stock_user, p) for p in ports])
    assert ours == 0 < stock, (ours, stock)


async def test_same_community_over_v1_and_v2c_at_once(snmpd: SnmpdAgent) -> None:
    client = PysnmpClient()
    try:
        plan = FetchPlan(scalars=(SYS_UPTIME,))
        results = await asyncio.gather(*(
            client.fetch(Target(host="127.0.0.1", port=snmpd.port, version=v, community=community(1).encode()), plan)
            for v in ("1", "2c", "1", "2c")))
    finally:
        await client.close()
    assert all(isinstance(r[SYS_UPTIME], int) for r in results)


async def test_indexed_lookups_answer_as_pysnmp_would(snmpd: SnmpdAgent) -> None:
    """After real polls created the table rows, pysnmp's own walk and the index agree."""
    client = PysnmpClient()
    try:
        for version in ("1", "2c"):
            for i in range(3):
                target = Target(host="127.0.0.1", port=snmpd.port, version=version, community=community(i).encode())
                await client.fetch(target, FetchPlan(scalars=(SYS_UPTIME,)))
        engine: FleetEngine = client._engines[0]  # the engine the polls above configured
        snmp_engine = engine.snmp_engine
        transport = ((1, 3, 6, 1, 6, 1, 1), ("127.0.0.1", snmpd.port))  # UDP/IPv4 domain, agent address
        for model_id, stock in ((1, SnmpV1SecurityModel()), (2, SnmpV2cSecurityModel())):
            indexed = snmp_engine.security_models[model_id]
            for i in range(3):
                data = engine.communities.community_data(community(i).encode(), model_id - 1)
                name = engine.communities.by_community(model_id, community(i).encode())
                assert name is not None
                security = indexed._com2sec(snmp_engine, name.community, transport)
                assert security == stock._com2sec(snmp_engine, name.community, transport)
                assert str(security[0]) == data.securityName
                assert indexed._sec2com(snmp_engine, security[0], security[1], security[2]) == stock._sec2com(
                    snmp_engine, security[0], security[1], security[2]) == community(i).encode()
    finally:
        await client.close()
