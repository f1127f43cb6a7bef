"""Strings a device sends reach the readings as one clean line: an agent (snmpsim on 127.0.0.1)
whose ifName, ifDescr and ifAlias carry line breaks, chat markup, escape sequences and a great
length, polled by the lean client and mapped by the shipped if-mib profile."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from sitewatch.core.devicetext import LIMIT
from sitewatch.snmp.client import Target
from sitewatch.snmp.lean_client import LeanSnmpClient
from sitewatch.snmp.profiles import compile_profiles, load_profiles
from tests.agents import SnmpsimAgent

IF, IFX = "1.3.6.1.2.1.2.2.1", "1.3.6.1.2.1.31.1.1.1"
HOSTILE_NAME = b"eth10\r\nBcc: x@evil.example <!channel>\x1b[31m\xe2\x80\xae"
HOSTILE_ALIAS = b"uplink \x00\x07 to PLK " + b"A" * 400


def _rows(*cells: tuple[str, bytes]) -> str:
    return "".join(f"{oid}|4x|{value.hex()}\n" for oid, value in cells)


#: interface 1 named by ifName, interface 2 (no ifName) by ifDescr; both down, admin up
RECORDING = "1.3.6.1.2.1.1.3.0|67|100\n" + _rows(
    (f"{IF}.2.1", b"ge-0/0/1"), (f"{IF}.2.2", b"Gi0/2 <https://evil.example/ack|Acknowledge>\r\nX")) + "".join(
    f"{IF}.{col}.{i}|2|{v}\n" for col, v in ((3, 6), (7, 1), (8, 2)) for i in (1, 2)) + _rows(
    (f"{IFX}.1.1", HOSTILE_NAME), (f"{IFX}.18.1", HOSTILE_ALIAS))


@pytest.fixture(scope="module")
def agent() -> Iterator[SnmpsimAgent]:
    with SnmpsimAgent(data={"hostile": RECORDING}) as a:
        yield a


@pytest.fixture
async def client() -> AsyncIterator[LeanSnmpClient]:
    c = LeanSnmpClient()
    yield c
    await c.close()


async def test_interface_names_and_aliases_arrive_printable_and_capped(agent: SnmpsimAgent,
                                                                       client: LeanSnmpClient) -> None:
    compiled = compile_profiles([load_profiles()["if-mib"]])
    raw = await client.fetch(Target(host="127.0.0.1", port=agent.port, community=b"hostile", timeout=3.0,
                                    retries=2), compiled.plan)
    links = {dict(r.labels)["interface"]: dict(r.info) for r in compiled.readings(raw) if r.name == "link_up"}
    assert set(links) == {"eth10 Bcc: x@evil.example <!channel> [31m", "Gi0/2 <https://evil.example/ack|Acknowledge> X"}
    alias = links["eth10 Bcc: x@evil.example <!channel> [31m"]["alias"]
    assert alias.startswith("uplink to PLK AAAA") and alias.endswith("…") and len(alias) == LIMIT
    for name, info in links.items():
        assert name.isprintable() and all(v.isprintable() for v in info.values())
