"""The runtime estimate against discharge curves from documented battery models: the
simulator's VRLA string and Peukert's law (``bench/battery_runtime.py`` prints the full report)."""

from __future__ import annotations

import dataclasses
import functools

import pytest

from bench.battery_runtime import Discharge, discharges, measure, peukert_discharge, simulator_discharge
from sitewatch.evaluation.battery import (
    BatteryNow,
    BatteryParams,
    BatterySample,
    cells_from_float_voltage,
    charge_from_cell_voltage,
    estimate_runtime,
    estimates,
    peukert_hours,
)

SIM = [d for d in discharges() if d.model == "vrla-sim"]
PEUKERT = [d for d in discharges() if d.model == "peukert"]
COULOMB = [d for d in discharges() if d.model == "peukert-coulomb"]


@functools.cache
def _rel(d: Discharge, params: BatteryParams | None = None) -> dict[str, list[float]]:
    """Relative errors (estimate - true) / true by method, over the 25/50/75 % marks."""
    out: dict[str, list[float]] = {}
    for method, marks in measure(d, params).items():
        out[method] = [(est - true) / true for est, true in marks.values()]
    return out


def test_peukert_law() -> None:
    p = BatteryParams(capacity_ah=100, rated_hours=10, peukert_exponent=1.2, usable_fraction=1.0)
    assert peukert_hours(10.0, p) == pytest.approx(10.0)  # the rated current gives the rated hours
    assert peukert_hours(20.0, p) == pytest.approx(10 * 0.5**1.2)  # twice the current: less than half the time
    assert peukert_hours(5.0, p) == pytest.approx(10 * 2**1.2)
    assert peukert_hours(0.0, p) is None and peukert_hours(10.0, BatteryParams()) is None
    assert peukert_hours(10.0, dataclasses.replace(p, usable_fraction=0.8)) == pytest.approx(10 * 0.8**1.2)


def test_vrla_curve_and_cells() -> None:
    assert charge_from_cell_voltage(1.70) == 0.0 and charge_from_cell_voltage(2.25) == 1.0
    socs = [charge_from_cell_voltage(1.75 + i * 0.01) for i in range(35)]  # up to 2.09 V: full
    assert socs == sorted(socs) and len(set(socs)) == 35
    assert charge_from_cell_voltage(1.98) == pytest.approx(0.5)
    assert [cells_from_float_voltage(v) for v in (54.0, 53.5, 57.6, 27.3, 13.6, 5.0)] == [24, 24, 24, 12, 6, None]


@pytest.mark.parametrize(("reported", "charge", "ok"), [
    (3600.0, 0.5, True), (0.0, 0.5, False), (-60.0, 0.5, False), (30 * 86400.0, 0.5, False), (3600.0, 0.0, False),
])
def test_reported_runtime_only_when_sane(reported: float, charge: float, ok: bool) -> None:
    now = BatteryNow(at=1000.0, reported_runtime=reported, charge=charge)
    assert ("reported" in estimates(now, (), BatteryParams())) is ok


def test_trends_need_time_and_a_fall() -> None:
    p = BatteryParams()
    window = tuple(BatterySample(at=60.0 * i, charge=0.9 - 0.01 * i) for i in range(5))  # 4 min
    assert estimates(BatteryNow(at=240.0, charge=0.86), window, p) == {}
    window += (BatterySample(at=300.0, charge=0.85),)
    (e,) = estimates(BatteryNow(at=300.0, charge=0.85), window, p).values()
    assert (e.method, e.seconds) == ("charge_trend", pytest.approx(0.85 / 0.01 * 60))
    flat = tuple(BatterySample(at=60.0 * i, charge=0.9) for i in range(10))
    assert estimates(BatteryNow(at=540.0, charge=0.9), flat, p) == {}


@pytest.mark.parametrize("d", SIM, ids=[d.name for d in SIM])
def test_error_on_the_simulator_battery(d: Discharge) -> None:
    rel = _rel(d)
    assert set(rel) == {"reported", "charge_trend", "voltage_trend", "capacity", "load", "best"}
    assert max(map(abs, rel["reported"] + rel["best"])) < 0.01  # the device's own figure, to the minute
    assert max(map(abs, rel["charge_trend"])) < 0.03
    assert max(map(abs, rel["voltage_trend"])) < 0.45  # our VRLA curve is not the simulator's
    # Peukert with usable 90 % errs short of a battery that has neither loss (never long by > 5 %)
    for method in ("capacity", "load"):
        assert all(-0.45 < e < 0.05 for e in rel[method]), (method, rel[method])


@pytest.mark.parametrize("d", PEUKERT, ids=[d.name for d in PEUKERT])
def test_error_on_a_peukert_battery(d: Discharge) -> None:
    k = float(d.name.split()[0].removeprefix("k="))
    matched = _rel(d, dataclasses.replace(d.params, peukert_exponent=k, usable_fraction=1.0))
    for method in ("capacity", "load"):
        assert max(map(abs, matched[method])) < 0.02, (method, matched[method])
    rel = _rel(d)  # the default exponent 1.15 and usable 90 %
    assert max(map(abs, rel["charge_trend"])) < 0.05
    # short unless the battery's exponent is steeper than the assumed 1.15 at a heavy load
    assert all(-0.25 < e < (0.15 if k > 1.15 and d.params.typical_load_watts >= 48 * 20 else 0.0)  # type: ignore[operator]
               for e in rel["capacity"]), rel["capacity"]
    assert max(map(abs, rel["best"])) < 0.20


def test_a_coulomb_counter_at_a_heavy_load_is_checked_by_the_voltage() -> None:
    charge_trend = [e for d in COULOMB for e in _rel(d)["charge_trend"]]
    best = [e for d in COULOMB for e in _rel(d)["best"]]
    assert max(charge_trend) > 1.0  # the counter alone: more than twice the real time left
    assert max(best) < 0.40  # the shorter of charge and voltage trends


def test_estimates_early_in_an_outage_come_from_capacity() -> None:
    d = simulator_discharge(100, 48, 1000)
    p = d.points[1]
    now = BatteryNow(at=p.at, charge=p.charge, cell_volts=p.volts / 24, current=p.current, on_battery_seconds=60)
    window = (BatterySample(at=d.points[0].at, charge=1.0), BatterySample(at=p.at, charge=p.charge))
    e = estimate_runtime(now, window, d.params)
    assert e is not None and e.method == "capacity"
    no_current = estimate_runtime(dataclasses.replace(now, current=None), window, d.params)
    assert no_current is not None and no_current.method == "load"
    blind = BatteryNow(at=p.at, on_battery_seconds=600.0)  # nothing but the load and the time on battery
    full = peukert_hours(1000 / 48, d.params)
    assert full is not None
    e = estimate_runtime(blind, (), d.params)
    assert e is not None and e.seconds == pytest.approx(full * 3600 - 600)
    assert estimate_runtime(BatteryNow(at=p.at), (), BatteryParams()) is None


def test_peukert_discharge_lasts_as_the_law_says() -> None:
    d = peukert_discharge(100.0, 50.0, 1.25)
    assert d.points[0].remaining == pytest.approx(10 * 0.2**1.25 * 3600)
    assert d.points[-1].remaining < 60
