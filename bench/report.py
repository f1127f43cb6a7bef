"""Turning measured runs into the rows and the markdown table the README shows.

A row is one poller at one fleet size, from its warm cycle: CPU seconds per 1000 site-polls,
site-polls per second, timeouts, peak RSS, SNMP requests per site-poll and what the agent spent,
and the CPU ratio to prometheus-snmp-exporter measured at the same size in the same run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Row", "markdown", "per_1000", "with_ratios"]


def per_1000(seconds: float, polls: int) -> float:
    return 1000 * seconds / polls if polls else float("nan")


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """One poller at one fleet size (warm cycle)."""

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
    """Each row with its CPU ratio to the peer's row of the same fleet size."""
    base = {r.sites: r.cpu_per_1000 for r in rows if r.poller == peer}
    out = []
    for r in rows:
        b = base.get(r.sites)
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


def markdown(*, rows: Sequence[Row], first_cycle: Sequence[Mapping[str, Any]], steady: Mapping[str, Any] | None,
             ceiling: Mapping[str, Any], machine: Mapping[str, Any], notes: Sequence[str]) -> str:
    """The results as the markdown the README pastes."""
    md = ["# sitewatch poll path vs prometheus-snmp-exporter", "",
          f"Measured {machine['date']} on {machine['nproc']} × {machine['cpu_model']}, "
          f"Python {machine['python']}, {machine['snmpd']}, {machine['snmp_exporter'].split(' (')[0]}; "
          f"load average {machine['load_before']} before, {machine['load_after']} after "
          f"(the machine is shared). Mode: {machine['mode']}.", "",
          "Warm cycle (every site polled once, all due at once, concurrency "
          f"{machine['concurrency']}); CPU is the poller's own process; the ratio is to snmp_exporter "
          "at the same fleet size in the same run (< 1 = sitewatch cheaper).", ""]
    md += _table(
        ["sites", "poller", "CPU-s / 1000 site-polls", "site-polls/s", "timeouts", "peak RSS MB",
         "SNMP requests / poll", "agent CPU-s / 1000", "agent busy", "CPU vs snmp_exporter"],
        [[f"{r.sites:,}", r.poller, _f(r.cpu_per_1000, 3), _f(r.polls_per_second, 0),
          f"{r.timeouts}" + (f" (+{r.errors - r.timeouts} other)" if r.errors > r.timeouts else ""),
          _f(r.peak_rss_mb, 0), _f(r.requests_per_poll, 1), _f(r.agent_cpu_per_1000, 3), f"{100 * r.agent_busy:.0f} %",
          _f(r.cpu_ratio_to_exporter, 2) + ("×" if r.cpu_ratio_to_exporter is not None else "")] for r in rows])
    if first_cycle:
        md += ["", "First cycle of a cold daemon with a community per site (start-up = building the "
               "configuration and the daemon; then every site due at once; the poll interval is 60 s):", ""]
        md += _table(["sites", "poller", "agents", "start-up CPU-s", "first cycle s", "first cycle CPU-s",
                      "warm cycle CPU-s / 1000", "timeouts (first)", "within 60 s"],
                     [[f"{f['sites']:,}", f["poller"], str(f["agents"]), _f(f["startup_cpu"]),
                       _f(f["first_wall"]), _f(f["first_cpu"]), _f(f["warm_cpu_per_1000"], 3),
                       str(f["first_timeouts"]), "yes" if f["first_wall"] < 60 else "**no**"] for f in first_cycle])
    if steady:
        md += ["", f"Steady state: the whole daemon (HTTP listener included, nobody scraping) polling "
               f"{steady['sites']:,} sites every {steady['interval']:g} s on the real clock, CPU over the "
               f"last interval: **{100 * steady['core_fraction']:.2f} % of one core** "
               f"({steady['polls']:,} polls, {_f(steady['cpu_seconds'])} CPU-s in {_f(steady['wall_seconds'], 1)} s; "
               f"sites down at the end: {steady['sites_down_at_end']}). Computed from the warm-cycle figure: "
               f"{100 * steady['predicted_fraction']:.2f} %. Goal \"10,000 sites every 60 s under 5 % of one core\": "
               + ("met." if steady["core_fraction"] < 0.05 else "**not met**.")]
    md += ["", f"Agent ceiling (net-snmp snmpd, one process, driven by the lean client alone at "
           f"concurrency {machine['concurrency']}): {_f(ceiling['requests_per_agent_cpu_second'], 0)} requests "
           f"per agent CPU-second = {_f(ceiling['polls_per_agent_cpu_second'], 0)} site-polls per agent "
           f"CPU-second ({_f(ceiling['requests_per_poll'], 1)} requests per poll); it answered "
           f"{_f(ceiling['polls_per_second'], 0)} site-polls/s at {100 * ceiling['agent_busy']:.0f} % of a core."]
    md += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    return "\n".join(md) + "\n"
