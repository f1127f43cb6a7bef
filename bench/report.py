"""Turning measured runs into the rows and the markdown table the README shows.

A row is one poller doing one work (``bench.works``) at one fleet size, from its warm cycle: CPU
seconds per 1000 site-polls, site-polls per second, timeouts, peak RSS, SNMP requests per
site-poll and what the agent spent, and the CPU ratio to prometheus-snmp-exporter measured on
the same work at the same size in the same run. ``acceptance`` checks issue 3's figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["BUDGET_CLIENT", "BUDGET_CORE", "BUDGET_PATH", "Row", "acceptance", "markdown", "per_1000", "with_ratios"]

#: issue 3, on the get36 work: CPU-s per 1000 site-polls for the whole poll path, the client
#: alone; and the fraction of one core for 10,000 sites every 60 s
BUDGET_PATH, BUDGET_CLIENT, BUDGET_CORE = 0.15, 0.10, 0.05
_PATH, _CLIENT = "sitewatch (lean)", "lean client alone"


def per_1000(seconds: float, polls: int) -> float:
    return 1000 * seconds / polls if polls else float("nan")


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """One poller doing one work at one fleet size (warm cycle)."""

    work: str = ""  #: a ``bench.works`` name
    sites: int
    poller: str  #: "sitewatch (lean)", "sitewatch (pysnmp)", "lean client alone", "snmp_exporter 0.21"
    cpu_per_1000: float
    polls_per_second: float
    timeouts: int
    errors: int
    peak_rss_mb: float
    requests_per_poll: float
    agent_cpu_per_1000: float
    agent_busy: float  #: agent CPU / wall time over the run: near 1, the agent set the pace
    cpu_ratio_to_exporter: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def with_ratios(rows: Sequence[Row], peer: str) -> list[Row]:
    """Each row with its CPU ratio to the peer's row of the same work and fleet size."""
    base = {(r.work, r.sites): r.cpu_per_1000 for r in rows if r.poller == peer}
    out = []
    for r in rows:
        b = base.get((r.work, r.sites))
        ratio = r.cpu_per_1000 / b if b else None
        out.append(Row(**{**r.as_dict(), "cpu_ratio_to_exporter": ratio}))
    return out


def _f(v: float | None, digits: int = 2) -> str:
    if v is None or v != v:
        return "–"
    return f"{v:,.{digits}f}"


def _table(header: Sequence[str], lines: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(line) + " |" for line in lines]
    return out


def _rows_table(rows: Sequence[Row]) -> list[str]:
    return _table(
        ["sites", "poller", "CPU-s / 1000 site-polls", "site-polls/s", "timeouts", "peak RSS MB",
         "SNMP requests / poll", "agent CPU-s / 1000", "agent busy", "CPU vs snmp_exporter"],
        [[f"{r.sites:,}", r.poller, _f(r.cpu_per_1000, 3), _f(r.polls_per_second, 0),
          f"{r.timeouts}" + (f" (+{r.errors - r.timeouts} other)" if r.errors > r.timeouts else ""),
          _f(r.peak_rss_mb, 0), _f(r.requests_per_poll, 1), _f(r.agent_cpu_per_1000, 3), f"{100 * r.agent_busy:.0f} %",
          _f(r.cpu_ratio_to_exporter, 2) + ("×" if r.cpu_ratio_to_exporter is not None else "")] for r in rows])


def _steady_line(s: Mapping[str, Any], title: str) -> str:
    return (f"- {title}: **{100 * s['core_fraction']:.2f} % of one core** ({s['polls']:,} polls, "
            f"{_f(s['cpu_seconds'])} CPU-s in {_f(s['wall_seconds'], 1)} s; sites down at the end: "
            f"{s['sites_down_at_end']}). Computed from the warm-cycle figure: {100 * s['predicted_fraction']:.2f} %.")


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def acceptance(rows: Sequence[Row], steady: Mapping[str, Mapping[str, Any]],
               first_cycle: Sequence[Mapping[str, Any]], work: str = "get36") -> list[str]:
    """Issue 3's acceptance figures, each with its verdict, from this run (``work``: get36)."""
    mine = [r for r in rows if r.work == work]
    path = [r for r in mine if r.poller == _PATH]
    client = [r for r in mine if r.poller == _CLIENT]
    out = []
    if path:
        worst = max(path, key=lambda r: r.cpu_per_1000)
        out.append(f"- Whole poll path ≤ {BUDGET_PATH} CPU-s per 1000 site-polls: "
                   + ", ".join(f"{r.sites:,} sites {_f(r.cpu_per_1000, 3)}" for r in path)
                   + f" — {_verdict(worst.cpu_per_1000 <= BUDGET_PATH)}"
                   + (f" (by {_f(worst.cpu_per_1000 - BUDGET_PATH, 3)} at {worst.sites:,} sites)."
                      if worst.cpu_per_1000 > BUDGET_PATH else "."))
        ratios = [r.cpu_ratio_to_exporter for r in path if r.cpu_ratio_to_exporter is not None]
        if ratios:
            out.append("- Ratio to snmp_exporter on the same work, same run (whole path): "
                       + ", ".join(f"{r.sites:,} sites {_f(r.cpu_ratio_to_exporter, 2)}×" for r in path
                                   if r.cpu_ratio_to_exporter is not None) + ".")
    if client:
        worst = max(client, key=lambda r: r.cpu_per_1000)
        out.append(f"- Client alone (request + decode) ≤ {BUDGET_CLIENT}: "
                   + ", ".join(f"{r.sites:,} sites {_f(r.cpu_per_1000, 3)}" for r in client)
                   + f" — {_verdict(worst.cpu_per_1000 <= BUDGET_CLIENT)}.")
    s = steady.get(work)
    if s is not None:
        out.append(f"- {s['sites']:,} sites every {s['interval']:g} s under {100 * BUDGET_CORE:g} % of one core: "
                   f"{100 * s['core_fraction']:.2f} % — {_verdict(s['core_fraction'] < BUDGET_CORE)}.")
    lean = [r for r in mine if r.poller in (_PATH, _CLIENT)]
    if lean:
        timeouts = sum(r.timeouts for r in lean)
        out.append(f"- No timeouts at concurrency 500 against snmpd: {timeouts} in the sitewatch and lean-client "
                   f"rows — {_verdict(timeouts == 0)}.")
    for f in first_cycle:
        if f.get("work") == work and "lean" in f["poller"]:
            out.append(f"- First cycle of {f['sites']:,} sites with a community each within 60 s: "
                       f"{_f(f['first_wall'], 1)} s, {f['first_timeouts']} timeouts — "
                       f"{_verdict(f['first_wall'] < 60 and not f['first_errors'])}.")
    return out


def markdown(*, rows: Sequence[Row], titles: Mapping[str, str], first_cycle: Sequence[Mapping[str, Any]],
             steady: Mapping[str, Mapping[str, Any]], ceiling: Mapping[str, Any], machine: Mapping[str, Any],
             notes: Sequence[str]) -> str:
    """The results as the markdown the README pastes: one table per work (``titles``: work → title)."""
    md = ["# sitewatch poll path vs prometheus-snmp-exporter", "",
          f"Measured {machine['date']} on {machine['nproc']} × {machine['cpu_model']}, "
          f"Python {machine['python']}, {machine['snmpd']}, {machine['snmp_exporter'].split(' (')[0]}; "
          f"load average {machine['load_before']} before, {machine['load_after']} after "
          f"(the machine is shared). Mode: {machine['mode']}.", ""]
    checks = acceptance(rows, steady, first_cycle)
    if checks:
        md += ["## Issue 3 acceptance (get36 work)", "", *checks, ""]
    md += ["Warm cycle (every site polled once, all due at once, concurrency "
           f"{machine['concurrency']}); CPU is the poller's own process; the ratio is to snmp_exporter "
           "doing the same work at the same fleet size in the same run (< 1 = sitewatch cheaper)."]
    for work, title in titles.items():
        mine = [r for r in rows if r.work == work]
        if mine:
            md += ["", f"## {title}", "", *_rows_table(mine)]
    if first_cycle:
        md += ["", "## First cycle with a community per site", "",
               "A cold daemon (start-up = building the configuration and the daemon), then every site due at "
               "once; the poll interval is 60 s:", ""]
        md += _table(["work", "sites", "poller", "agents", "start-up CPU-s", "first cycle s", "first cycle CPU-s",
                      "warm cycle CPU-s / 1000", "timeouts (first)", "within 60 s"],
                     [[f.get("work", ""), f"{f['sites']:,}", f["poller"], str(f["agents"]), _f(f["startup_cpu"]),
                       _f(f["first_wall"]), _f(f["first_cpu"]), _f(f["warm_cpu_per_1000"], 3),
                       str(f["first_timeouts"]), "yes" if f["first_wall"] < 60 else "**no**"] for f in first_cycle])
    if steady:
        some = next(iter(steady.values()))
        md += ["", "## Steady state", "",
               f"The whole daemon (HTTP listener included, nobody scraping) polling {some['sites']:,} sites every "
               f"{some['interval']:g} s on the real clock, CPU over the last interval (goal: under "
               f"{100 * BUDGET_CORE:g} % of one core):", ""]
        md += [_steady_line(s, titles.get(w, w)) for w, s in steady.items()]
    if ceiling:
        md += ["", f"Agent ceiling (net-snmp snmpd, one process, driven by the lean client alone at "
               f"concurrency {machine['concurrency']}, {ceiling.get('work', '')} work): "
               f"{_f(ceiling['requests_per_agent_cpu_second'], 0)} requests per agent CPU-second = "
               f"{_f(ceiling['polls_per_agent_cpu_second'], 0)} site-polls per agent CPU-second "
               f"({_f(ceiling['requests_per_poll'], 1)} requests per poll); it answered "
               f"{_f(ceiling['polls_per_second'], 0)} site-polls/s at {100 * ceiling['agent_busy']:.0f} % of a core."]
    md += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    return "\n".join(md) + "\n"
