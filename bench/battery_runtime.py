"""How wrong is the battery runtime estimate? Discharge curves from documented battery models,
fed poll by poll through ``sitewatch.evaluation`` (as the daemon does), compared with the true time left.

Models (``python3 -m bench.battery_runtime [--json]``):

``vrla-sim``
    The simulator's VRLA string (``sitewatch.simulator.battery``: charge falling linearly under a
    constant-power load, voltage on its per-cell discharge curve, current = load / voltage, the
    device's own runtime = charge x capacity x voltage / load). Several capacities and loads.
``peukert``
    Peukert's law, rated ``C`` Ah at ``H`` = 10 h, exponent ``k`` in {1.10, 1.15, 1.25}, constant
    current from C/20 to 1 C: a full string lasts ``T = H (C / (I H))^k``. The monitor's charge is
    Peukert-compensated (``1 - t/T``), the voltage follows the simulator's per-cell curve at that
    charge, and the device reports no runtime (so the fallbacks are what is measured).
``peukert-coulomb``
    The same batteries watched by a plain coulomb counter (charge ``1 - I t / C``): what a charge
    trend gets wrong at high currents.

Readings are quantized as devices send them: charge in whole percent, 0.1 V, 0.1 A, runtime in
whole minutes. At 25, 50 and 75 % of the way through each discharge every method's estimate
(``sitewatch.evaluation.battery.estimates`` over the evaluation's own window) and the evaluation's choice
(``best``, ``state.runtime``) are compared with the true time left.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Iterator
from dataclasses import dataclass

from sitewatch.core.model import PollResult, Reading
from sitewatch.evaluation import SiteContext, SiteEvalState, evaluate
from sitewatch.evaluation.battery import METHODS, BatteryNow, BatteryParams, estimates
from sitewatch.simulator.battery import BatterySpec, volts_per_cell

__all__ = ["FRACTIONS", "Discharge", "Point", "discharges", "measure", "peukert_discharge", "simulator_discharge",
           "summarize"]

FRACTIONS = (0.25, 0.50, 0.75)
POLL = 60.0
T0 = 1_700_000_000.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Point:
    """One poll during a discharge: what the device says, and the truth."""

    at: float
    remaining: float  #: true seconds left
    charge: float
    volts: float
    current: float  #: negative: discharging
    reported: float | None  #: the device's runtime, seconds


@dataclass(frozen=True, slots=True, kw_only=True)
class Discharge:
    model: str
    name: str
    params: BatteryParams  #: what the site's configuration tells the estimator
    points: tuple[Point, ...]


def _quantized(at: float, remaining: float, charge: float, volts: float, current: float,
               reported: float | None) -> Point:
    return Point(at=at, remaining=remaining, charge=round(charge * 100) / 100, volts=round(volts, 1),
                 current=round(current, 1), reported=None if reported is None else round(reported / 60) * 60.0)


def simulator_discharge(capacity_ah: float, nominal_volts: float, load_watts: float, poll: float = POLL
                        ) -> Discharge:
    """A full discharge of the simulator's battery model under ``load_watts``."""
    spec = BatterySpec.of(capacity_ah=capacity_ah, nominal_volts=nominal_volts, load_watts=load_watts)
    total = spec.runtime_seconds(1.0)
    points = []
    t = 0.0
    while t < total:
        c = spec.charge_after(1.0, t, ac_present=False, drain_per_minute=None)
        points.append(_quantized(T0 + t, spec.runtime_seconds(c), c, spec.volts(c, ac_present=False),
                                 spec.amperes(c, ac_present=False),
                                 spec.runtime_seconds(c)))
        t += poll
    return Discharge(model="vrla-sim", name=f"{capacity_ah:g}Ah {nominal_volts:g}V {load_watts:g}W",
                     params=BatteryParams(capacity_ah=capacity_ah, nominal_volts=nominal_volts,
                                          typical_load_watts=load_watts), points=tuple(points))


def peukert_discharge(capacity_ah: float, current: float, exponent: float, *, rated_hours: float = 10.0,
                      nominal_volts: float = 48.0, coulomb: bool = False, poll: float = POLL) -> Discharge:
    """A constant-current discharge of a Peukert battery (see the module doc)."""
    total = rated_hours * (capacity_ah / (current * rated_hours)) ** exponent * 3600.0
    cells = round(nominal_volts / 2)
    points = []
    t = 0.0
    while t < total:
        soc = 1.0 - t / total
        charge = max(0.0, 1.0 - current * t / 3600.0 / capacity_ah) if coulomb else soc
        points.append(_quantized(T0 + t, total - t, charge, cells * volts_per_cell(soc), -current, None))
        t += poll
    return Discharge(model="peukert-coulomb" if coulomb else "peukert",
                     name=f"k={exponent:g} I={current:g}A ({capacity_ah / current:g}h rate)",
                     params=BatteryParams(capacity_ah=capacity_ah, nominal_volts=nominal_volts,
                                          typical_load_watts=current * nominal_volts, rated_hours=rated_hours),
                     points=tuple(points))


def discharges() -> Iterator[Discharge]:
    """The curves the report (and the tests) run."""
    for cap, volts, load in ((100, 48, 1000), (200, 48, 1200), (150, 48, 3000), (65, 24, 400), (100, 48, 4800)):
        yield simulator_discharge(cap, volts, load)
    for coulomb in (False, True):
        for k in (1.10, 1.15, 1.25):
            for rate in (20, 10, 5, 2, 1):
                yield peukert_discharge(100.0, 100.0 / rate, k, coulomb=coulomb)


def _poll(p: Point) -> PollResult:
    values: dict[str, float | None] = {
        "mains_ok": 0.0, "on_battery": 1.0, "battery_charge_ratio": p.charge, "battery_voltage_volts": p.volts,
        "battery_current_amperes": p.current, "battery_runtime_seconds": p.reported}
    return PollResult(site_id="bench", started_at=p.at, duration_seconds=0.05, ok=True,
                      readings=tuple(Reading(name=k, value=v) for k, v in values.items() if v is not None))


def measure(d: Discharge, params: BatteryParams | None = None) -> dict[str, dict[float, tuple[float, float]]]:
    """{method or "best": {fraction: (estimate, true remaining)}} at ``FRACTIONS`` of ``d``."""
    params = params or d.params
    ctx = SiteContext(id="bench", battery=params, cells=round((params.nominal_volts or 48) / 2))
    marks = {min(range(len(d.points)), key=lambda i, f=f: abs(i - f * len(d.points))): f for f in FRACTIONS}
    out: dict[str, dict[float, tuple[float, float]]] = {}
    state = SiteEvalState()
    for i, p in enumerate(d.points):
        state, _ = evaluate(state, ctx, _poll(p), p.at)
        if i not in marks:
            continue
        f = marks[i]
        now = BatteryNow(at=p.at, reported_runtime=p.reported, charge=p.charge, cell_volts=p.volts / ctx.cells,
                         current=p.current, on_battery_seconds=p.at - d.points[0].at)
        for method, est in estimates(now, state.battery, params).items():
            out.setdefault(method, {})[f] = (est.seconds, p.remaining)
        if state.runtime is not None:
            out.setdefault("best", {})[f] = (state.runtime.seconds, p.remaining)
    return out


def summarize(runs: list[tuple[Discharge, dict[str, dict[float, tuple[float, float]]]]]) -> list[dict[str, object]]:
    """Rows per (model, method, fraction): n, median/worst absolute (min) and relative (%) error, bias."""
    rows: list[dict[str, object]] = []
    for model in dict.fromkeys(d.model for d, _ in runs):
        for method in (*METHODS, "best"):
            for f in FRACTIONS:
                pairs = [r[method][f] for d, r in runs if d.model == model and f in r.get(method, {})]
                if not pairs:
                    continue
                abs_min = [abs(e - t) / 60 for e, t in pairs]
                rel = [(e - t) / t * 100 for e, t in pairs]
                rows.append({"model": model, "method": method, "through": f, "n": len(pairs),
                             "median_abs_min": round(statistics.median(abs_min), 1),
                             "worst_abs_min": round(max(abs_min), 1),
                             "median_rel_pct": round(statistics.median(abs(x) for x in rel), 1),
                             "worst_rel_pct": round(max(abs(x) for x in rel), 1),
                             "bias_rel_pct": round(statistics.median(rel), 1)})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = ap.parse_args()
    runs = [(d, measure(d)) for d in discharges()]
    rows = summarize(runs)
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    head = ("model", "method", "through", "n", "median_abs_min", "worst_abs_min", "median_rel_pct", "worst_rel_pct",
            "bias_rel_pct")
    print(" ".join(f"{h:>15}" for h in head))
    for row in rows:
        print(" ".join(f"{row[h]!s:>15}" for h in head))


if __name__ == "__main__":
    main()
