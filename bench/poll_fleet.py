"""One sitewatch fleet run, in its own process (so peak RSS is this run's alone).

``--mode daemon`` runs the poll path exactly as the daemon runs it: a real ``Daemon`` built from
a generated configuration of N sites (each its own id and, with ``--communities distinct``, its
own community), its ``PollScheduler`` dispatching at the configured concurrency, its
``_poll_site`` calling ``SitePoller.poll`` (client fetch + profile mapping), its own metrics and
``FleetState.record`` with the listeners the daemon subscribes (incident evaluation, which keeps
its state in the incident database, here in a temporary state directory). The HTTP listener
and trap receiver are not started. The clock is the daemon's injected one (see ``BenchClock``); the
garbage collector is tuned as ``Daemon.run`` tunes it. ``--profiles``/``--profile-dir`` choose
the work (``bench.works``).

``--mode client`` is the client alone: the same targets and fetch plan, fetched by
``--concurrency`` workers, no scheduling, mapping or snapshot.

``--mode steady`` runs the whole daemon (HTTP listener and trap receiver on 127.0.0.1) on the real clock for
``--seconds`` and reports CPU over the last interval: the load of a fleet polled every
``--interval`` seconds, spread over the interval as in production.

Prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import socket
import tempfile
import time
from collections import Counter
from typing import Any

from bench.agent import site_endpoints
from sitewatch.config.schema import Config
from sitewatch.core.errors import PollError
from sitewatch.core.model import PollResult
from sitewatch.daemon import Daemon, build_clients
from sitewatch.polling.fleet_snapshot import SiteStatus
from sitewatch.polling.site_plans import site_plans
from sitewatch.runtime.gctune import tune_gc
from sitewatch.snmp.client import FetchPlan, SnmpClient, Target

__all__ = ["BenchClock", "fleet_config"]


class BenchClock:
    """Wall time as it is; a monotonic clock that stands still during a cycle and that the bench
    moves one poll interval ahead to start the next.

    Standing still is what makes a cycle exactly one poll per site: on a running clock, a site
    whose due time is within the cycle's length of the next interval comes due again before the
    cycle ends. (Poll durations therefore read 0; nothing on the poll path costs more or less
    for that.)
    """

    def __init__(self) -> None:
        self.now = time.monotonic()

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return self.now


def fleet_config(*, endpoints: list[tuple[int, str]], client: str, distinct: bool, profiles: tuple[str, ...],
                 concurrency: int, interval: float, timeout: float, retries: int, listen: str, trap_listen: str,
                 state_dir: str, profile_dirs: tuple[str, ...] = ()) -> Config:
    """One site per (agent port, community), as an operator would write them: a shared
    credential, or the site's own community when ``distinct``."""
    data: dict[str, Any] = {
        "daemon": {"listen": listen, "poll_interval": interval, "snmp_timeout": timeout, "snmp_retries": retries,
                   "concurrency": concurrency, "snmp_client": client, "state_dir": state_dir},
        "traps": {"listen": trap_listen},
        "profile_dirs": list(profile_dirs),
        "credentials": {"bench": {"version": "2c", "community": {"value": "public"}}},
        "sites": [
            {"id": f"BTS-{i:05d}", "name": f"Bench BTS {i}", "kind": "bts", "province": "Gia Lai",
             "snmp": [{"host": "127.0.0.1", "port": port, "credential": "bench", "profiles": list(profiles),
                       **({"community": {"value": community}} if distinct else {})}]}
            for i, (port, community) in enumerate(endpoints, 1)
        ],
    }
    return Config.model_validate(data)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cycle_result(wall: float, cpu: float, polls: int, errors: Counter[str]) -> dict[str, Any]:
    return {"wall_seconds": wall, "cpu_seconds": cpu, "polls": polls, "ok": polls - sum(errors.values()),
            "errors": dict(errors), "timeouts": errors.get("timeout", 0)}


async def _daemon_cycles(daemon: Daemon, clock: BenchClock, n: int, cycles: int) -> list[dict[str, Any]]:
    done = asyncio.Event()
    seen = 0
    errors: Counter[str] = Counter()

    def count(status: SiteStatus, result: PollResult) -> None:
        nonlocal seen
        seen += 1
        if result.error is not None:
            errors[result.error.value] += 1
        if seen == n:
            done.set()

    daemon.state.subscribe(count)
    out = []
    for _ in range(cycles):
        seen = 0
        errors.clear()
        done.clear()
        gc.collect()
        clock.now += daemon.scheduler.interval  # every site is now due
        w0, c0 = time.perf_counter(), time.process_time()
        daemon.scheduler.tick()
        await done.wait()
        out.append(_cycle_result(time.perf_counter() - w0, time.process_time() - c0, seen, errors))
    return out


async def _fetch_all(client: SnmpClient, jobs: list[tuple[Target, FetchPlan]], concurrency: int,
                     errors: Counter[str]) -> None:
    it = iter(jobs)

    async def worker() -> None:
        for target, plan in it:
            try:
                await client.fetch(target, plan)
            except PollError as e:
                errors[e.kind.value] += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _client_cycles(daemon: Daemon, n: int, cycles: int, concurrency: int) -> list[dict[str, Any]]:
    targets = [plan.targets[0] for plan in site_plans(daemon.config).values()]
    jobs = [(tp.target, daemon.poller.compiled(tp.profile_names).plan) for tp in targets]
    out = []
    for _ in range(cycles):
        errors: Counter[str] = Counter()
        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        await _fetch_all(daemon.clients.v1v2, jobs, concurrency, errors)
        out.append(_cycle_result(time.perf_counter() - w0, time.process_time() - c0, n, errors))
    return out


async def _steady(daemon: Daemon, seconds: float) -> dict[str, Any]:
    """The whole daemon on the real clock; CPU over the last poll interval of the run."""
    task = asyncio.create_task(daemon.run())
    interval = daemon.scheduler.interval
    await asyncio.sleep(seconds - interval)
    w0, c0, d0 = time.perf_counter(), time.process_time(), daemon.scheduler.dispatched
    await asyncio.sleep(interval)
    wall, cpu, polls = time.perf_counter() - w0, time.process_time() - c0, daemon.scheduler.dispatched - d0
    daemon.request_stop()
    await task
    failed = sum(1 for s in daemon.state.snapshot().values() if not s.up)
    return {"wall_seconds": wall, "cpu_seconds": cpu, "polls": polls, "core_fraction": cpu / wall,
            "sites_down_at_end": failed}


def _free_listen(kind: socket.SocketKind) -> str:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


async def main(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sitewatch-bench-") as state_dir:  # the incident database
        return await _run(args, state_dir)


async def _run(args: argparse.Namespace, state_dir: str) -> dict[str, Any]:
    w0, c0 = time.perf_counter(), time.process_time()
    profiles = tuple(args.profiles.split(","))
    distinct = args.communities == "distinct"
    endpoints = site_endpoints(args.sites, [int(p) for p in args.ports.split(",")], distinct, args.per_agent)
    config = fleet_config(endpoints=endpoints, client=args.client, distinct=distinct, profiles=profiles,
                          concurrency=args.concurrency, interval=args.interval,
                          timeout=args.timeout, retries=args.retries,
                          listen=_free_listen(socket.SOCK_STREAM), trap_listen=_free_listen(socket.SOCK_DGRAM),
                          state_dir=state_dir, profile_dirs=tuple(args.profile_dir))
    clock = BenchClock()
    daemon = Daemon(config, clock=clock if args.mode != "steady" else None, clients=build_clients(config))
    if args.mode != "steady":
        tune_gc()  # as ``Daemon.run`` does in the steady mode and in production
    startup = {"wall_seconds": time.perf_counter() - w0, "cpu_seconds": time.process_time() - c0}
    result: dict[str, Any] = {"sites": args.sites, "client": args.client, "mode": args.mode,
                              "communities": args.communities, "concurrency": args.concurrency, "startup": startup}
    try:
        if args.mode == "daemon":
            result["cycles"] = await _daemon_cycles(daemon, clock, args.sites, args.cycles)
            status = next(iter(daemon.state.snapshot().values()))
            result["readings_per_poll"] = len(status.readings)
            result["sample_readings"] = {r.name + "".join(f"[{v}]" for _, v in r.labels): r.value
                                         for r in status.readings}
        elif args.mode == "client":
            result["cycles"] = await _client_cycles(daemon, args.sites, args.cycles, args.concurrency)
        else:
            result["steady"] = await _steady(daemon, args.seconds)
    finally:
        if args.mode != "steady":
            await daemon.clients.close()
    dropped = getattr(daemon.clients.v1v2, "dropped", None)
    result["dropped"] = dict(dropped) if dropped is not None else {}
    result["peak_rss_mb"] = _rss_mb()
    return result


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sites", type=int, required=True)
    p.add_argument("--ports", required=True, help="the agents' UDP ports on 127.0.0.1, comma-separated")
    p.add_argument("--per-agent", type=int, default=250, help="communities per agent (see bench.agent.AgentPool)")
    p.add_argument("--client", choices=("lean", "pysnmp"), default="lean")
    p.add_argument("--communities", choices=("shared", "distinct"), default="shared")
    p.add_argument("--mode", choices=("daemon", "client", "steady"), default="daemon")
    p.add_argument("--profiles", default="ups-mib,if-mib")
    p.add_argument("--profile-dir", action="append", default=[], help="extra device profile directory (repeatable)")
    p.add_argument("--cycles", type=int, default=2)
    p.add_argument("--concurrency", type=int, default=500)
    p.add_argument("--interval", type=float, default=60.0)
    p.add_argument("--seconds", type=float, default=130.0, help="steady mode: run this long")
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--retries", type=int, default=1)
    print(json.dumps(asyncio.run(main(p.parse_args()))))
