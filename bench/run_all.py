"""``make bench``: sitewatch's poll path and prometheus-snmp-exporter, same work, same run.

Both poll the same net-snmp agent(s) on 127.0.0.1 for the same objects: the fetch plan of the
shipped ``ups-mib`` + ``if-mib`` profiles (the exporter's ``snmp.yml`` is written from that plan).
For each fleet size, in turn and in the same run: sitewatch's daemon poll path with the lean
client, the lean client alone, sitewatch with the pysnmp client (small fleets: it costs ~10×
more), and the exporter scraped N times by a separate load process. Each run is its own
process so peak RSS is its own. Then the first cycle of 10,000 sites with a community each, and
(full mode) the whole daemon polling 10,000 sites every 60 s on the real clock.

    python3 bench/run_all.py            # full: ~5 minutes on 2 cores
    python3 bench/run_all.py --quick    # 100 and 1000 sites, no steady-state run: ~1 minute

Writes bench/results/latest.json and bench/results/latest.md, and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.agent import AgentPool  # noqa: E402
from bench.peer import Exporter, agent_values, exporter_config, scrape_marker, verify_scrape  # noqa: E402
from bench.procstat import cpu_seconds, load_average, machine_info, peak_rss_mb, snmp_counter  # noqa: E402
from bench.report import Row, markdown, per_1000, with_ratios  # noqa: E402
from sitewatch.snmp.client import FetchPlan  # noqa: E402
from sitewatch.snmp.profiles import compile_profiles, load_profiles  # noqa: E402

PROFILES = ("ups-mib", "if-mib")
CONCURRENCY = 500
PYSNMP_CONCURRENCY = 100
SNMP_IN_PKTS = "1.3.6.1.2.1.11.1.0"
PEER = "snmp_exporter 0.21"
RESULTS = ROOT / "bench" / "results"


class AgentMeter:
    """CPU and requests of the agents over one run (read from /proc and their own snmpInPkts)."""

    def __init__(self, pool: AgentPool) -> None:
        self.pool = pool
        self.cpu0 = sum(cpu_seconds(p) for p in pool.pids)
        self.pkts0 = self._packets()

    def _packets(self) -> int:
        return sum(snmp_counter(port, SNMP_IN_PKTS) for port in self.pool.ports)

    def read(self) -> dict[str, float]:
        cpu = sum(cpu_seconds(p) for p in self.pool.pids) - self.cpu0
        return {"agent_cpu_seconds": cpu, "agent_requests": self._packets() - self.pkts0 - len(self.pool.ports)}


def _child_env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT))


def _child(args: Sequence[str], timeout: float) -> dict[str, Any]:
    out = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                         env=_child_env())
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run_sitewatch(pool: AgentPool, *, sites: int, client: str, mode: str, cycles: int = 2,
                  concurrency: int = CONCURRENCY, extra: Sequence[str] = (), timeout: float = 900) -> dict[str, Any]:
    """One sitewatch run (``bench.poll_fleet``) against the pool, with what the agents spent."""
    meter = AgentMeter(pool)
    result = _child(["-m", "bench.poll_fleet", "--sites", str(sites), "--client", client, "--mode", mode,
                     "--communities", "distinct" if pool.distinct else "shared", "--per-agent", str(pool.per_agent),
                     "--ports", ",".join(map(str, pool.ports)), "--cycles", str(cycles),
                     "--concurrency", str(concurrency), *extra], timeout)
    result.update(meter.read())
    return result


def run_exporter(pool: AgentPool, plan: FetchPlan, values: dict[str, tuple[str, str]], sites: int) -> dict[str, Any]:
    """N scrapes of the exporter per cycle, two cycles; the exporter's CPU over the second."""
    port = pool.ports[0]
    with Exporter(exporter_config(plan, values)) as exporter:
        problems = verify_scrape(exporter.scrape(port), plan, values)
        if problems:
            raise RuntimeError("snmp_exporter does not return what the agent holds: " + "; ".join(problems))
        load = subprocess.Popen(
            [sys.executable, "-m", "bench.scrape_load", "--port", str(exporter.port), "--path", exporter.path(port),
             "--count", str(sites), "--concurrency", str(CONCURRENCY), "--cycles", "2",
             "--marker", scrape_marker(plan)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=_child_env())
        assert load.stdin is not None and load.stdout is not None
        json.loads(load.stdout.readline())  # cold cycle
        meter = AgentMeter(pool)
        cpu0 = cpu_seconds(exporter.pid)
        load.stdin.write("\n")
        load.stdin.flush()
        warm = json.loads(load.stdout.readline())
        warm["cpu_seconds"] = cpu_seconds(exporter.pid) - cpu0
        warm.update(meter.read())
        load.wait(30)
        return {"sites": sites, "warm": warm, "peak_rss_mb": peak_rss_mb(exporter.pid)}


def sitewatch_row(result: dict[str, Any], poller: str) -> Row:
    warm = result["cycles"][-1]
    polls = sum(c["polls"] for c in result["cycles"])
    return Row(sites=result["sites"], poller=poller, cpu_per_1000=per_1000(warm["cpu_seconds"], warm["polls"]),
               polls_per_second=warm["polls"] / warm["wall_seconds"], timeouts=warm["timeouts"],
               errors=warm["polls"] - warm["ok"], peak_rss_mb=result["peak_rss_mb"],
               requests_per_poll=result["agent_requests"] / polls,
               agent_cpu_per_1000=per_1000(result["agent_cpu_seconds"], polls))


def exporter_row(result: dict[str, Any]) -> Row:
    warm = result["warm"]
    return Row(sites=result["sites"], poller=PEER, cpu_per_1000=per_1000(warm["cpu_seconds"], warm["scrapes"]),
               polls_per_second=warm["scrapes"] / warm["wall_seconds"], timeouts=warm["failed"], errors=warm["failed"],
               peak_rss_mb=result["peak_rss_mb"], requests_per_poll=warm["agent_requests"] / warm["scrapes"],
               agent_cpu_per_1000=per_1000(warm["agent_cpu_seconds"], warm["scrapes"]))


def first_cycle_summary(result: dict[str, Any], poller: str, agents: int) -> dict[str, Any]:
    first, warm = result["cycles"][0], result["cycles"][-1]
    return {"sites": result["sites"], "poller": poller, "agents": agents,
            "startup_cpu": result["startup"]["cpu_seconds"], "startup_wall": result["startup"]["wall_seconds"],
            "first_wall": first["wall_seconds"], "first_cpu": first["cpu_seconds"],
            "first_timeouts": first["timeouts"], "first_errors": first["polls"] - first["ok"],
            "warm_cpu_per_1000": per_1000(warm["cpu_seconds"], warm["polls"])}


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="100 and 1000 sites, 1000 distinct communities, no steady run")
    p.add_argument("--sizes", help="fleet sizes, comma-separated (default 100,1000,5000,10000; quick 100,1000)")
    p.add_argument("--pysnmp-max", type=int, help="largest fleet polled with the pysnmp client (1000; quick 100)")
    p.add_argument("--steady-seconds", type=float, default=130.0,
                   help="length of the steady-state run at a 60 s interval (0: skip); CPU is read over its last 60 s")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    sizes = [int(s) for s in (args.sizes or ("100,1000" if args.quick else "100,1000,5000,10000")).split(",")]
    distinct_sites = 1000 if args.quick else 10_000
    pysnmp_max = args.pysnmp_max or (100 if args.quick else 1000)
    steady_seconds = 0.0 if args.quick else args.steady_seconds

    machine = {**machine_info(), "date": time.strftime("%Y-%m-%d %H:%M %Z"), "mode": "quick" if args.quick else "full",
               "concurrency": CONCURRENCY, "load_before": " ".join(f"{x:.2f}" for x in load_average())}
    _log(f"machine: {machine}")
    compiled = compile_profiles([load_profiles(())[n] for n in PROFILES])
    plan = compiled.plan
    rows: list[Row] = []
    raw: dict[str, Any] = {"machine": machine, "profiles": list(compiled.names),
                           "plan": {"scalars": list(plan.scalars), "columns": list(plan.columns),
                                    "max_repetitions": plan.max_repetitions}, "runs": []}

    def keep(kind: str, result: dict[str, Any]) -> dict[str, Any]:
        raw["runs"].append({"kind": kind, **result})
        return result

    with AgentPool(plan, sites=1, distinct=False) as pool:
        values = agent_values(pool.ports[0], plan)
        raw["agent_values"] = {o: list(v) for o, v in values.items()}
        for n in sizes:
            _log(f"{n} sites: sitewatch, lean client")
            rows.append(sitewatch_row(keep("sitewatch-lean", run_sitewatch(pool, sites=n, client="lean",
                                                                           mode="daemon")), "sitewatch (lean)"))
            _log(f"{n} sites: lean client alone")
            alone = keep("lean-client-alone", run_sitewatch(pool, sites=n, client="lean", mode="client"))
            rows.append(sitewatch_row(alone, "lean client alone"))
            for concurrency in (PYSNMP_CONCURRENCY, CONCURRENCY) if n <= pysnmp_max else ():
                _log(f"{n} sites: sitewatch, pysnmp client, concurrency {concurrency}")
                result = keep("sitewatch-pysnmp", run_sitewatch(pool, sites=n, client="pysnmp", mode="daemon",
                                                                concurrency=concurrency))
                rows.append(sitewatch_row(result, f"sitewatch (pysnmp, concurrency {concurrency})"))
            _log(f"{n} sites: snmp_exporter")
            rows.append(exporter_row(keep("snmp_exporter", run_exporter(pool, plan, values, n))))
        warm = alone["cycles"][-1]
        wall = sum(c["wall_seconds"] for c in alone["cycles"])
        polls = sum(c["polls"] for c in alone["cycles"])
        ceiling = {"requests_per_agent_cpu_second": alone["agent_requests"] / alone["agent_cpu_seconds"],
                   "polls_per_agent_cpu_second": polls / alone["agent_cpu_seconds"],
                   "requests_per_poll": alone["agent_requests"] / polls,
                   "polls_per_second": warm["polls"] / warm["wall_seconds"],
                   "agent_busy": alone["agent_cpu_seconds"] / wall}
        steady = None
        if steady_seconds:
            n = max(sizes)
            _log(f"steady state: the daemon polling {n} sites every 60 s for {steady_seconds:g} s")
            result = keep("steady", run_sitewatch(pool, sites=n, client="lean", mode="steady",
                                                  extra=["--seconds", str(steady_seconds), "--interval", "60"]))
            lean_warm = next(r for r in rows if r.poller == "sitewatch (lean)" and r.sites == n)
            steady = {**result["steady"], "sites": n, "interval": 60.0,
                      "predicted_fraction": lean_warm.cpu_per_1000 * n / 1000 / 60}

    first_cycle = []
    with AgentPool(plan, sites=distinct_sites, distinct=True) as pool:
        _log(f"{distinct_sites} sites, a community each, over {len(pool.agents)} snmpd: sitewatch, lean client")
        result = keep("distinct-lean", run_sitewatch(pool, sites=distinct_sites, client="lean", mode="daemon"))
        first_cycle.append(first_cycle_summary(result, "sitewatch (lean)", len(pool.agents)))
    pysnmp_distinct = min(distinct_sites, pysnmp_max)
    with AgentPool(plan, sites=pysnmp_distinct, distinct=True) as pool:
        _log(f"{pysnmp_distinct} sites, a community each: sitewatch, pysnmp client")
        result = keep("distinct-pysnmp", run_sitewatch(pool, sites=pysnmp_distinct, client="pysnmp", mode="daemon",
                                                       concurrency=PYSNMP_CONCURRENCY))
        first_cycle.append(first_cycle_summary(result, f"sitewatch (pysnmp, concurrency {PYSNMP_CONCURRENCY})",
                                               len(pool.agents)))

    machine["load_after"] = " ".join(f"{x:.2f}" for x in load_average())
    rows = with_ratios(rows, PEER)
    sample = next(r for r in raw["runs"] if r["kind"] == "sitewatch-lean")
    interfaces = sorted({v for o, (_, v) in values.items() if o.startswith("1.3.6.1.2.1.31.1.1.1.1.")})
    notes = [
        f"Work per site-poll: the fetch plan of the shipped profiles {', '.join(compiled.names)}: GET of "
        f"{len(plan.scalars)} scalars and a walk of {len(plan.columns)} table columns (UPS input and alarm "
        f"tables; IF-MIB for the {len(interfaces)} interfaces snmpd serves here: {', '.join(interfaces)}), giving "
        f"{sample['readings_per_poll']} canonical readings. snmpd answers the UPS-MIB objects from `override` lines.",
        "sitewatch rows are its daemon's poll path: scheduler dispatch, client fetch, profile mapping to "
        "canonical readings, fleet snapshot update and its own metrics. Its /metrics exposition is rendered "
        "only when Prometheus scrapes it and is not in these rows.",
        "snmp_exporter's snmp.yml is written from the same plan (`get:` the scalars, `walk:` the columns, same "
        "max-repetitions, timeout and retries). It walks each column with its own GETBULKs where the lean client "
        "walks all columns in one, so it sends more requests (column \"SNMP requests / poll\", counted by the "
        "agent's snmpInPkts), and it renders the text exposition on every scrape. It is driven by a separate "
        "keep-alive HTTP load process (not counted), without gzip. Its first scrape is checked against "
        "the agent's values.",
        f"pysnmp rows stop at {pysnmp_max} sites: at its cost the larger fleets alone would take minutes. "
        f"It is run at concurrency {PYSNMP_CONCURRENCY} as well as {CONCURRENCY}: a client that needs several ms "
        f"of CPU per request, with {CONCURRENCY} requests in flight, answers them later than the 2 s timeout "
        "once the fleet is large enough to keep them all in flight.",
        "Distinct communities: net-snmp looks the community up in a list for every varbind, so one snmpd "
        "holding 10,000 communities would be the bottleneck; they are spread over snmpd instances of 250 each.",
        "The bench's clock stands still within a cycle and moves one 60 s interval ahead to start the next, "
        "so a cycle is exactly one poll per site with all of them due at once.",
    ]
    if steady is None:
        notes.append("No steady-state run in this mode (run without --quick).")
    md = markdown(rows=rows, first_cycle=first_cycle, steady=steady, ceiling=ceiling, machine=machine, notes=notes)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "latest" if not args.quick else "latest-quick"
    (args.out / f"{stem}.json").write_text(json.dumps(
        {**raw, "rows": [r.as_dict() for r in rows], "first_cycle": first_cycle, "steady": steady,
         "ceiling": ceiling}, indent=1) + "\n")
    (args.out / f"{stem}.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
