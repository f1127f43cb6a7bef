"""Profiles end to end: snmpsim on 127.0.0.1 serves each recording (community = file name), the
team's SNMP clients fetch the detection plan and then the compiled plan, and the readings must
be what the recordings say. Runs once per client that exists (pysnmp, the lean codec).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest
import pytest_asyncio

from sitewatch.snmp.client import SnmpClient, Target
from sitewatch.snmp.lean_client import LeanSnmpClient
from sitewatch.snmp.profiles import SYS_OBJECT_ID, compile_profiles, detect_profiles, detection_plan, load_profiles
from sitewatch.snmp.pysnmp_client import PysnmpClient
from tests.agents import SnmpsimAgent
from tests.profiles.expected import DETECTED, EXPECTED, RECORDINGS, check, recording_path

#: both clients the daemon uses (pysnmp for v3, the lean codec for v1/v2c); each runs the whole set
CLIENTS: dict[str, Callable[[], SnmpClient]] = {"pysnmp": PysnmpClient, "lean": LeanSnmpClient}

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def agent() -> Iterator[SnmpsimAgent]:
    a = SnmpsimAgent(files=[recording_path(r) for r in RECORDINGS])
    with a:
        yield a


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=sorted(CLIENTS))
async def client(request: pytest.FixtureRequest) -> AsyncIterator[SnmpClient]:
    c = CLIENTS[request.param]()
    yield c
    await c.close()


def target(agent: SnmpsimAgent, recording: str) -> Target:
    return Target(host="127.0.0.1", port=agent.port, community=recording.encode(), timeout=3.0, retries=2)


@pytest.mark.parametrize("recording", RECORDINGS)
async def test_detect_fetch_and_map(recording: str, agent: SnmpsimAgent, client: SnmpClient) -> None:
    profiles = load_profiles()
    probe = await client.fetch(target(agent, recording), detection_plan(profiles))
    sys_oid = probe.get(SYS_OBJECT_ID)
    names = detect_profiles(sys_oid if isinstance(sys_oid, str) else None, probe, profiles)
    assert names == DETECTED[recording]
    compiled = compile_profiles([profiles[n] for n in names])
    raw = await client.fetch(target(agent, recording), compiled.plan)
    check(compiled.readings(raw), EXPECTED[recording])
