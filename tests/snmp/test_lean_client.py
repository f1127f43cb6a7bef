"""The lean client against real agents on 127.0.0.1: net-snmp snmpd and snmpsim.

Values are checked against what the net-snmp command-line tools (snmpget, snmpbulkwalk,
snmpwalk) read from the same agent, so a decoding or mapping error shows as a difference.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import snmpsim as snmpsim_package

from sitewatch.core.errors import PollError
from sitewatch.core.model import PollErrorKind, SnmpException, SnmpValue
from sitewatch.snmp.client import FetchPlan, Target
from sitewatch.snmp.lean_client import LeanSnmpClient
from tests.agents import FIXTURES, SnmpdAgent, SnmpsimAgent, free_udp_port

#: snmpsim's own variation modules (error, ...) and ours (maxvarbinds)
VARIATION_ARGS = [f"--variation-modules-dir={Path(snmpsim_package.__file__).parent / 'variation'}",
                  f"--variation-modules-dir={Path(__file__).parent / 'lean_variations'}"]
RECORDINGS = sorted(FIXTURES.glob("*.snmprec"))
SYS = "1.3.6.1.2.1.1"
IF = "1.3.6.1.2.1.2.2.1"
#: snmpd values that do not move while the tests run (no uptime, no traffic counters)
STABLE_SCALARS = (f"{SYS}.1.0", f"{SYS}.2.0", f"{SYS}.4.0", f"{SYS}.5.0", f"{SYS}.6.0", f"{SYS}.9.1.3.1",
                  f"{SYS}.9.1.2.1", f"{IF}.2.1", f"{IF}.3.1", f"{IF}.4.1", f"{IF}.5.1", f"{IF}.7.1",
                  "1.3.6.1.2.1.4.20.1.1.127.0.0.1", "1.3.6.1.2.1.4.20.1.3.127.0.0.1",
                  "1.3.6.1.2.1.99.0", f"{SYS}.1")  # the last two: noSuchObject, noSuchInstance
STABLE_COLUMNS = (f"{IF}.2", f"{IF}.3", f"{IF}.4", f"{IF}.6", f"{IF}.7", "1.3.6.1.2.1.4.20.1.1")

# ------------------------------------------------------------------ net-snmp CLI as the reference

_LINE = re.compile(r"^\.?(\d[\d.]*) = (.*)$")
_EXCEPTIONS = {"No Such Object": SnmpException.NO_SUCH_OBJECT, "No Such Instance": SnmpException.NO_SUCH_INSTANCE,
               "No more variables": SnmpException.END_OF_MIB_VIEW}


def _value(text: str) -> SnmpValue:
    for prefix, exc in _EXCEPTIONS.items():
        if text.startswith(prefix):
            return exc
    kind, _, rest = text.partition(": ")
    if text in ('""', 'STRING: ""'):
        return b""
    if text == "NULL":
        return None
    if kind == "Hex-STRING":
        return bytes.fromhex(rest)
    if kind == "OID":
        return rest.lstrip(".")
    if kind == "IpAddress":
        return bytes(int(x) for x in rest.split("."))
    if kind in ("INTEGER", "Counter32", "Gauge32", "Counter64", "UInteger32"):
        return int(rest)
    if re.fullmatch(r"\d+", text):  # Timeticks under -Ot
        return int(text)
    raise AssertionError(f"unexpected net-snmp output: {text!r}")


def net_snmp(tool: str, version: str, community: str, port: int, *oids: str) -> dict[str, SnmpValue]:
    """Run a net-snmp tool (numeric OIDs, strings in hex, raw timeticks) and parse its output."""
    cmd = [tool, f"-v{version}", "-c", community, "-On", "-Ox", "-Ot", "-r1", "-t2", f"127.0.0.1:{port}", *oids]
    env = dict(os.environ, MIBS="", MIBDIRS="/nonexistent")
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60).stdout
    result: dict[str, SnmpValue] = {}
    key, text = None, ""
    for line in [*out.splitlines(), "."]:
        m = _LINE.match(line)
        if m or line == ".":
            if key is not None and not text.startswith("No more variables"):  # a walk's end, not a row
                result[key] = _value(text.strip())
            key, text = (m.group(1), m.group(2)) if m else (None, "")
        elif key is not None:
            text += " " + line  # hex strings continue on following lines
    return result


# ------------------------------------------------------------------ agents

@pytest.fixture(scope="module")
def snmpd() -> Iterator[SnmpdAgent]:
    # a 4 MiB receive buffer: 500 requests arriving at once overflow the default one
    with SnmpdAgent(extra_conf="[snmp] serverRecvBuf 4194304\nrocommunity site0001 127.0.0.1") as agent:
        yield agent


SMALL = "\n".join([
    "1.3.6.1.2.1.1.5.0|4|last-site",
    "1.3.6.1.4.1.99999.2.1.1|2|11", "1.3.6.1.4.1.99999.2.1.2|2|12", "1.3.6.1.4.1.99999.2.1.3|2|13",
]) + "\n"
TOOBIG = "".join(f"1.3.6.1.4.1.99999.1.{i}.0|2:maxvarbinds|limit=5,value={i * 10}\n" for i in range(1, 13))
TINY = "".join(f"1.3.6.1.4.1.99999.1.{i}.0|2:maxvarbinds|limit=0,value=1\n" for i in range(1, 3))
GENERR = "1.3.6.1.2.1.1.5.0|4|ok\n1.3.6.1.4.1.99999.3.0|2:error|op=get,status=generror\n"


@pytest.fixture(scope="module")
def snmpsim() -> Iterator[SnmpsimAgent]:
    with SnmpsimAgent(files=RECORDINGS, data={"small": SMALL, "toobig": TOOBIG, "tiny": TINY, "generror": GENERR},
                      extra_args=VARIATION_ARGS) as agent:
        yield agent


def target(port: int, community: str = "public", version: str = "2c", timeout: float = 2.0,
           retries: int = 1) -> Target:
    return Target(host="127.0.0.1", port=port, community=community.encode(), version=version,  # type: ignore[arg-type]
                  timeout=timeout, retries=retries)


@pytest.fixture
async def client() -> LeanSnmpClient:
    c = LeanSnmpClient()
    yield c  # type: ignore[misc]
    await c.close()


# ------------------------------------------------------------------ snmpd

@pytest.mark.parametrize("version", ["1", "2c"])
async def test_get_matches_snmpget(snmpd: SnmpdAgent, client: LeanSnmpClient, version: str) -> None:
    got = await client.fetch(target(snmpd.port, version=version), FetchPlan(scalars=STABLE_SCALARS))
    present = STABLE_SCALARS[:-2]
    assert {k: got[k] for k in present} == net_snmp("snmpget", "2c", "public", snmpd.port, *present)
    if version == "2c":
        assert got["1.3.6.1.2.1.99.0"] is SnmpException.NO_SUCH_OBJECT
        assert got[f"{SYS}.1"] is SnmpException.NO_SUCH_INSTANCE
    else:  # v1 agents answer noSuchName: the client marks the OID and asks again for the rest
        assert got["1.3.6.1.2.1.99.0"] is got[f"{SYS}.1"] is SnmpException.NO_SUCH_OBJECT
    assert set(got) == set(STABLE_SCALARS)


async def test_bulk_walk_matches_snmpbulkwalk(snmpd: SnmpdAgent, client: LeanSnmpClient) -> None:
    plan = FetchPlan(columns=STABLE_COLUMNS, max_repetitions=3)  # small: forces several rounds
    got = await client.fetch(target(snmpd.port), plan)
    expected: dict[str, SnmpValue] = {}
    for column in STABLE_COLUMNS:
        expected.update(net_snmp("snmpbulkwalk", "2c", "public", snmpd.port, column))
    assert got == expected
    assert len(got) >= 2 * len(STABLE_COLUMNS)


async def test_v1_getnext_walk_matches_snmpwalk(snmpd: SnmpdAgent, client: LeanSnmpClient) -> None:
    got = await client.fetch(target(snmpd.port, version="1"), FetchPlan(columns=(f"{IF}.2", f"{IF}.3")))
    expected = {**net_snmp("snmpwalk", "1", "public", snmpd.port, f"{IF}.2"),
                **net_snmp("snmpwalk", "1", "public", snmpd.port, f"{IF}.3")}
    assert got == expected


async def test_scalars_and_columns_in_one_fetch_with_small_gets(snmpd: SnmpdAgent, client: LeanSnmpClient) -> None:
    plan = FetchPlan(scalars=STABLE_SCALARS[:-2], columns=(f"{IF}.2",), max_varbinds_per_get=3)
    got = await client.fetch(target(snmpd.port), plan)
    assert got == {**net_snmp("snmpget", "2c", "public", snmpd.port, *STABLE_SCALARS[:-2]),
                   **net_snmp("snmpbulkwalk", "2c", "public", snmpd.port, f"{IF}.2")}


async def test_500_concurrent_fetches_without_a_timeout(snmpd: SnmpdAgent, client: LeanSnmpClient) -> None:
    plan = FetchPlan(scalars=STABLE_SCALARS[:-2])
    expected = await client.fetch(target(snmpd.port), plan)
    results = await asyncio.gather(*(client.fetch(target(snmpd.port, community="site0001" if i % 2 else "public"),
                                                  plan) for i in range(500)), return_exceptions=True)
    assert [r for r in results if not isinstance(r, dict)] == []
    assert all(r == expected for r in results)
    assert sum(client.dropped.values()) == 0


async def test_dead_port_times_out_after_the_retries(client: LeanSnmpClient) -> None:
    started = time.monotonic()
    with pytest.raises(PollError) as e:
        await client.fetch(target(free_udp_port(), timeout=0.2, retries=2), FetchPlan(scalars=(f"{SYS}.1.0",)))
    assert e.value.kind is PollErrorKind.TIMEOUT
    assert 0.55 < time.monotonic() - started < 2.0  # three tries of 0.2 s


async def test_wrong_community_is_a_timeout_for_snmpd(snmpd: SnmpdAgent, client: LeanSnmpClient) -> None:
    with pytest.raises(PollError) as e:
        await client.fetch(target(snmpd.port, community="nope", timeout=0.2, retries=0),
                           FetchPlan(scalars=(f"{SYS}.1.0",)))
    assert e.value.kind is PollErrorKind.TIMEOUT
    assert "nope" not in str(e.value)


async def test_v3_is_refused(client: LeanSnmpClient) -> None:
    with pytest.raises(ValueError, match="v3"):
        await client.fetch(Target(host="127.0.0.1", version="3"), FetchPlan(scalars=(f"{SYS}.1.0",)))


# ------------------------------------------------------------------ snmpsim and the real recordings

def _recorded_values(recording: Path) -> int:
    return sum("|" in line for line in recording.read_text(errors="replace").splitlines())


@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda p: p.stem)
async def test_recording_walk_and_get_match_net_snmp(snmpsim: SnmpsimAgent, client: LeanSnmpClient,
                                                     recording: Path) -> None:
    t = target(snmpsim.port, community=recording.stem)
    walked = await client.fetch(t, FetchPlan(columns=("1.3.6.1",)))
    assert walked == net_snmp("snmpbulkwalk", "2c", recording.stem, snmpsim.port, "1.3.6.1")
    # every recorded value came back (a walk that stops early would match a net-snmp that did too)
    assert len(walked) >= min(10, _recorded_values(recording)) and walked
    some = tuple(list(walked)[:60])
    got = await client.fetch(t, FetchPlan(scalars=some))
    assert got == {k: walked[k] for k in some}


async def test_out_of_order_rows_are_followed_like_snmpbulkwalk(snmpsim: SnmpsimAgent, client: LeanSnmpClient) -> None:
    # aviat-wtm.snmprec has ...14.60 before ...14.59: the agent's GETNEXT order goes back once
    column = "1.3.6.1.4.1.2509.9.3.2.1.1"
    got = await client.fetch(target(snmpsim.port, community="aviat-wtm"), FetchPlan(columns=(column,)))
    assert got == net_snmp("snmpbulkwalk", "2c", "aviat-wtm", snmpsim.port, column)
    assert {f"{column}.14.60", f"{column}.14.59"} <= set(got)


@pytest.mark.parametrize("version", ["1", "2c"])
async def test_walk_to_the_end_of_the_agent_view(snmpsim: SnmpsimAgent, client: LeanSnmpClient,
                                                 version: str) -> None:
    # v2c ends with endOfMibView, v1 with noSuchName: both end the column, keeping its rows
    plan = FetchPlan(columns=("1.3.6.1.4.1.99999.2.1", "1.3.6.1.2.1.1"), max_repetitions=10)
    got = await client.fetch(target(snmpsim.port, community="small", version=version), plan)
    assert got == {"1.3.6.1.4.1.99999.2.1.1": 11, "1.3.6.1.4.1.99999.2.1.2": 12, "1.3.6.1.4.1.99999.2.1.3": 13,
                   "1.3.6.1.2.1.1.5.0": b"last-site"}


async def test_too_big_gets_are_split_in_halves(snmpsim: SnmpsimAgent, client: LeanSnmpClient) -> None:
    # the 'toobig' site answers tooBig to any request of more than 5 varbinds
    oids = tuple(f"1.3.6.1.4.1.99999.1.{i}.0" for i in range(1, 13))
    t = target(snmpsim.port, community="toobig")
    for _ in range(2):  # the second poll starts from the size learned by the first
        assert await client.fetch(t, FetchPlan(scalars=oids)) == {o: i * 10 for i, o in enumerate(oids, 1)}


async def test_too_big_for_a_single_varbind_is_an_agent_error(snmpsim: SnmpsimAgent,
                                                              client: LeanSnmpClient) -> None:
    # the 'tiny' site answers tooBig even to a single varbind
    with pytest.raises(PollError) as e:
        await client.fetch(target(snmpsim.port, community="tiny"),
                           FetchPlan(scalars=("1.3.6.1.4.1.99999.1.1.0", "1.3.6.1.4.1.99999.1.2.0")))
    assert e.value.kind is PollErrorKind.AGENT_ERROR
    assert "tooBig" in str(e.value)


async def test_gen_err_is_an_agent_error_with_its_name(snmpsim: SnmpsimAgent, client: LeanSnmpClient) -> None:
    with pytest.raises(PollError) as e:
        await client.fetch(target(snmpsim.port, community="generror"),
                           FetchPlan(scalars=("1.3.6.1.2.1.1.5.0", "1.3.6.1.4.1.99999.3.0")))
    assert e.value.kind is PollErrorKind.AGENT_ERROR
    assert "genErr" in str(e.value)


async def test_leading_dots_in_the_plan_do_not_show_in_the_keys(snmpd: SnmpdAgent, client: LeanSnmpClient) -> None:
    got = await client.fetch(target(snmpd.port), FetchPlan(scalars=(f".{SYS}.5.0",), columns=(f".{IF}.2",)))
    assert got == {**net_snmp("snmpget", "2c", "public", snmpd.port, f"{SYS}.5.0"),
                   **net_snmp("snmpbulkwalk", "2c", "public", snmpd.port, f"{IF}.2")}
