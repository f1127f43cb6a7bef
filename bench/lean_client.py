"""Micro-benchmark of the lean SNMP client alone against net-snmp snmpd on 127.0.0.1.

Work per fetch is "get36" (the measure of /work/shared/notes/snmp.md): one GET of 16 scalars
(system + UPS-MIB battery/input/output) and the 20 IF-MIB instances of 4 interfaces. Rounds of
N = 1000 / 5000 / 10000 fetches at concurrency 500, then 10,000 targets each with its own
community (first poll of each, then the next one; against an snmpd configured
with all 10,000 communities), then pysnmp hlapi (``lookupMib=False``, the
cheaper way) on the same agent for comparison. CPU is this process's CPU time; the agent's
own CPU is reported beside it (a slow agent means fewer replies per event-loop turn, so the
client's CPU per fetch rises a little: compare rounds against the same agent).

    python3 bench/lean_client.py [--quick]

Prints a table and writes bench/results/lean_client.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sitewatch.errors import PollError  # noqa: E402
from sitewatch.model import PollErrorKind  # noqa: E402
from sitewatch.snmp.client import FetchPlan, Target  # noqa: E402
from sitewatch.snmp.lean_client import LeanSnmpClient  # noqa: E402
from tests.agents import SnmpdAgent  # noqa: E402

SYSTEM = [f"1.3.6.1.2.1.1.{i}.0" for i in (1, 2, 3, 4, 5, 6)]
UPS = ([f"1.3.6.1.2.1.33.1.2.{i}.0" for i in (1, 2, 3, 4, 5, 7)]  # battery
       + ["1.3.6.1.2.1.33.1.3.3.1.3.1"]  # input voltage, phase 1
       + ["1.3.6.1.2.1.33.1.4.1.0", "1.3.6.1.2.1.33.1.4.4.1.2.1", "1.3.6.1.2.1.33.1.4.4.1.5.1"])  # output
IF_MIB = [f"1.3.6.1.2.1.2.2.1.{col}.{i}" for col in (2, 7, 8, 10, 16) for i in (1, 2, 3, 4)]
GET36 = FetchPlan(scalars=tuple(SYSTEM + UPS + IF_MIB))
assert len(GET36.scalars) == 36
CONCURRENCY = 500
COMMUNITIES = 10_000
RESULTS = ROOT / "bench" / "results" / "lean_client.json"


def agent_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run_round(name: str, fetch: Callable[[Target], Awaitable[object]], targets: Sequence[Target],
                    concurrency: int, agent_pid: int) -> dict[str, Any]:
    """``len(targets)`` fetches by ``concurrency`` workers; CPU, rate and failures."""
    queue = iter(targets)
    failures: dict[str, int] = {}

    async def worker() -> None:
        for t in queue:
            try:
                await fetch(t)
            except PollError as e:
                failures[e.kind.value] = failures.get(e.kind.value, 0) + 1

    a0, c0, w0 = agent_cpu(agent_pid), time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    c1, w1, a1 = time.process_time(), time.perf_counter(), agent_cpu(agent_pid)
    n = len(targets)
    return {"round": name, "fetches": n, "concurrency": concurrency,
            "cpu_s_per_1000": round((c1 - c0) / n * 1000, 4), "fetches_per_s": round(n / (w1 - w0)),
            "timeouts": failures.get(PollErrorKind.TIMEOUT.value, 0), "other_failures": sum(
                v for k, v in failures.items() if k != PollErrorKind.TIMEOUT.value),
            "agent_cpu_s_per_1000": round((a1 - a0) / n * 1000, 4), "peak_rss_mib": round(peak_rss_mib(), 1)}


async def lean_rounds(agent: SnmpdAgent, sizes: Sequence[int]) -> list[dict[str, Any]]:
    """One community, N fetches each round, against an agent that knows only that community."""
    client = LeanSnmpClient()
    public = Target(host="127.0.0.1", port=agent.port, community=b"public", timeout=2.0, retries=1)

    async def fetch(t: Target) -> object:
        return await client.fetch(t, GET36)

    check = await client.fetch(public, GET36)
    assert len(check) == 36, check
    pid = agent.proc.pid  # type: ignore[union-attr]
    await run_round("warm-up", fetch, [public] * 500, CONCURRENCY, pid)
    rounds = [await run_round(f"lean, one community, N={n}", fetch, [public] * n, CONCURRENCY, pid) for n in sizes]
    rounds[-1]["dropped"] = dict(client.dropped)
    await client.close()
    return rounds


async def community_rounds(agent: SnmpdAgent, communities: int) -> list[dict[str, Any]]:
    """Each target its own community, against an agent configured with all of them.

    snmpd looks communities up linearly, so this agent is slower than the one above; for a fair
    comparison the first round polls the same number of targets sharing one community from the
    middle of the agent's list.
    """
    client = LeanSnmpClient()

    async def fetch(t: Target) -> object:
        return await client.fetch(t, GET36)

    def site(i: int) -> Target:
        return Target(host="127.0.0.1", port=agent.port, community=b"site%05d" % i, timeout=2.0, retries=1)

    pid = agent.proc.pid  # type: ignore[union-attr]
    middle = site(communities // 2)
    await run_round("warm-up", fetch, [middle] * 500, CONCURRENCY, pid)
    rounds = [await run_round(f"lean, 1 community of {communities} configured", fetch, [middle] * communities,
                              CONCURRENCY, pid)]
    many = [site(i) for i in range(communities)]
    for label in ("first poll", "next poll"):
        rounds.append(await run_round(f"lean, {communities} communities, {label}", fetch, many, CONCURRENCY, pid))
    rounds[-1]["dropped"] = dict(client.dropped)
    await client.close()
    return rounds


async def pysnmp_round(agent: SnmpdAgent, n: int, concurrency: int) -> dict[str, Any]:
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        get_cmd,
    )

    engine = SnmpEngine()
    transport = await UdpTransportTarget.create(("127.0.0.1", agent.port), timeout=2.0, retries=1)
    community = CommunityData("public", mpModel=1)
    context = ContextData()
    objects = [ObjectType(ObjectIdentity(o)) for o in GET36.scalars]

    async def fetch(_: Target) -> object:
        indication, status, _index, varbinds = await get_cmd(engine, community, transport, context, *objects,
                                                             lookupMib=False)
        if indication:
            raise PollError(PollErrorKind.TIMEOUT if "timeout" in str(indication).lower()
                            else PollErrorKind.NETWORK, str(indication))
        return varbinds

    dummy = Target(host="127.0.0.1", port=agent.port)
    await run_round("pysnmp warm-up", fetch, [dummy] * 50, concurrency, agent.proc.pid)  # type: ignore[union-attr]
    result = await run_round(f"pysnmp hlapi lookupMib=False, N={n}", fetch, [dummy] * n, concurrency,
                             agent.proc.pid)  # type: ignore[union-attr]
    engine.close_dispatcher()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller rounds (a smoke run)")
    parser.add_argument("--no-pysnmp", action="store_true", help="skip the pysnmp comparison")
    args = parser.parse_args()
    sizes = (1000, 2000) if args.quick else (1000, 5000, 10000)
    communities = 1000 if args.quick else COMMUNITIES
    buffer = "[snmp] serverRecvBuf 4194304\n"  # 500 requests at once overflow snmpd's default buffer
    with SnmpdAgent(extra_conf=buffer) as agent:
        rounds = asyncio.run(lean_rounds(agent, sizes))
        if not args.no_pysnmp:
            rounds.append(asyncio.run(pysnmp_round(agent, 300 if args.quick else 1000, 50)))
    many = buffer + "".join(f"rocommunity site{i:05d} 127.0.0.1\n" for i in range(communities))
    with SnmpdAgent(extra_conf=many) as agent:
        rounds += asyncio.run(community_rounds(agent, communities))
    header = f"{'round':<48} {'N':>6} {'conc':>5} {'CPU s/1000':>10} {'fetch/s':>8} {'t/o':>4} " \
             f"{'agent s/1000':>12} {'RSS MiB':>8}"
    print(header)
    print("-" * len(header))
    for r in rounds:
        print(f"{r['round']:<48} {r['fetches']:>6} {r['concurrency']:>5} {r['cpu_s_per_1000']:>10.3f} "
              f"{r['fetches_per_s']:>8} {r['timeouts']:>4} {r['agent_cpu_s_per_1000']:>12.3f} "
              f"{r['peak_rss_mib']:>8.1f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "work": "get36: one GET of 36 varbinds (16 system/UPS-MIB scalars + 20 IF-MIB instances)",
        "agent": "net-snmp snmpd on 127.0.0.1 (serverRecvBuf 4 MiB)",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "rounds": rounds,
    }, indent=2) + "\n")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
