"""A storm during an SMS gateway outage: how fast does the backlog go out once the gateway is back?

The work (issue 18): 200 BTS sites in four districts fail within half a minute while the SMS
gateway answers HTTP 500 for four minutes. Twelve people (three on each district roster, a
province duty officer roster, a directors roster), each with three contacts (SMS gateway,
webhook, email), all used at once; three escalation levels, two minutes apart; each site is its
own page (``group_by: site``). The SMS channel is rate-limited to 10 messages per second.

It runs the daemon's own parts on the real clock: ``IncidentService`` (lifecycle in SQLite, WAL, a
real file), ``EscalationEngine`` (pipeline, outbox, worker with its channel health), real
notifiers, real receivers on 127.0.0.1 (an HTTP server for the gateway and the webhook, an SMTP
server), the engine ticking every second as in the daemon. Incidents are opened through the
lifecycle (what the evaluator does after a poll); polling is not what is measured here.

Reported, for the SMS pages queued before the gateway recovered:

- **drain**: from the gateway's recovery to the last of them delivered (the first probe after
  the recovery finds it; the rest then go out at the channel's rate limit);
- **lateness**: delivered minus queued, p50 / p90 / p99 / max, and the same counted from recovery;
- **order**: same-recipient pairs delivered in another order than they were queued;
- **probes**: gateway requests while it was down (one probe at a time, not every message);
- nothing lost, nothing twice: delivered once each, by idempotency key.

    python -m bench.paging_recovery                 # 200 sites, 4-minute outage (~6 minutes)
    python -m bench.paging_recovery --quick         # 60 sites, 1-minute outage
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from sitewatch.config.schema import Config
from sitewatch.core.clock import SystemClock
from sitewatch.core.conditions import Condition, Phrase, Summary, Transition, TransitionKind, part
from sitewatch.escalation.engine import EscalationEngine
from sitewatch.incidents.service import IncidentService
from sitewatch.notify.registry import build_notifiers
from sitewatch.store.database import SqliteDatabase
from sitewatch.store.incidents import IncidentStore
from tests.notify.receivers import CaptureServer, SmtpCapture

MAINS_0V = Summary.of(part(Phrase.MAINS_PHASES, volts="0", phases=3))
DISTRICTS = ("Pleiku", "Chư Sê", "An Khê", "Ayun Pa")
RESULTS = Path(__file__).resolve().parent / "results"


def _config(http: str, smtp_port: int, sites: int, level_wait: str) -> Config:
    people: dict[str, Any] = {}
    for n in range(12):
        people[f"p{n:02d}"] = {
            "name": f"Person {n:02d}", "teams": ["gl"],
            "contacts": [{"channel": "sms", "address": f"+849010000{n:02d}"},
                         {"channel": "hook", "address": f"p{n:02d}"},
                         {"channel": "email", "address": f"p{n:02d}@noc.example"}]}

    def roster(name: str, members: list[str]) -> dict[str, Any]:
        return {"name": name, "layers": [{"name": "main", "members": members, "start": "2026-01-01",
                                          "shift": "7d"}]}

    rosters = {f"d{i}": roster(f"{d} on-call", [f"p{3 * i:02d}", f"p{3 * i + 1:02d}"]) for i, d in enumerate(DISTRICTS)}
    rosters["duty"] = roster("Province duty officer", ["p08", "p09"])
    rosters["directors"] = roster("Directors", ["p10", "p11"])
    routes = [{"match": {"district": [d]}, "policy": f"storm-{i}", "group_by": ["site"], "group_wait": 0}
              for i, d in enumerate(DISTRICTS)]
    policies = {f"storm-{i}": {"levels": [{"notify": [{"roster": f"d{i}"}], "wait": level_wait},
                                          {"notify": [{"roster": "duty"}], "wait": level_wait},
                                          {"notify": [{"roster": "directors"}], "wait": "1h"}]}
                for i in range(len(DISTRICTS))}
    return Config.model_validate({
        "sites": [{"id": f"GL-BTS-{n:04d}", "name": f"BTS {n:04d}", "kind": "bts", "province": "Gia Lai",
                   "district": DISTRICTS[n % len(DISTRICTS)]} for n in range(sites)],
        "channels": {
            "sms": {"type": "sms_gateway", "rate_limit": 10,
                    "settings": {"url": f"{http}/sms", "body": {"to": "{to}", "text": "{text}", "ref": "{key}"}}},
            "hook": {"type": "webhook", "settings": {"url": f"{http}/hook"}},
            "email": {"type": "email", "settings": {"host": "127.0.0.1", "port": smtp_port, "security": "none",
                                                    "from": "sitewatch@noc.example"}},
        },
        "people": people, "rosters": rosters, "policies": policies, "routes": routes,
        "notifications": {"max_retry_time": "1h"},
    })


async def run(sites: int, outage: float, storm: float, level_wait: str) -> dict[str, Any]:
    clock = SystemClock()
    with tempfile.TemporaryDirectory(prefix="sitewatch-bench-") as tmp:
        async with CaptureServer(clock=clock.time) as http, SmtpCapture(clock=clock.time) as smtp:
            config = _config(http.url, smtp.port, sites, level_wait)
            store = IncidentStore(SqliteDatabase(Path(tmp) / "incidents.sqlite3"))
            service = IncidentService(store=store, config=config, clock=clock)
            engine = EscalationEngine(store=store, config=config, clock=clock, notifiers=build_notifiers(config),
                                      incidents=service)
            service.subscribe(engine.on_changes)
            worker = asyncio.create_task(engine.run())

            async def ticks() -> None:
                while True:
                    engine.tick()
                    await asyncio.sleep(1.0)

            ticker = asyncio.create_task(ticks())
            t0 = clock.time()
            http.fail_with(500, duration=outage, path="/sms")
            recovered_at = t0 + outage
            for n in range(sites):  # the storm: every site fails within ``storm`` seconds
                at = t0 + min(5.0, outage / 3) + storm * n / sites
                await asyncio.sleep(max(0.0, at - clock.time()))
                changes = service.lifecycle.apply([Transition(site_id=f"GL-BTS-{n:04d}", condition=Condition.MAINS_LOST,
                                                              kind=TransitionKind.OPENED, at=at, summary=MAINS_0V)],
                                                  at)
                engine.on_changes(changes)
            # wait for the outage to end and everything queued before it to be delivered
            deadline = recovered_at + 600
            while clock.time() < deadline:
                queued = [e for e in engine.outbox.entries() if e.channel == "sms" and e.created_at < recovered_at]
                if clock.time() > recovered_at and all(e.status != "pending" for e in queued):
                    break
                await asyncio.sleep(0.5)
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            await engine.stop()
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            entries = engine.outbox.entries()
            store.db.close()
        return _figures(entries, http.requests, t0, recovered_at, sites, outage)


def _percentiles(values: list[float]) -> dict[str, float]:
    """p50 / p90 / p99 / max of ``values`` (sorted), seconds."""
    q = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99
    return {"p50": round(q[49], 1), "p90": round(q[89], 1), "p99": round(q[98], 1), "max": round(values[-1], 1),
            "n": len(values)}


def _figures(entries: list[Any], requests: list[Any], t0: float, recovered_at: float, sites: int,
             outage: float) -> dict[str, Any]:
    sms = {e.key: e for e in entries if e.channel == "sms"}
    delivered = [r for r in requests if r.path == "/sms" and r.status is not None and r.status < 300]
    counts = Counter(r.json()["ref"] for r in delivered)
    first_ok = min((r.at for r in delivered), default=recovered_at)
    backlog = [k for k, e in sms.items() if e.created_at < recovered_at]
    at = {r.json()["ref"]: r.at for r in delivered}
    late_from_queue = sorted(at[k] - sms[k].created_at for k in backlog if k in at)
    late_from_recovery = sorted(max(0.0, at[k] - first_ok) for k in backlog if k in at)
    by_recipient: dict[str, list[Any]] = defaultdict(list)
    for r in delivered:
        if r.json()["ref"] in sms:
            by_recipient[r.json()["to"]].append(sms[r.json()["ref"]])
    pairs = out_of_order = 0
    for seq in by_recipient.values():
        for a, b in itertools.combinations(seq, 2):
            pairs += 1
            out_of_order += (a.created_at, a.id) > (b.created_at, b.id)
    during = [r for r in requests if r.path == "/sms" and r.at < first_ok]
    return {
        "sites": sites, "outage_seconds": outage, "sms_rate_limit_per_second": 10,
        "sms_queued_before_recovery": len(backlog),
        "sms_delivered": len(counts), "sms_delivered_twice": sum(1 for n in counts.values() if n > 1),
        "backlog_not_delivered": sum(1 for k in backlog if k not in counts),
        "dead_letters": sum(1 for e in entries if e.status == "dead"),
        "gateway_requests_while_down": len(during),
        "recovery_seen_after_outage_seconds": round(first_ok - recovered_at, 1),
        # from the gateway's recovery (not from when sitewatch noticed it) to the last of the backlog delivered
        "drain_after_recovery_seconds": round(max(at[k] for k in backlog if k in at) - recovered_at, 1)
        if backlog else 0.0,
        "lateness_from_queue_seconds": _percentiles(late_from_queue) if late_from_queue else {},
        "lateness_from_recovery_seconds": _percentiles(late_from_recovery) if late_from_recovery else {},
        "same_recipient_pairs": pairs, "same_recipient_pairs_out_of_order": out_of_order,
        "other_channels_delivered": {"hook": sum(1 for r in requests if r.path == "/hook" and r.status == 200)},
        "started_at": t0,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sites", type=int, default=200)
    p.add_argument("--outage", type=float, default=240.0, help="gateway outage, seconds (default 240)")
    p.add_argument("--storm", type=float, default=30.0, help="the sites fail within this many seconds")
    p.add_argument("--level-wait", default="2m", help="wait between escalation levels (default 2m)")
    p.add_argument("--quick", action="store_true", help="60 sites, a 60 s outage, levels 30 s apart")
    args = p.parse_args(argv)
    if args.quick:
        args.sites, args.outage, args.storm, args.level_wait = 60, 60.0, 10.0, "30s"
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    started = time.monotonic()
    figures = asyncio.run(run(args.sites, args.outage, args.storm, args.level_wait))
    figures["wall_seconds"] = round(time.monotonic() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    name = "paging_recovery-quick.json" if args.quick else "paging_recovery.json"
    (RESULTS / name).write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
