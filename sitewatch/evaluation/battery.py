"""How long a site's battery will last, and how we know: the runtime estimate behind
``battery_runtime_low``, the depletion time on battery incidents and
``sitewatch_battery_runtime_estimate_seconds{method}``.

Methods, in the order ``estimate_runtime`` prefers them (``estimates`` gives every one that can answer):

``reported``
    The device's own ``battery_runtime_seconds``, when sane: positive, at most
    ``SANE_MAX_RUNTIME`` and not contradicted by a reported charge of 0.
``charge_trend``
    Least-squares slope of the reported charge over the on-battery window (or its recent part
    after a load step, see ``TREND_SPAN``); time to empty = charge now (fitted) / -slope. Needs ``MIN_SAMPLES`` samples
    over ``MIN_SPAN`` seconds and a fall of at least ``MIN_FALL`` (an integer-percent charge that
    has not moved says nothing).
``voltage_trend``
    The same fit on the state of charge read off the per-cell voltage through ``VRLA_CURVE``.
``capacity`` / ``load``
    Peukert's law. A string rated ``C`` Ah at the ``H``-hour rate, of which a fraction ``U`` is
    usable, lasts at a constant discharge current ``I``::

        t_full = H * (U * C / (I * H)) ** k      hours,   k = Peukert exponent (1.1-1.25 for VRLA)

    and what is left is ``t_full * f``, with ``f`` the charge reported, else the state of charge
    from the cell voltage, else ``1 - elapsed / t_full`` (full when the outage began). ``capacity``
    uses the measured battery current; ``load`` derives it from the site's configured typical
    load, ``I = typical_load_watts / nominal_voltage``.

A trend needs time to build; early in an outage the capacity methods answer, later the trends.
Where the charge and the cell voltage disagree, the lower one is believed (both trends are made
and the shorter wins; the capacity methods take the lower state of charge): a monitor that counts
ampere-hours without Peukert's correction reads too high a charge at a heavy load, while the
voltage sags with it. Erring short is the safe side for a runtime alarm
(``bench/battery_runtime.py`` measures both errors). The evaluation keeps the samples
(``BatterySample``) in its state, bounded by ``add_sample``.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sitewatch.core.conditions import RuntimeEstimate

__all__ = [
    "FLOAT_VOLTS_PER_CELL",
    "MAX_SAMPLES",
    "METHODS",
    "SANE_MAX_RUNTIME",
    "VRLA_CURVE",
    "BatteryNow",
    "BatteryParams",
    "BatterySample",
    "add_sample",
    "cells_from_float_voltage",
    "charge_from_cell_voltage",
    "estimate_runtime",
    "estimates",
    "peukert_hours",
]

#: a reported runtime longer than this (7 days) is a sentinel or a bug, not a battery
SANE_MAX_RUNTIME = 7 * 86400.0
#: trend fits need this many samples over this many seconds, and a fall of this much charge
MIN_SAMPLES = 3
MIN_SPAN = 300.0
MIN_FALL = 0.02
#: a trend is fitted over the whole window (precise: whole-percent charge steps average out), unless
#: the most recent samples spanning ``TREND_SPAN`` seconds with a fall of ``TREND_FALL`` slope
#: differently by more than ``KINK``: then over those (the load changed; follow it within minutes)
TREND_SPAN = 900.0
TREND_FALL = 0.05
KINK = 0.25
#: samples kept; samples closer than ``SAMPLE_SPACING`` replace the newest one, so the window
#: covers at least ``(MAX_SAMPLES - 1) * SAMPLE_SPACING`` seconds (47 minutes) whatever the poll rate
MAX_SAMPLES = 48
SAMPLE_SPACING = 60.0
#: float charge of a VRLA cell; 12 V blocks of 6 cells (``cells_from_float_voltage``)
FLOAT_VOLTS_PER_CELL = 2.27

#: VRLA (AGM) volts per cell under a moderate load (C/8..C/10) against state of charge: read off
#: typical manufacturers' discharge-characteristic curves, ending at 1.75 V/cell, the usual
#: telecom end-of-discharge voltage. Linear between points. Under a heavier load the voltage sits
#: lower (the estimate then reads a lower charge: it errs on the safe side).
VRLA_CURVE: tuple[tuple[float, float], ...] = (
    (1.75, 0.0),
    (1.84, 0.05),
    (1.91, 0.20),
    (1.96, 0.40),
    (2.00, 0.60),
    (2.04, 0.80),
    (2.09, 1.0),
)

METHODS = ("reported", "charge_trend", "voltage_trend", "capacity", "load")


@dataclass(frozen=True, slots=True, kw_only=True)
class BatteryParams:
    """What the configuration says about a site's battery (any of it may be missing)."""

    capacity_ah: float | None = None
    nominal_volts: float | None = None
    typical_load_watts: float | None = None
    #: rated hours of ``capacity_ah`` (telecom VRLA is rated at C10)
    rated_hours: float = 10.0
    peukert_exponent: float = 1.15
    #: usable share of the rated capacity: midway between new (1.0) and due for replacement (0.8)
    usable_fraction: float = 0.9


@dataclass(frozen=True, slots=True, kw_only=True)
class BatterySample:
    """One point of the on-battery window: the charge reported and the charge read off the cell
    voltage (``charge_from_cell_voltage``, once, when the sample is taken), both 0..1, either unknown."""

    at: float
    charge: float | None = None
    voltage_charge: float | None = None

    @classmethod
    def of(cls, now: BatteryNow) -> BatterySample:
        return cls(at=now.at, charge=now.charge,
                   voltage_charge=None if now.cell_volts is None else charge_from_cell_voltage(now.cell_volts))


@dataclass(frozen=True, slots=True, kw_only=True)
class BatteryNow:
    """What the latest poll says about the battery."""

    at: float
    reported_runtime: float | None = None
    charge: float | None = None
    cell_volts: float | None = None
    #: battery current, amperes, either sign (the magnitude is the discharge current on battery)
    current: float | None = None
    #: seconds since the site went on battery (device's count, else the evaluation's)
    on_battery_seconds: float | None = None


_CURVE_VOLTS = [v for v, _ in VRLA_CURVE]


def charge_from_cell_voltage(volts: float) -> float:
    """State of charge 0..1 for a per-cell voltage under load, through ``VRLA_CURVE``."""
    i = bisect.bisect_left(_CURVE_VOLTS, volts)
    if i == 0:
        return 0.0
    if i == len(VRLA_CURVE):
        return 1.0
    (v0, c0), (v1, c1) = VRLA_CURVE[i - 1], VRLA_CURVE[i]
    return c0 + (c1 - c0) * (volts - v0) / (v1 - v0)


def cells_from_float_voltage(volts: float) -> int | None:
    """Cells in a string read off its float voltage, as whole 12 V blocks of 6 cells
    (48 V plant: 54 V → 24); None below one block. Snapping to blocks absorbs the spread
    between float (2.23-2.30 V/cell) and a charger's boost."""
    blocks = round(volts / (6 * FLOAT_VOLTS_PER_CELL))
    return 6 * blocks if blocks >= 1 else None


def peukert_hours(current: float, params: BatteryParams) -> float | None:
    """Hours a full string lasts at ``current`` amperes (Peukert's law, see the module doc)."""
    if params.capacity_ah is None or current <= 0:
        return None
    h = params.rated_hours
    return h * math.pow(params.usable_fraction * params.capacity_ah / (current * h), params.peukert_exponent)


def add_sample(samples: tuple[BatterySample, ...], sample: BatterySample) -> tuple[BatterySample, ...]:
    """The window with ``sample`` added, bounded (see ``MAX_SAMPLES``/``SAMPLE_SPACING``); a sample
    taken at the same instant as the last one replaces it (one reading of the battery per instant)."""
    same_instant = bool(samples) and samples[-1].at == sample.at
    if same_instant or (len(samples) >= 2 and samples[-1].at - samples[-2].at < SAMPLE_SPACING):
        return (*samples[:-1], sample)
    return (*samples, sample)[-MAX_SAMPLES:]


def _sane(seconds: float) -> float | None:
    return seconds if 0 <= seconds <= SANE_MAX_RUNTIME else None


def _reported(now: BatteryNow, samples: Sequence[BatterySample], params: BatteryParams) -> float | None:
    r = now.reported_runtime
    if r is None or not 0 < r <= SANE_MAX_RUNTIME or (now.charge is not None and now.charge <= 0):
        return None
    return r


def _fit(points: Sequence[tuple[float, float]], at: float) -> tuple[float, float]:
    """Least-squares line through (t, level): (slope per second, level at ``at``)."""
    n = len(points)
    t0 = points[0][0]
    st = sy = stt = sty = 0.0
    for t, y in points:  # one pass, times relative to the first (no cancellation)
        t -= t0
        st += t
        sy += y
        stt += t * t
        sty += t * y
    slope = (n * sty - st * sy) / (n * stt - st * st)
    return slope, (sy + slope * (n * (at - t0) - st)) / n


def _time_to_empty(points: Sequence[tuple[float, float]], at: float) -> float | None:
    """Seconds from ``at`` until the fitted level reaches 0 (see ``TREND_SPAN``)."""
    if len(points) < MIN_SAMPLES:
        return None
    t_end, y_end = points[-1]
    span = t_end - points[0][0]
    if span < MIN_SPAN:
        return None
    slope, level = _fit(points, at)
    for i in range(len(points) - MIN_SAMPLES, 0, -1):
        t, y = points[i]
        if t_end - t >= TREND_SPAN and y - y_end >= TREND_FALL:
            recent, recent_level = _fit(points[i:], at)
            if abs(recent - slope) > KINK * abs(slope):
                slope, level, span = recent, recent_level, t_end - t
            break
    if slope >= 0 or -slope * span < MIN_FALL:
        return None
    return _sane(max(0.0, level) / -slope)


def _charge_trend(now: BatteryNow, samples: Sequence[BatterySample], params: BatteryParams) -> float | None:
    return _time_to_empty([(s.at, s.charge) for s in samples if s.charge is not None], now.at)


def _voltage_trend(now: BatteryNow, samples: Sequence[BatterySample], params: BatteryParams) -> float | None:
    return _time_to_empty(
        [(s.at, s.voltage_charge) for s in samples if s.voltage_charge is not None], now.at)


def _peukert_remaining(current: float | None, now: BatteryNow, params: BatteryParams) -> float | None:
    hours = None if current is None else peukert_hours(current, params)
    if hours is None:
        return None
    full = hours * 3600.0
    known = [x for x in (now.charge, None if now.cell_volts is None else charge_from_cell_voltage(now.cell_volts))
             if x is not None]
    if known:
        left = min(known)
    elif now.on_battery_seconds is not None:
        left = max(0.0, 1.0 - now.on_battery_seconds / full)
    else:
        return None
    return _sane(full * left)


def _capacity(now: BatteryNow, samples: Sequence[BatterySample], params: BatteryParams) -> float | None:
    # a current under 10 mA is a sensor at rest, not a load
    current = None if now.current is None or abs(now.current) < 0.01 else abs(now.current)
    return _peukert_remaining(current, now, params)


def _load(now: BatteryNow, samples: Sequence[BatterySample], params: BatteryParams) -> float | None:
    if params.typical_load_watts is None or params.nominal_volts is None:
        return None
    return _peukert_remaining(params.typical_load_watts / params.nominal_volts, now, params)


_Method = Callable[[BatteryNow, Sequence[BatterySample], BatteryParams], float | None]
_METHODS: tuple[tuple[str, _Method], ...] = (
    ("reported", _reported),
    ("charge_trend", _charge_trend),
    ("voltage_trend", _voltage_trend),
    ("capacity", _capacity),
    ("load", _load),
)


def estimates(now: BatteryNow, samples: Sequence[BatterySample], params: BatteryParams
              ) -> dict[str, RuntimeEstimate]:
    """Every method's estimate that can be made now, by method name (for comparison and the bench)."""
    out: dict[str, RuntimeEstimate] = {}
    for name, method in _METHODS:
        seconds = method(now, samples, params)
        if seconds is not None:
            out[name] = RuntimeEstimate(seconds=seconds, method=name, at=now.at)
    return out


#: methods tried in turn by ``estimate_runtime``; within a group the shortest estimate wins
_PREFERENCE: tuple[tuple[tuple[str, _Method], ...], ...] = (
    (_METHODS[0],), (_METHODS[1], _METHODS[2]), (_METHODS[3],), (_METHODS[4],))


def estimate_runtime(now: BatteryNow, samples: Sequence[BatterySample], params: BatteryParams
                     ) -> RuntimeEstimate | None:
    """The best estimate available (see the module doc), or None."""
    for group in _PREFERENCE:
        found = [(seconds, name) for name, method in group if (seconds := method(now, samples, params)) is not None]
        if found:
            seconds, name = min(found)
            return RuntimeEstimate(seconds=seconds, method=name, at=now.at)
    return None
