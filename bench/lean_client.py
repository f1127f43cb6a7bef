"""Micro-benchmark of the lean SNMP client alone against net-snmp snmpd on 127.0.0.1.

Work per fetch is "get36" (the measure of docs/snmp-measurements.md): one GET of 16 scalars
(system + UPS-MIB battery/input/output) and the 20 IF-MIB instances of 4 interfaces. Rounds of
N = 1000 / 5000 / 10000 fetches at concurrency 500 (three runs each: median and spread), then
10,000 targets each with its own community (first poll of each, then the next one; spread over
20 snmpd instances of 500 communities each, since snmpd looks communities up linearly) against
the same number of targets sharing one community per agent, then pysnmp hlapi (``lookupMib=False``, the
cheaper way) on the same agent for comparison. CPU is this process's CPU time; the agent's
own CPU is reported beside it (a slow agent means fewer replies per event-loop turn, so the
client's CPU per fetch rises a little: compare rounds against the same agent).

    python3 bench/lean_client.py [--quick]

Prints a table and writes bench/results/lean_client.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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

from sitewatch.core.errors import PollError  # noqa: E402
from sitewatch.core.model import PollErrorKind  # noqa: E402
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
AGENTS = 20  # snmpd instances sharing the 10,000 communities
RESULTS = ROOT / "bench" / "results" / "lean_client.json"


def agent_cpu(pids: Sequence[int]) -> float:
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pids(agents: Sequence[SnmpdAgent]) -> list[int]:
    return [a.proc.pid for a in agents if a.proc is not None]


async def run_round(name: str, fetch: Callable[[Target], Awaitable[object]], targets: Sequence[Target],
                    concurrency: int, agent_pids: Sequence[int]) -> dict[str, Any]:
    """``len(targets)`` fetches by ``concurrency`` workers; CPU, rate and failures."""
    queue = iter(targets)
    failures: dict[str, int] = {}

    async def worker() -> None:
        for t in queue:
            try:
                await fetch(t)
            except PollError as e:
                failures[e.kind.value] = failures.get(e.kind.value, 0) + 1

    load = os.getloadavg()[0]
    a0, c0, w0 = agent_cpu(agent_pids), time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    c1, w1, a1 = time.process_time(), time.perf_counter(), agent_cpu(agent_pids)
    n = len(targets)
    return {"round": name, "fetches": n, "concurrency": concurrency,
            "cpu_s_per_1000": round((c1 - c0) / n * 1000, 4), "fetches_per_s": round(n / (w1 - w0)),
            "timeouts": failures.get(PollErrorKind.TIMEOUT.value, 0), "other_failures": sum(
                v for k, v in failures.items() if k != PollErrorKind.TIMEOUT.value),
            "agent_cpu_s_per_1000": round((a1 - a0) / n * 1000, 4), "peak_rss_mib": round(peak_rss_mib(), 1),
            "load_average_1min": round(load, 2)}  # the machine is shared: a busy one inflates CPU figures


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Repeats of one round: the median run, with the spread of CPU per 1000 beside it.

    The machine is shared, so single runs are noisy; the minimum is the least disturbed one.
    """
    cpu = sorted(r["cpu_s_per_1000"] for r in runs)
    out = dict(sorted(runs, key=lambda r: r["cpu_s_per_1000"])[len(runs) // 2])
    out.update(repeats=len(runs), cpu_s_per_1000_min=cpu[0], cpu_s_per_1000_max=cpu[-1],
               timeouts=sum(r["timeouts"] for r in runs), other_failures=sum(r["other_failures"] for r in runs))
    return out


async def lean_rounds(agent: SnmpdAgent, sizes: Sequence[int], repeats: int) -> list[dict[str, Any]]:
    """One community, N fetches each round, against an agent that knows only that community."""
    client = LeanSnmpClient()
    public = Target(host="127.0.0.1", port=agent.port, community=b"public", timeout=2.0, retries=1)

    async def fetch(t: Target) -> object:
        return await client.fetch(t, GET36)

    check = await client.fetch(public, GET36)
    assert len(check) == 36, check
    await run_round("warm-up", fetch, [public] * 1000, CONCURRENCY, pids([agent]))
    rounds = [summary([await run_round(f"lean, one community, N={n}", fetch, [public] * n, CONCURRENCY,
                                       pids([agent])) for _ in range(repeats)]) for n in sizes]
    rounds[-1]["dropped"] = dict(client.dropped)
    await client.close()
    return rounds


async def community_rounds(agents: Sequence[SnmpdAgent], per_agent: int, repeats: int) -> list[dict[str, Any]]:
    """Every target its own community, against agents each configured with ``per_agent`` of them.

    snmpd looks communities up linearly (10,000 in one snmpd make each request cost tens of
    ms), so the communities are spread over several agents. The baseline polls as many targets
    on the same agents, all with the community from the middle of each agent's list.
    """
    def site(k: int, i: int) -> Target:
        return Target(host="127.0.0.1", port=agents[k].port, community=b"site%05d" % (k * per_agent + i),
                      timeout=2.0, retries=1)

    n = len(agents) * per_agent
    one = [site(k, per_agent // 2) for _ in range(per_agent) for k in range(len(agents))]
    many = [site(k, i) for i in range(per_agent) for k in range(len(agents))]
    names = {"one": f"lean, 1 community per agent x {n} targets", "first": f"lean, {n} communities, first poll",
             "next": f"lean, {n} communities, next poll"}
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in names}
    for _ in range(repeats):
        client = LeanSnmpClient()

        async def fetch(t: Target, client: LeanSnmpClient = client) -> object:
            return await client.fetch(t, GET36)

        await run_round("warm-up", fetch, one[:1000], CONCURRENCY, pids(agents))
        runs["one"].append(await run_round(names["one"], fetch, one, CONCURRENCY, pids(agents)))
        runs["first"].append(await run_round(names["first"], fetch, many, CONCURRENCY, pids(agents)))
        runs["next"].append(await run_round(names["next"], fetch, many, CONCURRENCY, pids(agents)))
        await client.close()
    return [summary(r) for r in runs.values()]


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
        indication, _status, _index, varbinds = await get_cmd(engine, community, transport, context, *objects,
                                                             lookupMib=False)
        if indication:
            raise PollError(PollErrorKind.TIMEOUT if "timeout" in str(indication).lower()
                            else PollErrorKind.NETWORK, str(indication))
        return varbinds

    dummy = Target(host="127.0.0.1", port=agent.port)
    await run_round("pysnmp warm-up", fetch, [dummy] * 50, concurrency, pids([agent]))
    result = await run_round(f"pysnmp hlapi lookupMib=False, N={n}", fetch, [dummy] * n, concurrency,
                             pids([agent]))
    engine.close_dispatcher()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller rounds (a smoke run)")
    parser.add_argument("--no-pysnmp", action="store_true", help="skip the pysnmp comparison")
    args = parser.parse_args()
    sizes = (1000, 2000) if args.quick else (1000, 5000, 10000)
    repeats = 1 if args.quick else 3
    buffer = "[snmp] serverRecvBuf 4194304\n"  # 500 requests at once overflow snmpd's default buffer
    with SnmpdAgent(extra_conf=buffer) as agent:
        rounds = asyncio.run(lean_rounds(agent, sizes, repeats))
        if not args.no_pysnmp:
            rounds.append(asyncio.run(pysnmp_round(agent, 300 if args.quick else 1000, 50)))
    agents_n, per_agent = (4, 250) if args.quick else (AGENTS, COMMUNITIES // AGENTS)
    with contextlib.ExitStack() as stack:
        agents = [stack.enter_context(SnmpdAgent(extra_conf=buffer + "".join(
            f"rocommunity site{k * per_agent + i:05d} 127.0.0.1\n" for i in range(per_agent))))
            for k in range(agents_n)]
        rounds += asyncio.run(community_rounds(agents, per_agent, 1 if args.quick else 2))
    header = f"{'round':<48} {'N':>6} {'conc':>5} {'CPU s/1000':>10} {'(min-max)':>13} {'fetch/s':>8} " \
             f"{'t/o':>4} {'agent s/1000':>12} {'RSS MiB':>8}"
    print(header)
    print("-" * len(header))
    for r in rounds:
        spread = f"{r.get('cpu_s_per_1000_min', r['cpu_s_per_1000']):.3f}-" \
                 f"{r.get('cpu_s_per_1000_max', r['cpu_s_per_1000']):.3f}"
        print(f"{r['round']:<48} {r['fetches']:>6} {r['concurrency']:>5} {r['cpu_s_per_1000']:>10.3f} "
              f"{spread:>13} {r['fetches_per_s']:>8} {r['timeouts']:>4} {r['agent_cpu_s_per_1000']:>12.3f} "
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
