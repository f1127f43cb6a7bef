"""PysnmpClient (SNMP v1/v2c) against real agents on 127.0.0.1: snmpsim serving the real-device
recordings, and net-snmp snmpd. What is checked is what the poller sees: values by OID, and the
kind and text of each failure.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from sitewatch.core.errors import PollError
from sitewatch.core.model import PollErrorKind, SnmpException
from sitewatch.snmp.client import FetchPlan, Target
from sitewatch.snmp.pysnmp_client import PysnmpClient
from tests.agents import FIXTURES, SnmpdAgent, SnmpsimAgent, free_udp_port

UPS = "1.3.6.1.2.1.33.1"
SYS = "1.3.6.1.2.1.1"
IF = "1.3.6.1.2.1.2.2.1"
#: a recording whose column is out of OID order: snmpsim then answers .3 -> .2 (not increasing)
LOOPY = "".join(f"{oid}|2|{v}\n" for oid, v in (
    (f"{SYS}.3.0", 1), ("1.3.6.1.4.1.99.1.1", 1), ("1.3.6.1.4.1.99.1.3", 3), ("1.3.6.1.4.1.99.1.2", 2),
    ("1.3.6.1.4.1.99.1.4", 4), ("1.3.6.1.4.1.99.2.1", 9)))
#: snmpsim's own ``error`` variation: any GET of sysName.0 is answered tooBig
TOO_BIG = f"{SYS}.1.0|4|fine\n{SYS}.5.0|4:error|op=get,status=toobig\n{SYS}.6.0|4|here\n"
#: snmpd answers tooBig when a response exceeds this; the sysOR descriptions together do
SMALL_MESSAGES = "[snmp] sendMessageMaxSize 484"
SYS_OR_DESCR = tuple(f"{SYS}.9.1.3.{i}" for i in range(1, 11))


# one event loop, client and engine for the module: building an engine costs ~1 CPU-s
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def snmpsim() -> Iterator[SnmpsimAgent]:
    files = [FIXTURES / f"{name}.snmprec" for name in ("deltaups", "aviat-wtm", "huaweiups_ups2000")]
    with SnmpsimAgent(files=files, data={"loopy": LOOPY, "toobig": TOO_BIG}) as agent:
        yield agent


@pytest.fixture(scope="module")
def snmpd() -> Iterator[SnmpdAgent]:
    with SnmpdAgent(extra_conf="[snmp] serverRecvBuf 4194304") as agent:
        yield agent


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client() -> AsyncIterator[PysnmpClient]:
    c = PysnmpClient()
    yield c
    await c.close()


def sim(agent: SnmpsimAgent, community: str, **kw: object) -> Target:
    return Target(host="127.0.0.1", port=agent.port, community=community.encode(), timeout=2.0, retries=1, **kw)


def net_snmp(*args: str) -> str:
    """What the net-snmp command-line tools print: the reference the client is compared with."""
    done = subprocess.run(args, capture_output=True, text=True, timeout=30)
    return done.stdout + done.stderr


# ------------------------------------------------------------------ v2c against the real recordings


async def test_get_reads_recorded_ups_values(client: PysnmpClient, snmpsim: SnmpsimAgent) -> None:
    plan = FetchPlan(scalars=(f"{UPS}.2.5.0", f"{UPS}.2.6.0", f"{UPS}.4.1.0", f"{UPS}.2.3.0", f"{SYS}.2.0",
                              f"{UPS}.1.1", f"{UPS}.1.1.0", f"{UPS}.5.1.0"))
    values = await client.fetch(sim(snmpsim, "deltaups"), plan)
    assert values == {
        f"{UPS}.2.5.0": 412,  # upsBatteryVoltage, 0.1 V
        f"{UPS}.2.6.0": None,  # upsBatteryCurrent recorded as NULL
        f"{UPS}.4.1.0": 3,  # upsOutputSource normal
        f"{UPS}.2.3.0": 22,  # upsEstimatedMinutesRemaining
        f"{SYS}.2.0": "1.3.6.1.4.1.2254.2.4",  # sysObjectID as a dotted OID
        f"{UPS}.1.1": b"Minuteman",  # recorded without its .0 instance
        f"{UPS}.1.1.0": SnmpException.NO_SUCH_INSTANCE,
        f"{UPS}.5.1.0": None,  # upsBypassFrequency NULL
    }


async def test_gauge32_all_ones_arrives_as_int(client: PysnmpClient, snmpsim: SnmpsimAgent) -> None:
    values = await client.fetch(sim(snmpsim, "huaweiups_ups2000"), FetchPlan(scalars=(f"{UPS}.2.3.0", f"{UPS}.2.1.0")))
    assert values == {f"{UPS}.2.3.0": 4294967295, f"{UPS}.2.1.0": 2}


async def test_missing_sysdescr_is_no_such_instance(client: PysnmpClient, snmpsim: SnmpsimAgent) -> None:
    values = await client.fetch(sim(snmpsim, "aviat-wtm"), FetchPlan(scalars=(f"{SYS}.1.0", f"{SYS}.2.0")))
    assert values == {f"{SYS}.1.0": SnmpException.NO_SUCH_INSTANCE, f"{SYS}.2.0": "1.3.6.1.4.1.2509.11.1.1.8"}


async def test_bulk_walk_of_two_columns_stops_at_each_column_end(client: PysnmpClient, snmpsim: SnmpsimAgent
                                                                 ) -> None:
    values = await client.fetch(sim(snmpsim, "deltaups"), FetchPlan(columns=(f"{IF}.8", f"{IF}.2")))
    assert {k: v for k, v in values.items() if k.startswith(f"{IF}.8.")} == {
        f"{IF}.8.1": 1, f"{IF}.8.2": 1, f"{IF}.8.3": 2, f"{IF}.8.4": 2, f"{IF}.8.5": 2}
    assert values[f"{IF}.2.1"] == b"lo" + b"\x00" * 14  # hex, NUL-padded as recorded
    assert values[f"{IF}.2.2"].rstrip(b"\x00") == b"eth0"  # type: ignore[union-attr]
    assert len(values) == 10  # nothing from the columns after them


async def test_walk_in_small_steps_gives_the_same_rows(client: PysnmpClient, snmpsim: SnmpsimAgent) -> None:
    target = sim(snmpsim, "aviat-wtm")
    one_go = await client.fetch(target, FetchPlan(columns=(f"{IF}.8", f"{IF}.2"), max_repetitions=50))
    steps = await client.fetch(target, FetchPlan(columns=(f"{IF}.8", f"{IF}.2"), max_repetitions=1))
    assert steps == one_go
    assert one_go[f"{IF}.8.1537"] == 1 and one_go[f"{IF}.8.2049"] == 6  # Radio1 up, TenGigE notPresent


async def test_repeated_walk_of_a_stable_table_is_unchanged(client: PysnmpClient, snmpsim: SnmpsimAgent) -> None:
    # the second walk asks for just one row more than the first found
    target, plan = sim(snmpsim, "deltaups"), FetchPlan(columns=(f"{IF}.8", f"{IF}.7"), max_repetitions=30)
    assert await client.fetch(target, plan) == await client.fetch(target, plan)


async def test_walk_stops_where_the_agent_goes_backwards(client: PysnmpClient, snmpsim: SnmpsimAgent) -> None:
    for repetitions in (1, 25):
        values = await client.fetch(sim(snmpsim, "loopy"),
                                    FetchPlan(columns=("1.3.6.1.4.1.99.1",), max_repetitions=repetitions))
        assert values == {"1.3.6.1.4.1.99.1.1": 1, "1.3.6.1.4.1.99.1.3": 3}


async def test_rows_per_column_are_capped(snmpsim: SnmpsimAgent) -> None:
    capped = PysnmpClient(max_rows=2)
    try:
        values = await capped.fetch(sim(snmpsim, "deltaups"), FetchPlan(columns=(f"{IF}.8",)))
    finally:
        await capped.close()
    assert values == {f"{IF}.8.1": 1, f"{IF}.8.2": 1}


async def test_walk_of_an_absent_column_is_empty(client: PysnmpClient, snmpsim: SnmpsimAgent) -> None:
    values = await client.fetch(sim(snmpsim, "huaweiups_ups2000"), FetchPlan(columns=(f"{IF}.8", "1.3.6.1.9.9")))
    assert values == {}


async def test_object_too_big_on_its_own_fails_with_agent_error(client: PysnmpClient, snmpsim: SnmpsimAgent
                                                                 ) -> None:
    with pytest.raises(PollError) as caught:
        await client.fetch(sim(snmpsim, "toobig"), FetchPlan(scalars=(f"{SYS}.1.0", f"{SYS}.5.0", f"{SYS}.6.0")))
    assert caught.value.kind is PollErrorKind.AGENT_ERROR
    assert "tooBig" in caught.value.detail and f"{SYS}.5.0" in caught.value.detail


# ------------------------------------------------------------------ net-snmp snmpd


async def test_v1_get_marks_the_missing_object_and_asks_again_for_the_rest(client: PysnmpClient,
                                                                          snmpd: SnmpdAgent) -> None:
    target = Target(host="127.0.0.1", port=snmpd.port, version="1", community=b"public", timeout=2.0, retries=1)
    plan = FetchPlan(scalars=(f"{SYS}.5.0", f"{SYS}.99.0", f"{SYS}.2.0", f"{UPS}.2.5.0", f"{SYS}.1.0"))
    values = await client.fetch(target, plan)
    assert values == {
        f"{SYS}.5.0": net_snmp("snmpget", "-v1", "-c", "public", "-Oqv", f"127.0.0.1:{snmpd.port}",
                               f"{SYS}.5.0").strip().strip('"').encode(),
        f"{SYS}.99.0": SnmpException.NO_SUCH_OBJECT,
        f"{SYS}.2.0": "1.3.6.1.4.1.8072.3.2.10",
        f"{UPS}.2.5.0": SnmpException.NO_SUCH_OBJECT,
        f"{SYS}.1.0": values[f"{SYS}.1.0"],
    }
    assert values[f"{SYS}.1.0"].startswith(b"Linux")  # type: ignore[union-attr]


async def test_v1_walk_matches_snmpwalk(client: PysnmpClient, snmpd: SnmpdAgent) -> None:
    target = Target(host="127.0.0.1", port=snmpd.port, version="1", community=b"public", timeout=2.0, retries=1)
    values = await client.fetch(target, FetchPlan(columns=(f"{IF}.1", f"{IF}.3", "1.3.6.1.99")))
    indexes = net_snmp("snmpwalk", "-v1", "-c", "public", "-Oqv", f"127.0.0.1:{snmpd.port}", f"{IF}.1").split()
    assert indexes and {k: v for k, v in values.items() if k.startswith(f"{IF}.1.")} == {
        f"{IF}.1.{i}": int(i) for i in indexes}
    assert sorted(k for k in values if k.startswith(f"{IF}.3.")) == sorted(f"{IF}.3.{i}" for i in indexes)
    assert not [k for k in values if k.startswith("1.3.6.1.99")]  # past the end of the view: noSuchName


async def test_v2c_walk_past_the_end_of_the_view_is_empty(client: PysnmpClient, snmpd: SnmpdAgent) -> None:
    target = Target(host="127.0.0.1", port=snmpd.port, community=b"public")
    assert await client.fetch(target, FetchPlan(columns=("1.3.6.1.99",))) == {}


async def test_too_big_answers_are_split_until_they_fit(client: PysnmpClient) -> None:
    with SnmpdAgent(extra_conf=SMALL_MESSAGES) as small:
        oids = (f"{SYS}.1.0", *SYS_OR_DESCR, f"{SYS}.5.0")
        refused = net_snmp("snmpget", "-v2c", "-c", "public", f"127.0.0.1:{small.port}", *oids)
        assert "tooBig" in refused  # the agent really refuses the whole GET
        for version in ("1", "2c"):
            target = Target(host="127.0.0.1", port=small.port, version=version, community=b"public")  # type: ignore[arg-type]
            values = await client.fetch(target, FetchPlan(scalars=oids))
            one_by_one = await client.fetch(target, FetchPlan(scalars=oids, max_varbinds_per_get=1))
            assert values == one_by_one
            assert all(isinstance(v, bytes) and v for v in values.values())


async def test_200_concurrent_fetches_lose_nothing(client: PysnmpClient, snmpd: SnmpdAgent) -> None:
    target = Target(host="127.0.0.1", port=snmpd.port, community=b"public", timeout=3.0, retries=0)
    plan = FetchPlan(scalars=(f"{SYS}.1.0", f"{SYS}.5.0", *SYS_OR_DESCR), columns=(f"{IF}.2", f"{IF}.8"))
    results = await asyncio.gather(*(client.fetch(target, plan) for _ in range(200)), return_exceptions=True)
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert all(r == results[0] for r in results) and len(results[0]) > len(plan.scalars)  # type: ignore[arg-type]
    assert client.receive_buffer_bytes() >= 4 * 1024 * 1024


# ------------------------------------------------------------------ failures


async def test_dead_port_times_out(client: PysnmpClient) -> None:
    target = Target(host="127.0.0.1", port=free_udp_port(), community=b"public", timeout=0.3, retries=0)
    with pytest.raises(PollError) as caught:
        async with asyncio.timeout(5):  # a hang guard only
            await client.fetch(target, FetchPlan(scalars=(f"{SYS}.3.0",)))
    assert caught.value.kind is PollErrorKind.TIMEOUT
    assert caught.value.detail.startswith(f"127.0.0.1:{target.port}: no response")


async def test_wrong_community_times_out_and_is_never_shown(client: PysnmpClient, snmpd: SnmpdAgent) -> None:
    secret = "s3cret-Community"
    target = Target(host="127.0.0.1", port=snmpd.port, community=secret.encode(), timeout=0.3, retries=1)
    with pytest.raises(PollError) as caught:
        await client.fetch(target, FetchPlan(scalars=(f"{SYS}.3.0",)))
    assert caught.value.kind is PollErrorKind.TIMEOUT
    assert "community" in caught.value.detail and "2 tries" in caught.value.detail
    assert secret not in str(caught.value) and secret not in repr(caught.value) and secret not in repr(target)


async def test_port_out_of_range_is_a_network_error(client: PysnmpClient) -> None:
    # the resolver would quietly wrap it (70000 -> 4464) and the request would go elsewhere
    target = Target(host="127.0.0.1", port=70000, community=b"s3cret-Community")
    with pytest.raises(PollError) as caught:
        await client.fetch(target, FetchPlan(scalars=(f"{SYS}.3.0",)))
    assert caught.value.kind is PollErrorKind.NETWORK
    assert "s3cret" not in str(caught.value)


async def test_ipv6_loopback_target(client: PysnmpClient) -> None:
    port = free_udp_port()
    with SnmpsimAgent(files=[FIXTURES / "deltaups.snmprec"], extra_args=[f"--agent-udpv6-endpoint=[::1]:{port}"]):
        target = Target(host="::1", port=port, community=b"deltaups")
        assert await client.fetch(target, FetchPlan(scalars=(f"{UPS}.2.5.0",))) == {f"{UPS}.2.5.0": 412}


async def test_malformed_oid_in_a_plan_is_an_internal_error(client: PysnmpClient, snmpsim: SnmpsimAgent) -> None:
    with pytest.raises(PollError) as caught:
        await client.fetch(sim(snmpsim, "deltaups"), FetchPlan(scalars=(f"{UPS}.2.5.0", "1.3.six.1")))
    assert caught.value.kind is PollErrorKind.INTERNAL and "1.3.six.1" in caught.value.detail
