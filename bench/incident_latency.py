"""How fast an incident opens: trap → incident and poll → incident, p50 / p99.

- **trap → incident**: ``bench.trap_latency.measure`` with a stage that hands each ``TrapEvent``
  to the daemon's ``IncidentService.on_trap`` (pure evaluation, lifecycle, one SQLite
  transaction in WAL mode on a real file). Each measured trap *opens* an incident: after the
  time is taken the incident is resolved by hand, so the next trap opens a new one.
- **poll → incident**: a real SNMP poll of a UPS on battery (snmpsim serving the deltaups
  recording with upsOutputSource = battery) through the daemon's ``SitePoller``, then
  ``FleetState.record`` → ``IncidentService.on_poll`` → committed incident, hold time 0;
  timed from the start of the poll, and separately from the poll's answer.

    python -m bench.incident_latency --traps 1000 --polls 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.trap_latency import _percentiles, measure
from sitewatch.config.schema import Config
from sitewatch.core.clock import SystemClock
from sitewatch.core.conditions import Condition, TrapEvent
from sitewatch.daemon import build_clients
from sitewatch.incidents.service import IncidentService
from sitewatch.polling.fleet_snapshot import FleetState
from sitewatch.polling.poller import SitePoller
from sitewatch.polling.site_plans import site_plan
from sitewatch.snmp.profiles import load_profiles
from sitewatch.store.database import SqliteDatabase
from sitewatch.store.incidents import IncidentStore
from tests.agents import FIXTURES, SnmpsimAgent


def _config(port: int = 161) -> Config:
    return Config.model_validate({
        "daemon": {"poll_interval": 60, "snmp_timeout": 1, "snmp_retries": 0},
        "credentials": {"c": {"version": "2c", "community": {"value": "onbattery"}}},
        "thresholds": {"default": {"hold": {"mains_lost": 0, "on_battery": 0}}},
        "sites": [{"id": "BENCH", "name": "Bench UPS", "kind": "bts", "province": "Gia Lai",
                   "snmp": [{"host": "127.0.0.1", "port": port, "credential": "c",
                             "profiles": ["ups-mib"]}]}],
    })


def _reset(service: IncidentService) -> None:
    """Resolve what is open and forget the evaluator's state, so the next input opens anew."""
    for inc in service.store.open_incidents():
        service.resolve(inc.id, "bench")
    service._states.pop("BENCH", None)  # the bench, not the daemon, decides to start afresh


async def trap_to_incident(count: int, rate: float, db: Path) -> dict[str, Any]:
    service = IncidentService(store=IncidentStore(SqliteDatabase(db)), config=_config(), clock=SystemClock())
    opened = 0

    async def stage(event: TrapEvent) -> None:
        nonlocal opened
        service.on_trap(event)
        if service.store.active_incident("BENCH", *next(iter((c, s) for c, s, _ in event.asserts))):
            opened += 1
        # reset after the bench has taken the time (the callback runs once this stage returns)
        asyncio.get_running_loop().call_soon(_reset, service)

    report = await measure(count, rate, "tight", stage=stage, stage_name="incident_open",
                           warmup=min(50, count // 10))
    report["incidents_opened"] = opened
    service.store.db.close()
    return report


async def poll_to_incident(polls: int, db: Path) -> dict[str, Any]:
    deltaups = (FIXTURES / "deltaups.snmprec").read_text()
    on_battery = deltaups.replace("1.3.6.1.2.1.33.1.4.1.0|2|3", "1.3.6.1.2.1.33.1.4.1.0|2|5")
    assert on_battery != deltaups
    with SnmpsimAgent(data={"onbattery": on_battery}) as agent:
        config = _config(agent.port)
        clock = SystemClock()
        clients = build_clients(config)
        poller = SitePoller(clients=clients, profiles=load_profiles(), clock=clock)
        state = FleetState(["BENCH"])
        service = IncidentService(store=IncidentStore(SqliteDatabase(db)), config=config, clock=clock)
        state.subscribe(service.on_poll)
        plan = site_plan(config, config.site("BENCH"))
        from_start: list[float] = []
        from_answer: list[float] = []
        for i in range(polls + 5):
            t0 = time.perf_counter()
            result = await poller.poll(plan)
            t1 = time.perf_counter()
            state.record(result)
            t2 = time.perf_counter()
            assert service.store.active_incident("BENCH", Condition.ON_BATTERY) is not None, result
            if i >= 5:  # warm
                from_start.append(t2 - t0)
                from_answer.append(t2 - t1)
            _reset(service)
            state.set_sites([])
            state.set_sites(["BENCH"])
        await clients.close()
        service.store.db.close()
    return {"polls": polls, "poll_start_to_incident": _percentiles(from_start),
            "poll_answer_to_incident": _percentiles(from_answer)}


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        trap = await trap_to_incident(args.traps, args.rate, Path(tmp) / "traps.sqlite3")
        poll = await poll_to_incident(args.polls, Path(tmp) / "polls.sqlite3")
    return {"trap_to_incident": trap, "poll_to_incident": poll}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--traps", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=100.0, help="traps per second")
    ap.add_argument("--polls", type=int, default=200)
    ap.add_argument("--out", default="bench/results/incident_latency.json")
    args = ap.parse_args()
    report = asyncio.run(main_async(args))
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
