"""The lean client on a hostile network and against broken agents, with real sockets on 127.0.0.1.

A scripted agent (a plain UDP socket answering with bytes the test chooses) receives the
client's real request; while that request is pending, bad datagrams are sent to the client's
port. Each must be dropped and counted under its reason, and never complete the request: the
genuine reply sent afterwards is the one the fetch returns.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from prometheus_client import generate_latest

from sitewatch.core.errors import PollError
from sitewatch.core.model import PollErrorKind, SnmpValue
from sitewatch.metrics.self_metrics import SelfMetrics
from sitewatch.snmp.ber import Message, Pdu, Tag, decode_message
from sitewatch.snmp.ber_encode import encode_message, encode_oid_tlv
from sitewatch.snmp.client import FetchPlan, Target
from sitewatch.snmp.lean_client import LeanSnmpClient
from sitewatch.snmp.lean_transport import DROP_REASONS

SYSNAME = "1.3.6.1.2.1.1.5.0"
ROOT = "1.3.6.1.4.1.99999.7"


class ScriptedAgent:
    """A real UDP socket on 127.0.0.1 (or ::1) that answers whatever the test sends back."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.setblocking(False)
        self.port: int = self.sock.getsockname()[1]

    async def request(self) -> tuple[Message, Any]:
        data, addr = await asyncio.get_running_loop().sock_recvfrom(self.sock, 65535)
        return decode_message(data), addr

    def close(self) -> None:
        self.sock.close()


def reply(req: Message, varbinds: list[tuple[str, int, SnmpValue]], *, version: int | None = None,
          community: bytes | None = None, request_id: int | None = None, pdu: int = Pdu.RESPONSE) -> bytes:
    return encode_message(version=req.version if version is None else version,
                          community=req.community if community is None else community, pdu=pdu,
                          request_id=req.request_id if request_id is None else request_id, varbinds=varbinds)


async def until(cond: Callable[[], bool]) -> None:
    for _ in range(200):
        if cond():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not reached within 1 s")


@pytest.fixture
async def agent() -> AsyncIterator[ScriptedAgent]:
    a = ScriptedAgent()
    yield a
    a.close()


@pytest.fixture
async def client() -> AsyncIterator[LeanSnmpClient]:
    c = LeanSnmpClient(max_response_size=600)
    yield c
    await c.close()


def target(agent: ScriptedAgent, timeout: float = 2.0) -> Target:
    return Target(host="127.0.0.1", port=agent.port, community=b"public", timeout=timeout, retries=0)


GENUINE = [(SYSNAME, Tag.OCTET_STRING, b"genuine")]
SPOOFED = [(SYSNAME, Tag.OCTET_STRING, b"spoofed")]


def v3_header(req: Message) -> bytes:
    # an SNMPv3 message: version 3, then msgGlobalData where a community would be
    body = bytes.fromhex("020103") + bytes.fromhex("300d02020001020205dc040104020103")
    return bytes([0x30, len(body)]) + body


BAD: dict[str, Callable[[Message], bytes]] = {
    "malformed": lambda req: reply(req, SPOOFED)[:-3],
    "unknown_request_id": lambda req: reply(req, SPOOFED, request_id=req.request_id ^ 0x5A5A),
    "wrong_community": lambda req: reply(req, SPOOFED, community=b"other"),
    "wrong_version": lambda req: reply(req, SPOOFED, version=0),
    "wrong_version_v3": v3_header,
    "not_response": lambda req: reply(req, SPOOFED, pdu=Pdu.GET),
    "not_response_trap": lambda req: reply(req, SPOOFED, pdu=Pdu.TRAP_V2),
    "oversized": lambda req: reply(req, [(SYSNAME, Tag.OCTET_STRING, b"x" * 1000)]),
}


@pytest.mark.parametrize("case", sorted(BAD))
async def test_bad_reply_is_dropped_counted_and_ignored(agent: ScriptedAgent, client: LeanSnmpClient,
                                                         case: str) -> None:
    fetch = asyncio.create_task(client.fetch(target(agent), FetchPlan(scalars=(SYSNAME,))))
    req, addr = await agent.request()
    agent.sock.sendto(BAD[case](req), addr)
    reason = case.split("_v3")[0].split("_trap")[0]
    await until(lambda: client.dropped[reason] == 1)
    assert not fetch.done()
    agent.sock.sendto(reply(req, GENUINE), addr)
    assert await fetch == {SYSNAME: b"genuine"}
    assert {r: n for r, n in client.dropped.items() if n} == {reason: 1}


@pytest.mark.parametrize("spoofer_host", ["127.0.0.1", "127.0.0.2"], ids=["other_port", "other_address"])
async def test_spoofed_reply_with_a_valid_request_id_does_not_complete_the_request(
        agent: ScriptedAgent, client: LeanSnmpClient, spoofer_host: str) -> None:
    # same port from another loopback address, or another port from the agent's address
    spoofer = ScriptedAgent(spoofer_host, agent.port if spoofer_host != "127.0.0.1" else 0)
    try:
        fetch = asyncio.create_task(client.fetch(target(agent), FetchPlan(scalars=(SYSNAME,))))
        req, addr = await agent.request()
        spoofer.sock.sendto(reply(req, SPOOFED), addr)
        await until(lambda: client.dropped["wrong_source"] == 1)
        agent.sock.sendto(reply(req, GENUINE), addr)
        assert await fetch == {SYSNAME: b"genuine"}
    finally:
        spoofer.close()


async def test_ipv6_agent_and_spoofing_over_ipv6(client: LeanSnmpClient) -> None:
    agent, spoofer = ScriptedAgent("::1"), ScriptedAgent("::1")
    try:
        fetch = asyncio.create_task(client.fetch(Target(host="0:0::1", port=agent.port, community=b"public"),
                                                 FetchPlan(scalars=(SYSNAME,))))
        req, addr = await agent.request()
        spoofer.sock.sendto(reply(req, SPOOFED), addr)
        await until(lambda: client.dropped["wrong_source"] == 1)
        agent.sock.sendto(reply(req, GENUINE), addr)
        assert await fetch == {SYSNAME: b"genuine"}
        assert client.local_port(socket.AF_INET6) == addr[1]
    finally:
        agent.close()
        spoofer.close()


async def test_host_name_is_resolved(client: LeanSnmpClient) -> None:
    # "localhost" comes from /etc/hosts (no DNS traffic); the agent listens where it points first
    first = socket.getaddrinfo("localhost", None, type=socket.SOCK_DGRAM)[0][4][0]
    agent = ScriptedAgent(str(first))
    try:
        fetch = asyncio.create_task(client.fetch(Target(host="localhost", port=agent.port, community=b"public"),
                                                 FetchPlan(scalars=(SYSNAME,))))
        req, addr = await agent.request()
        agent.sock.sendto(reply(req, GENUINE), addr)
        assert await fetch == {SYSNAME: b"genuine"}
    finally:
        agent.close()


def corrupted(genuine: bytes) -> bytes:
    """The genuine reply with its value broken: a 3-byte IpAddress and a stray byte, every length
    still consistent, so the envelope, request-id and community all match the request."""
    return genuine.replace(bytes.fromhex("400401020304"), bytes.fromhex("400301020300"))


IP_REPLY = [(SYSNAME, Tag.IP_ADDRESS, b"\x01\x02\x03\x04")]


async def test_corrupted_matching_reply_is_dropped_and_the_genuine_one_still_counts(
        agent: ScriptedAgent, client: LeanSnmpClient) -> None:
    fetch = asyncio.create_task(client.fetch(target(agent), FetchPlan(scalars=(SYSNAME,))))
    req, addr = await agent.request()
    good = reply(req, IP_REPLY)
    agent.sock.sendto(corrupted(good), addr)  # a spoofer who guessed the request-id, or line noise
    await until(lambda: client.dropped["malformed"] == 1)
    assert not fetch.done()
    agent.sock.sendto(good, addr)
    assert await fetch == {SYSNAME: b"\x01\x02\x03\x04"}
    metrics = SelfMetrics(dropped=lambda: [client.dropped])
    assert 'sitewatch_snmp_packets_dropped_total{reason="malformed"} 1.0' in generate_latest(metrics.registry).decode()


async def test_only_a_corrupted_matching_reply_is_a_timeout_not_a_decode_error(
        agent: ScriptedAgent, client: LeanSnmpClient) -> None:
    t = Target(host="127.0.0.1", port=agent.port, community=b"public", timeout=0.2, retries=1)
    fetch = asyncio.create_task(client.fetch(t, FetchPlan(scalars=(SYSNAME,))))
    for _ in range(2):  # the first try and its retry: each answered with the corrupted reply only
        req, addr = await agent.request()
        agent.sock.sendto(corrupted(reply(req, IP_REPLY)), addr)
    with pytest.raises(PollError) as e:
        await fetch
    assert e.value.kind is PollErrorKind.TIMEOUT
    assert "2 corrupted replies dropped" in str(e.value)
    assert client.dropped["malformed"] == 2


async def test_walk_reply_with_a_broken_oid_is_dropped_and_the_genuine_one_still_counts(
        agent: ScriptedAgent, client: LeanSnmpClient) -> None:
    fetch = asyncio.create_task(client.fetch(target(agent), FetchPlan(columns=(ROOT,), max_repetitions=1)))
    req, addr = await agent.request()
    good = reply(req, [(f"{ROOT}.1", Tag.INTEGER, 1)])
    # the row's OID with its last sub-identifier cut short (0x81 says "more to come")
    oid = encode_oid_tlv(f"{ROOT}.1")
    agent.sock.sendto(good.replace(oid, oid[:-1] + b"\x81"), addr)
    await until(lambda: client.dropped["malformed"] == 1)
    assert not fetch.done()
    agent.sock.sendto(good, addr)
    req, addr = await agent.request()  # the walk goes on past the row: the column ends
    agent.sock.sendto(reply(req, [(req.varbinds[0][0], Tag.END_OF_MIB_VIEW, None)]), addr)
    assert await fetch == {f"{ROOT}.1": 1}


async def test_datagram_storm_of_garbage_never_breaks_the_client(agent: ScriptedAgent,
                                                                 client: LeanSnmpClient) -> None:
    fetch = asyncio.create_task(client.fetch(target(agent), FetchPlan(scalars=(SYSNAME,))))
    req, addr = await agent.request()
    genuine = reply(req, GENUINE)
    junk = [b"", b"\x30", b"\x30\x80", b"\xff" * 50, genuine[:10], genuine + b"\x00", genuine[1:]]
    for _ in range(50):
        for j in junk:
            agent.sock.sendto(j, addr)
    await until(lambda: client.dropped["malformed"] == 50 * len(junk))
    agent.sock.sendto(genuine, addr)
    assert await fetch == {SYSNAME: b"genuine"}


async def test_reply_naming_other_oids_is_mapped_by_its_own_oids(agent: ScriptedAgent,
                                                                 client: LeanSnmpClient) -> None:
    fetch = asyncio.create_task(client.fetch(target(agent), FetchPlan(scalars=(SYSNAME, "1.3.6.1.2.1.1.6.0"))))
    req, addr = await agent.request()
    agent.sock.sendto(reply(req, [(SYSNAME, Tag.OCTET_STRING, b"a"), ("1.3.6.1.2.1.1.4.0", Tag.INTEGER, 4)]), addr)
    assert await fetch == {SYSNAME: b"a", "1.3.6.1.2.1.1.4.0": 4}


async def walk_agent(agent: ScriptedAgent, next_of: Callable[[str], str | None], requests: list[Message],
                     limit: int = 1000) -> None:
    """Answer GETNEXT/GETBULK by following ``next_of`` (None: endOfMibView), forever; tooBig when
    an answer would hold more than ``limit`` varbinds."""
    while True:
        req, addr = await agent.request()
        requests.append(req)
        reps = req.error_index if req.pdu == Pdu.GET_BULK else 1
        if reps * len(req.varbinds) > limit:
            agent.sock.sendto(encode_message(version=req.version, community=req.community, pdu=Pdu.RESPONSE,
                                             request_id=req.request_id, error_status=1), addr)
            continue
        varbinds: list[tuple[str, int, SnmpValue]] = []
        cursors = [oid for oid, _ in req.varbinds]
        for _ in range(reps):
            for k, oid in enumerate(cursors):
                nxt = next_of(oid)
                varbinds.append((oid, Tag.END_OF_MIB_VIEW, None) if nxt is None
                                else (nxt, Tag.INTEGER, int(nxt.rsplit(".", 1)[1])))  # the row number
                cursors[k] = nxt or oid
        agent.sock.sendto(reply(req, varbinds), addr)


@pytest.mark.parametrize("version", ["1", "2c"])
async def test_looping_agent_ends_the_walk(agent: ScriptedAgent, client: LeanSnmpClient, version: str) -> None:
    cycle = {ROOT: f"{ROOT}.1", f"{ROOT}.1": f"{ROOT}.2", f"{ROOT}.2": f"{ROOT}.1"}  # .2 leads back to .1
    requests: list[Message] = []
    server = asyncio.create_task(walk_agent(agent, cycle.get, requests))
    try:
        t = Target(host="127.0.0.1", port=agent.port, community=b"public", version=version)  # type: ignore[arg-type]
        got = await asyncio.wait_for(client.fetch(t, FetchPlan(columns=(ROOT,), max_repetitions=5)), 5)
    finally:
        server.cancel()
    assert got == {f"{ROOT}.1": 1, f"{ROOT}.2": 2}
    assert len(requests) <= 3


async def test_walk_is_capped(agent: ScriptedAgent) -> None:
    def endless(oid: str) -> str:  # ROOT.1, ROOT.2, ... without end
        return f"{ROOT}.{int(oid.rsplit('.', 1)[1]) + 1}" if oid != ROOT else f"{ROOT}.1"
    client = LeanSnmpClient(max_walk_rows=120)
    requests: list[Message] = []
    server = asyncio.create_task(walk_agent(agent, endless, requests))
    try:
        got = await asyncio.wait_for(client.fetch(target(agent), FetchPlan(columns=(ROOT,), max_repetitions=25)), 5)
    finally:
        server.cancel()
        await client.close()
    assert len(got) == 120
    assert len(requests) == 5


async def test_too_big_walk_asks_for_fewer_rows_then_fewer_columns(agent: ScriptedAgent,
                                                                   client: LeanSnmpClient) -> None:
    def table(oid: str) -> str | None:  # columns ROOT.1 and ROOT.2, rows 1..20 each
        col, _, row = oid.removeprefix(ROOT + ".").partition(".")
        if not row:
            return f"{oid}.1"
        return f"{ROOT}.{col}.{int(row) + 1}" if int(row) < 20 else (f"{ROOT}.2.1" if col == "1" else None)
    requests: list[Message] = []
    server = asyncio.create_task(walk_agent(agent, table, requests, limit=1))
    try:
        got = await asyncio.wait_for(client.fetch(target(agent), FetchPlan(
            columns=(f"{ROOT}.1", f"{ROOT}.2"), max_repetitions=8)), 5)
    finally:
        server.cancel()
    assert got == {f"{ROOT}.{c}.{r}": r for c in (1, 2) for r in range(1, 21)}
    # 8 -> 4 -> 2 -> 1 repetitions, then one column per request
    assert [(r.error_index, len(r.varbinds)) for r in requests[:5]] == [(8, 2), (4, 2), (2, 2), (1, 2), (1, 1)]


async def test_close_fails_the_requests_in_flight(agent: ScriptedAgent, client: LeanSnmpClient) -> None:
    fetch = asyncio.create_task(client.fetch(target(agent), FetchPlan(scalars=(SYSNAME,))))
    await agent.request()
    await client.close()
    with pytest.raises(PollError) as e:
        await fetch
    assert e.value.kind is PollErrorKind.NETWORK


async def test_cancelled_fetch_leaves_nothing_pending(agent: ScriptedAgent, client: LeanSnmpClient) -> None:
    fetch = asyncio.create_task(client.fetch(target(agent), FetchPlan(scalars=(SYSNAME,))))
    req, addr = await agent.request()
    fetch.cancel()
    with pytest.raises(asyncio.CancelledError):
        await fetch
    agent.sock.sendto(reply(req, GENUINE), addr)  # the answer comes too late: nobody waits for it
    await until(lambda: client.dropped["unknown_request_id"] == 1)


def test_drop_reasons_are_the_exported_labels() -> None:
    assert set(LeanSnmpClient().dropped) == set(DROP_REASONS) == {
        "malformed", "unknown_request_id", "wrong_source", "wrong_community", "wrong_version", "not_response",
        "oversized"}
