"""PysnmpClient over SNMPv3 (USM) against net-snmp snmpd users on 127.0.0.1.

Each protocol pair is a user of the same agent; a wrong key must come back as the failure an
operator can act on, and never show the key.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
import pytest_asyncio

from sitewatch.core.errors import PollError
from sitewatch.core.model import PollErrorKind
from sitewatch.snmp.client import FetchPlan, Target, UsmAuth
from sitewatch.snmp.pysnmp_client import PysnmpClient
from tests.agents import SnmpdAgent

pytestmark = pytest.mark.asyncio(loop_scope="module")

AUTH_KEY = "auth-Passphrase-1"
PRIV_KEY = "priv-Passphrase-1"
#: user -> (net-snmp auth, net-snmp priv, our auth, our priv)
USERS = {
    "shaaes": ("SHA", "AES", "sha", "aes"),
    "sha256aes256": ("SHA-256", "AES-256", "sha256", "aes256"),
    # SHA-1 keys are too short for AES-256: this pair only works with the same key extension as snmpd
    "shaaes256": ("SHA", "AES-256", "sha", "aes256"),
    "sha512aes192": ("SHA-512", "AES-192", "sha512", "aes192"),
    "md5des": ("MD5", "DES", "md5", "des"),
    "sha224auth": ("SHA-224", None, "sha224", None),
    "sha384auth": ("SHA-384", None, "sha384", None),
}
SYS = "1.3.6.1.2.1.1"
PLAN = FetchPlan(scalars=(f"{SYS}.5.0", f"{SYS}.2.0"), columns=(f"{SYS}.9.1.2",))


def _user_lines(user: str, auth: str, priv: str | None, auth_key: str = AUTH_KEY, priv_key: str = PRIV_KEY) -> str:
    create = f"createUser {user} {auth} {auth_key}" + (f" {priv} {priv_key}" if priv else "")
    return f"{create}\nrouser {user} {'priv' if priv else 'auth'}\n"


@pytest.fixture(scope="module")
def snmpd() -> Iterator[SnmpdAgent]:
    conf = "".join(_user_lines(u, a, p) for u, (a, p, _, _) in USERS.items())
    with SnmpdAgent(extra_conf=conf + "createUser plain\nrouser plain noauth\n") as agent:
        yield agent


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client() -> AsyncIterator[PysnmpClient]:
    c = PysnmpClient()
    yield c
    await c.close()


def v3(port: int, usm: UsmAuth, timeout: float = 2.0) -> Target:
    return Target(host="127.0.0.1", port=port, version="3", usm=usm, timeout=timeout, retries=1)


def user(name: str, auth_key: str = AUTH_KEY, priv_key: str = PRIV_KEY, context_name: str = "") -> UsmAuth:
    _, _, auth, priv = USERS[name]
    return UsmAuth(username=name, auth_protocol=auth, auth_key=auth_key, priv_protocol=priv,
                   priv_key=priv_key if priv else None, context_name=context_name)


@pytest.mark.parametrize("name", list(USERS))
async def test_every_protocol_pair_reads_the_agent(client: PysnmpClient, snmpd: SnmpdAgent, name: str) -> None:
    values = await client.fetch(v3(snmpd.port, user(name)), PLAN)
    assert values[f"{SYS}.2.0"] == "1.3.6.1.4.1.8072.3.2.10"  # net-snmp's sysObjectID
    assert isinstance(values[f"{SYS}.5.0"], bytes)
    assert f"{SYS}.9.1.2.1" in values  # the walk went through as well


async def test_no_auth_no_priv_user(client: PysnmpClient, snmpd: SnmpdAgent) -> None:
    values = await client.fetch(v3(snmpd.port, UsmAuth(username="plain")), PLAN)
    assert values[f"{SYS}.2.0"] == "1.3.6.1.4.1.8072.3.2.10"


async def test_wrong_auth_key_is_an_auth_error_without_the_key(client: PysnmpClient, snmpd: SnmpdAgent) -> None:
    wrong = "Wrong-auth-key-42"
    with pytest.raises(PollError) as caught:
        await client.fetch(v3(snmpd.port, user("md5des", auth_key=wrong)), PLAN)
    assert caught.value.kind is PollErrorKind.AUTH
    assert "digest" in caught.value.detail.lower()
    for secret in (wrong, PRIV_KEY):
        assert secret not in str(caught.value) and secret not in repr(caught.value)


async def test_unknown_user_is_an_auth_error(client: PysnmpClient, snmpd: SnmpdAgent) -> None:
    with pytest.raises(PollError) as caught:
        await client.fetch(v3(snmpd.port, UsmAuth(username="nobody", auth_protocol="sha", auth_key=AUTH_KEY)), PLAN)
    assert caught.value.kind is PollErrorKind.AUTH
    assert "user" in caught.value.detail.lower()


async def test_wrong_privacy_key_times_out_with_a_hint(client: PysnmpClient, snmpd: SnmpdAgent) -> None:
    # snmpd cannot decrypt the request and stays silent: all a manager can see is a timeout
    wrong = "Wrong-priv-key-42"
    with pytest.raises(PollError) as caught:
        await client.fetch(v3(snmpd.port, user("shaaes", priv_key=wrong), timeout=0.5), PLAN)
    assert caught.value.kind is PollErrorKind.TIMEOUT
    assert "privacy key" in caught.value.detail
    assert wrong not in str(caught.value) and AUTH_KEY not in str(caught.value)


async def test_context_name_is_sent(client: PysnmpClient, snmpd: SnmpdAgent) -> None:
    # snmpd drops requests for a context it does not serve (snmpget -n sees a timeout too)
    with pytest.raises(PollError) as caught:
        await client.fetch(v3(snmpd.port, user("shaaes", context_name="no-such-context"), timeout=0.5), PLAN)
    assert caught.value.kind is PollErrorKind.TIMEOUT


async def test_short_key_is_refused_before_sending(client: PysnmpClient, snmpd: SnmpdAgent) -> None:
    with pytest.raises(PollError) as caught:
        await client.fetch(v3(snmpd.port, user("shaaes", auth_key="short")), PLAN)
    assert caught.value.kind is PollErrorKind.AUTH and "short" not in caught.value.detail.replace("shorter", "")


async def test_same_user_name_with_other_keys_on_another_agent(client: PysnmpClient, snmpd: SnmpdAgent) -> None:
    # per-region passwords: one user name, two key sets, polled at the same time
    other_auth, other_priv = "region-2-Auth-key", "region-2-Priv-key"
    with SnmpdAgent(extra_conf=_user_lines("shaaes", "SHA", "AES", other_auth, other_priv)) as other:
        first, second = await asyncio.gather(
            client.fetch(v3(snmpd.port, user("shaaes")), PLAN),
            client.fetch(v3(other.port, user("shaaes", auth_key=other_auth, priv_key=other_priv)), PLAN))
        again = await client.fetch(v3(snmpd.port, user("shaaes")), PLAN)
    assert first[f"{SYS}.2.0"] == second[f"{SYS}.2.0"] == again[f"{SYS}.2.0"] == "1.3.6.1.4.1.8072.3.2.10"


class CorruptingRelay(asyncio.DatagramProtocol):
    """A UDP relay on 127.0.0.1 between the client and a real agent. Every reply of the agent is
    first sent corrupted (same message ids, broken after them), then, unless ``only_corrupted``,
    as the agent sent it: what a spoofer who guessed the ids, or a damaged datagram, looks like."""

    def __init__(self, agent_port: int, *, only_corrupted: bool = False) -> None:
        self.agent_port = agent_port
        self.only_corrupted = only_corrupted
        self.client: tuple[str, int] | None = None
        self.front: asyncio.DatagramTransport | None = None
        self.back: asyncio.DatagramTransport | None = None
        self.corrupted = 0
        self.values_broken = 0  #: of which plaintext replies whose value was broken

    async def __aenter__(self) -> CorruptingRelay:
        loop = asyncio.get_running_loop()
        self.front, _ = await loop.create_datagram_endpoint(lambda: _Side(self.from_client),
                                                            local_addr=("127.0.0.1", 0))
        self.back, _ = await loop.create_datagram_endpoint(lambda: _Side(self.from_agent),
                                                           remote_addr=("127.0.0.1", self.agent_port))
        return self

    async def __aexit__(self, *exc: object) -> None:
        for t in (self.front, self.back):
            if t is not None:
                t.close()

    @property
    def port(self) -> int:
        assert self.front is not None
        return int(self.front.get_extra_info("sockname")[1])

    def from_client(self, data: bytes, addr: tuple[str, int]) -> None:
        self.client = addr
        assert self.back is not None
        self.back.sendto(data)

    def from_agent(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.front is not None and self.client is not None
        bad, value_broken = corrupt(data)
        self.front.sendto(bad, self.client)
        self.corrupted += 1
        self.values_broken += value_broken
        if not self.only_corrupted:
            self.front.sendto(data, self.client)


class _Side(asyncio.DatagramProtocol):
    def __init__(self, received: Callable[[bytes, tuple[str, int]], None]) -> None:
        self.received = received

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received(data, addr)


SYS_OBJECT_ID = f"{SYS}.2.0"
#: sysObjectID.0's OID TLV: in a plaintext reply the value's tag follows it
_OID_TLV = bytes.fromhex("06082b06010201010200")


def corrupt(data: bytes) -> tuple[bytes, bool]:
    """Break a reply after its message and request ids, and say whether its value was the part
    broken: in plaintext, sysObjectID's value gets a tag that is no tag (0x1f opens a long tag
    whose length then overruns); otherwise (encrypted, or no such value) the last byte is flipped
    (an encrypted reply's digest no longer matches)."""
    if _OID_TLV + b"\x06" in data:
        return data.replace(_OID_TLV + b"\x06", _OID_TLV + b"\x1f"), True
    return data[:-1] + bytes([data[-1] ^ 0xFF]), False


@pytest.mark.parametrize("name", ["plain", "shaaes"])
async def test_corrupted_reply_with_the_right_ids_is_dropped_and_the_genuine_one_counts(
        client: PysnmpClient, snmpd: SnmpdAgent, name: str) -> None:
    usm = UsmAuth(username="plain") if name == "plain" else user(name)
    async with CorruptingRelay(snmpd.port) as relay:
        values = await client.fetch(v3(relay.port, usm), FetchPlan(scalars=(SYS_OBJECT_ID,)))
    assert values == {SYS_OBJECT_ID: "1.3.6.1.4.1.8072.3.2.10"}
    assert relay.values_broken >= 1 if name == "plain" else relay.corrupted >= 2  # discovery, then the GET


@pytest.mark.parametrize("name", ["plain", "shaaes"])
async def test_only_corrupted_replies_are_a_timeout_not_a_decode_error(
        client: PysnmpClient, snmpd: SnmpdAgent, name: str) -> None:
    usm = UsmAuth(username="plain") if name == "plain" else user(name)
    async with CorruptingRelay(snmpd.port, only_corrupted=True) as relay:
        with pytest.raises(PollError) as caught:
            await client.fetch(v3(relay.port, usm, timeout=0.5), FetchPlan(scalars=(SYS_OBJECT_ID,)))
    assert caught.value.kind is PollErrorKind.TIMEOUT
    assert relay.corrupted >= 1  # (the engine discovery's report, corrupted, is dropped as well)
