"""``make bench``: sitewatch's poll path and prometheus-snmp-exporter, same work, same run.

Both poll the same net-snmp agent(s) on 127.0.0.1 for the same objects. Two works (see
``bench.works``): issue 3's **get36** (36 OIDs by GET) and the **profiles** plan of the shipped
``ups-mib`` + ``if-mib`` profiles (scalars by GET, tables walked); the exporter's ``snmp.yml`` is
written from each plan. For each work and fleet size, in turn and in the same run: sitewatch's
daemon poll path with the lean client, the lean client alone, sitewatch with the pysnmp client
(small fleets: it costs ~50× more), and the exporter scraped N times by a separate load process.
Each run is its own process so peak RSS is its own. Then the first cycle of 10,000 sites with a
community each, and (full mode) the whole daemon polling 10,000 sites every 60 s on the real
clock, for each work.

    python3 bench/run_all.py            # full: ~15 minutes on 2 cores
    python3 bench/run_all.py --quick    # 100 and 1000 sites, no steady-state run: ~2 minutes

Writes bench/results/latest.json and bench/results/latest.md, and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.agent import AgentPool  # noqa: E402
from bench.peer import Exporter, agent_values, exporter_config, scrape_marker, verify_scrape  # noqa: E402
from bench.procstat import cpu_seconds, load_average, machine_info, peak_rss_mb, snmp_counter  # noqa: E402
from bench.report import Row, markdown, per_1000, with_ratios  # noqa: E402
from bench.works import WORKS, Work, agent_plan, work  # noqa: E402

CONCURRENCY = 500
PYSNMP_CONCURRENCY = 100
EXPORTER_WARMUP = 2000  #: scrapes before the exporter's measured cycle (its warm-up does not grow with N)
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


def run_sitewatch(pool: AgentPool, w: Work, *, sites: int, client: str, mode: str, cycles: int = 2,
                  concurrency: int = CONCURRENCY, extra: Sequence[str] = (), timeout: float = 900) -> dict[str, Any]:
    """One sitewatch run (``bench.poll_fleet``) doing work ``w`` against the pool, with what the agents spent."""
    meter = AgentMeter(pool)
    result = _child(["-m", "bench.poll_fleet", "--sites", str(sites), "--client", client, "--mode", mode,
                     *w.poll_args(),
                     "--communities", "distinct" if pool.distinct else "shared", "--per-agent", str(pool.per_agent),
                     "--ports", ",".join(map(str, pool.ports)), "--cycles", str(cycles),
                     "--concurrency", str(concurrency), *extra], timeout)
    result.update(meter.read())
    return result


def run_exporter(pool: AgentPool, w: Work, values: dict[str, tuple[str, str]], sites: int) -> dict[str, Any]:
    """A warm-up cycle of scrapes, then N scrapes measured: the exporter's CPU over those."""
    port = pool.ports[0]
    plan = w.plan
    with Exporter(exporter_config(plan, values)) as exporter:
        problems = verify_scrape(exporter.scrape(port), plan, values)
        if problems:
            raise RuntimeError("snmp_exporter does not return what the agent holds: " + "; ".join(problems))
        load = subprocess.Popen(
            [sys.executable, "-m", "bench.scrape_load", "--port", str(exporter.port), "--path", exporter.path(port),
             "--count", str(sites), "--warmup", str(EXPORTER_WARMUP), "--concurrency", str(CONCURRENCY),
             "--cycles", "2", "--marker", scrape_marker(plan)],
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


def sitewatch_row(result: dict[str, Any], w: Work, poller: str) -> Row:
    warm = result["cycles"][-1]
    polls = sum(c["polls"] for c in result["cycles"])
    return Row(work=w.name, sites=result["sites"], poller=poller,
               cpu_per_1000=per_1000(warm["cpu_seconds"], warm["polls"]),
               polls_per_second=warm["polls"] / warm["wall_seconds"], timeouts=warm["timeouts"],
               errors=warm["polls"] - warm["ok"], peak_rss_mb=result["peak_rss_mb"],
               requests_per_poll=result["agent_requests"] / polls,
               agent_cpu_per_1000=per_1000(result["agent_cpu_seconds"], polls),
               agent_busy=result["agent_cpu_seconds"] / sum(c["wall_seconds"] for c in result["cycles"]))


def exporter_row(result: dict[str, Any], w: Work) -> Row:
    warm = result["warm"]
    return Row(work=w.name, sites=result["sites"], poller=PEER,
               cpu_per_1000=per_1000(warm["cpu_seconds"], warm["scrapes"]),
               polls_per_second=warm["scrapes"] / warm["wall_seconds"], timeouts=warm["failed"], errors=warm["failed"],
               peak_rss_mb=result["peak_rss_mb"], requests_per_poll=warm["agent_requests"] / warm["scrapes"],
               agent_cpu_per_1000=per_1000(warm["agent_cpu_seconds"], warm["scrapes"]),
               agent_busy=warm["agent_cpu_seconds"] / warm["wall_seconds"])


def first_cycle_summary(result: dict[str, Any], w: Work, poller: str, agents: int) -> dict[str, Any]:
    first, warm = result["cycles"][0], result["cycles"][-1]
    return {"work": w.name, "sites": result["sites"], "poller": poller, "agents": agents,
            "startup_cpu": result["startup"]["cpu_seconds"], "startup_wall": result["startup"]["wall_seconds"],
            "first_wall": first["wall_seconds"], "first_cpu": first["cpu_seconds"],
            "first_timeouts": first["timeouts"], "first_errors": first["polls"] - first["ok"],
            "warm_cpu_per_1000": per_1000(warm["cpu_seconds"], warm["polls"])}


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


Keep = Callable[[str, Work, dict[str, Any]], dict[str, Any]]


def measure_sizes(pool: AgentPool, w: Work, values: dict[str, tuple[str, str]], sizes: Sequence[int],
                  pysnmp_max: int, keep: Keep) -> tuple[list[Row], dict[str, Any]]:
    """Every poller doing ``w`` at every fleet size, in turn on the one agent. Returns the rows
    and the largest lean-client-alone run (which gives the agent's ceiling)."""
    rows: list[Row] = []
    alone: dict[str, Any] = {}
    for n in sizes:
        _log(f"{w.name}, {n} sites: sitewatch, lean client")
        rows.append(sitewatch_row(keep("sitewatch-lean", w, run_sitewatch(pool, w, sites=n, client="lean",
                                                                          mode="daemon")), w, "sitewatch (lean)"))
        _log(f"{w.name}, {n} sites: lean client alone")
        alone = keep("lean-client-alone", w, run_sitewatch(pool, w, sites=n, client="lean", mode="client"))
        rows.append(sitewatch_row(alone, w, "lean client alone"))
        for concurrency in (PYSNMP_CONCURRENCY, CONCURRENCY) if n <= pysnmp_max else ():
            _log(f"{w.name}, {n} sites: sitewatch, pysnmp client, concurrency {concurrency}")
            result = keep("sitewatch-pysnmp", w, run_sitewatch(pool, w, sites=n, client="pysnmp", mode="daemon",
                                                               concurrency=concurrency))
            rows.append(sitewatch_row(result, w, f"sitewatch (pysnmp, concurrency {concurrency})"))
        _log(f"{w.name}, {n} sites: snmp_exporter")
        rows.append(exporter_row(keep("snmp_exporter", w, run_exporter(pool, w, values, n)), w))
    return rows, alone


def agent_ceiling(alone: dict[str, Any], w: Work) -> dict[str, Any]:
    """What the agent can answer, from the lean client's tight loop (the cheapest driver)."""
    warm = alone["cycles"][-1]
    polls = sum(c["polls"] for c in alone["cycles"])
    return {"work": w.name, "requests_per_agent_cpu_second": alone["agent_requests"] / alone["agent_cpu_seconds"],
            "polls_per_agent_cpu_second": polls / alone["agent_cpu_seconds"],
            "requests_per_poll": alone["agent_requests"] / polls,
            "polls_per_second": warm["polls"] / warm["wall_seconds"],
            "agent_busy": alone["agent_cpu_seconds"] / sum(c["wall_seconds"] for c in alone["cycles"])}


def measure_steady(pool: AgentPool, w: Work, sites: int, seconds: float, lean: Row, keep: Keep) -> dict[str, Any]:
    """The whole daemon on the real clock at a 60 s interval, beside what the warm cycle predicts."""
    _log(f"{w.name}, steady state: the daemon polling {sites} sites every 60 s for {seconds:g} s")
    result = keep("steady", w, run_sitewatch(pool, w, sites=sites, client="lean", mode="steady",
                                             extra=["--seconds", str(seconds), "--interval", "60"]))
    return {**result["steady"], "sites": sites, "interval": 60.0,
            "predicted_fraction": lean.cpu_per_1000 * sites / 1000 / 60}


def measure_first_cycles(works: Sequence[Work], lean_sites: int, pysnmp_sites: int,
                         keep: Keep) -> list[dict[str, Any]]:
    """A cold daemon whose sites each have their own community: first cycle and warm cycle, with
    the lean client for every work, with pysnmp (smaller fleet) for the first."""
    out = []
    runs = [(w, "lean", lean_sites, CONCURRENCY) for w in works]
    runs.append((works[0], "pysnmp", min(pysnmp_sites, lean_sites), PYSNMP_CONCURRENCY))
    with AgentPool(agent_plan(works), sites=lean_sites, distinct=True) as pool:
        for w, client, sites, concurrency in runs:
            agents = len({port for port, _ in pool.endpoints()[:sites]})
            _log(f"{w.name}, {sites} sites, a community each, over {agents} snmpd: sitewatch, {client} client")
            result = keep(f"distinct-{client}", w, run_sitewatch(pool, w, sites=sites, client=client, mode="daemon",
                                                                concurrency=concurrency))
            poller = f"sitewatch ({client})" if client == "lean" else f"sitewatch ({client}, concurrency {concurrency})"
            out.append(first_cycle_summary(result, w, poller, agents))
    return out


def notes(*, works: Sequence[Work], values: dict[str, tuple[str, str]], readings: dict[str, int],
          rows: Sequence[Row], pysnmp_max: int, steady: bool) -> list[str]:
    """What a reader needs to read the table right, from this run's own figures."""
    interfaces = sorted({v for o, (_, v) in values.items() if o.startswith("1.3.6.1.2.1.31.1.1.1.1.")})
    out = [f"Work per site-poll, {w.describe()}, giving {readings.get(w.name, 0)} canonical readings."
           for w in works]
    out += [
        f"snmpd serves the system group and IF-MIB from the machine ({len(interfaces)} interfaces here: "
        f"{', '.join(interfaces)}) and the UPS-MIB objects from `override` lines. The get36 profile "
        "(`bench/profiles/get36.yaml`) maps 21 of its 36 values (uptime, battery, input voltage, output source, "
        "link and admin state, ifDescr as the links' info; mains_ok and on_battery derived); the other 15 "
        "(sysObjectID, sysDescr/Contact/Name/Location, output voltage and load, the octet counters) have no "
        "canonical reading and are fetched, not mapped.",
        "sitewatch rows are its daemon's poll path: scheduler dispatch, client fetch, profile mapping to "
        "canonical readings, its own metrics, fleet snapshot update and the incident evaluation the daemon "
        "subscribes to it (state kept in its SQLite database); the garbage collector is tuned as the running "
        "daemon tunes it (`sitewatch.runtime.gctune`). Its /metrics exposition is rendered only when Prometheus "
        "scrapes it and is not in these rows.",
        "snmp_exporter's snmp.yml is written from the same plan (`get:` the scalars, `walk:` the columns, same "
        "max-repetitions, timeout and retries; for get36, which has no walk, max-repetitions 40, as 0.21 also "
        "cuts its GETs into chunks of max-repetitions OIDs: one GET of 36, like sitewatch's). It walks each "
        "column with its own GETBULKs where the lean client "
        "walks all columns in one, asking each agent for one row more than its tables had at the last poll, so "
        "it sends more requests (\"SNMP requests / poll\", counted by the agent's snmpInPkts), and it renders "
        "the text exposition on every scrape. It is driven by a separate keep-alive HTTP load process (not "
        "counted), without gzip. Its first scrape is checked against the agent's values.",
        f"pysnmp rows stop at {pysnmp_max} sites (at its cost larger fleets would take minutes); it runs at "
        f"concurrency {PYSNMP_CONCURRENCY} and {CONCURRENCY}.",
    ]
    late = [r for r in rows if "pysnmp" in r.poller and r.timeouts]
    if late:
        out.append("pysnmp timeouts: with several ms of CPU per poll and hundreds of requests in flight, replies "
                   "wait in its queue longer than the 2 s timeout (" +
                   ", ".join(f"{r.work}, {r.sites:,} sites, {r.poller}: {r.timeouts}" for r in late) + ").")
    busy = [r for r in rows if r.agent_busy >= 0.7]
    if busy:
        out.append("Where the agent is ≥ 70 % busy (" + ", ".join(f"{r.work} {r.sites:,} {r.poller}" for r in busy) +
                   "), site-polls/s is the agent's pace rather than the poller's (it shares the 2 cores); "
                   "CPU per 1000 site-polls is measured either way.")
    out += [
        "Distinct communities: net-snmp looks the community up in a list for every varbind, so one snmpd "
        "holding 10,000 communities would be the bottleneck; they are spread over snmpd instances of 250 each.",
        "The bench's clock stands still within a cycle and moves one 60 s interval ahead to start the next, "
        "so a cycle is exactly one poll per site with all of them due at once.",
    ]
    if not steady:
        out.append("No steady-state run in this mode (run without --quick).")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="100 and 1000 sites, 1000 distinct communities, no steady run")
    p.add_argument("--works", default=",".join(WORKS), help=f"works to measure, comma-separated (default {WORKS})")
    p.add_argument("--sizes", help="fleet sizes, comma-separated (default 1000,5000,10000; quick 100,1000)")
    p.add_argument("--pysnmp-max", type=int, help="largest fleet polled with the pysnmp client (1000; quick 100)")
    p.add_argument("--steady-seconds", type=float, default=130.0,
                   help="length of each steady-state run at a 60 s interval (0: skip); CPU is read over its last 60 s")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    sizes = [int(s) for s in (args.sizes or ("100,1000" if args.quick else "1000,5000,10000")).split(",")]
    pysnmp_max = args.pysnmp_max or (100 if args.quick else 1000)
    steady_seconds = 0.0 if args.quick else args.steady_seconds
    works = [work(name) for name in args.works.split(",")]

    machine = {**machine_info(), "date": time.strftime("%Y-%m-%d %H:%M %Z"), "mode": "quick" if args.quick else "full",
               "concurrency": CONCURRENCY, "load_before": " ".join(f"{x:.2f}" for x in load_average())}
    _log(f"machine: {machine}")
    raw: dict[str, Any] = {"machine": machine, "works": {
        w.name: {"profiles": list(w.compiled.names), "scalars": list(w.plan.scalars), "columns": list(w.plan.columns),
                 "max_repetitions": w.plan.max_repetitions} for w in works}, "runs": []}

    def keep(kind: str, w: Work, result: dict[str, Any]) -> dict[str, Any]:
        raw["runs"].append({"kind": kind, "work": w.name, **result})
        return result

    rows: list[Row] = []
    steady: dict[str, dict[str, Any]] = {}
    ceiling: dict[str, Any] = {}
    values: dict[str, tuple[str, str]] = {}
    with AgentPool(agent_plan(works), sites=1, distinct=False) as pool:
        for w in works:
            mine = agent_values(pool.ports[0], w.plan)
            values.update(mine)
            work_rows, alone = measure_sizes(pool, w, mine, sizes, pysnmp_max, keep)
            rows += work_rows
            if not ceiling:
                ceiling = agent_ceiling(alone, w)
        for w in works if steady_seconds else ():
            lean = next(r for r in rows
                        if r.work == w.name and r.poller == "sitewatch (lean)" and r.sites == max(sizes))
            steady[w.name] = measure_steady(pool, w, max(sizes), steady_seconds, lean, keep)
    raw["agent_values"] = {o: list(v) for o, v in values.items()}
    first_cycle = measure_first_cycles(works, 1000 if args.quick else 10_000, min(1000, pysnmp_max), keep)

    machine["load_after"] = " ".join(f"{x:.2f}" for x in load_average())
    rows = with_ratios(rows, PEER)
    readings = {r["work"]: r["readings_per_poll"] for r in raw["runs"] if r["kind"] == "sitewatch-lean"}
    md = markdown(rows=rows, titles={w.name: w.title for w in works}, first_cycle=first_cycle, steady=steady,
                  ceiling=ceiling, machine=machine,
                  notes=notes(works=works, values=values, readings=readings, rows=rows, pysnmp_max=pysnmp_max,
                              steady=bool(steady)))
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
