"""The simulated backup battery: how charge, voltage, current and runtime move together.

A site's battery is a VRLA string of ``cells`` 2 V cells (24 for a 48 V plant). Its state is one
number, the **charge ratio** ``c`` in 0..1; everything an agent reports is derived from ``c``
and from whether AC (mains or generator) is present:

* **Drain** (no AC): ``c`` falls linearly, ``dc/dt = -drain_per_minute``. Unless a drain rate is
  set explicitly, it follows from the load::

      drain_per_minute = load_watts / (capacity_ah * nominal_volts * 60)

  An explicit drain rate **fast-forwards** the discharge (a demo cannot wait five hours): the
  charge falls faster, while the load, and so the current and the device's own runtime figure,
  stay those of the site. Charge, voltage and runtime fall together; nothing jumps.
* **Recharge** (AC present, ``c < 1``): ``c`` rises at ``RECHARGE_PER_MINUTE`` (a 0.1 C charge
  current, i.e. empty to full in 10 hours), charge current ``0.1 * capacity_ah`` amperes.
* **Runtime** remaining (what ``upsEstimatedMinutesRemaining`` reports: the device computes it
  from its present load)::

      runtime_seconds = c * capacity_ah * nominal_volts / load_watts * 3600

* **Voltage**: on AC the rectifier/charger holds the string at float, ``FLOAT_VOLTS_PER_CELL``
  (2.25 V/cell, 54.0 V for 24 cells). On battery the voltage follows ``DISCHARGE_CURVE``
  (volts per cell against charge, linear between points), from 2.08 V/cell full to the
  end-of-discharge 1.75 V/cell (42.0 V) at ``c = 0``. A device recorded at a different float
  voltage is scaled: ``volts = recorded_float_volts * curve(c) / FLOAT_VOLTS_PER_CELL``.
* **Current**: discharging ``-load_watts / volts`` (negative = discharging; -25 A for a 1.2 kW
  BTS on a 48 V string); recharging
  ``+0.1 * capacity_ah``; 0 on float.
* **Status**: ``normal`` while ``c >= LOW_CHARGE`` (0.2), ``low`` below it, ``depleted`` at 0.
  A depleted UPS switches its output off (``upsOutputSource`` none).
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass

__all__ = [
    "DISCHARGE_CURVE",
    "END_VOLTS_PER_CELL",
    "FLOAT_VOLTS_PER_CELL",
    "LOW_CHARGE",
    "RECHARGE_PER_MINUTE",
    "BatterySpec",
    "BatteryStatus",
    "volts_per_cell",
]

FLOAT_VOLTS_PER_CELL = 2.25
END_VOLTS_PER_CELL = 1.75
#: (charge ratio, volts per cell) while discharging at a moderate (C/5 .. C/10) rate, VRLA
DISCHARGE_CURVE: tuple[tuple[float, float], ...] = (
    (0.0, END_VOLTS_PER_CELL),
    (0.10, 1.88),
    (0.25, 1.93),
    (0.50, 1.98),
    (0.75, 2.03),
    (1.0, 2.08),
)
LOW_CHARGE = 0.2
RECHARGE_PER_MINUTE = 0.1 / 60


class BatteryStatus(enum.Enum):
    """Battery status as the UPS-MIB reports it (``upsBatteryStatus`` values)."""

    NORMAL = 2
    LOW = 3
    DEPLETED = 4


def volts_per_cell(charge: float) -> float:
    """The discharge curve at ``charge`` (clamped to 0..1), linear between the table points."""
    c = min(1.0, max(0.0, charge))
    for (c0, v0), (c1, v1) in itertools.pairwise(DISCHARGE_CURVE):
        if c <= c1:
            return v0 + (v1 - v0) * (c - c0) / (c1 - c0)
    return DISCHARGE_CURVE[-1][1]


@dataclass(frozen=True, slots=True, kw_only=True)
class BatterySpec:
    """One site's battery and load. ``float_volts`` is what the device reads on float (the
    generated profiles use ``cells * 2.25``; a recording keeps its own)."""

    capacity_ah: float
    nominal_volts: float
    load_watts: float
    float_volts: float

    @classmethod
    def of(cls, capacity_ah: float, nominal_volts: float, load_watts: float,
           float_volts: float | None = None) -> BatterySpec:
        cells = max(1, round(nominal_volts / 2))
        return cls(capacity_ah=capacity_ah, nominal_volts=nominal_volts, load_watts=load_watts,
                   float_volts=float_volts if float_volts is not None else cells * FLOAT_VOLTS_PER_CELL)

    @property
    def load_drain_per_minute(self) -> float:
        """The drain the load alone causes, charge ratio per minute."""
        return self.load_watts / (self.capacity_ah * self.nominal_volts * 60)

    def drain(self, drain_per_minute: float | None) -> float:
        return self.load_drain_per_minute if drain_per_minute is None else drain_per_minute

    def charge_after(self, charge: float, seconds: float, *, ac_present: bool,
                     drain_per_minute: float | None) -> float:
        """Charge ``seconds`` later, AC present (recharging) or not (draining) all along."""
        rate = RECHARGE_PER_MINUTE if ac_present else -self.drain(drain_per_minute)
        return min(1.0, max(0.0, charge + rate * seconds / 60))

    def volts(self, charge: float, *, ac_present: bool) -> float:
        per_cell = FLOAT_VOLTS_PER_CELL if ac_present else volts_per_cell(charge)
        return self.float_volts * per_cell / FLOAT_VOLTS_PER_CELL

    def amperes(self, charge: float, *, ac_present: bool) -> float:
        """Battery current, negative while discharging: the site's load at the string's voltage."""
        if ac_present:
            return 0.1 * self.capacity_ah if charge < 1.0 else 0.0
        if charge <= 0.0:
            return 0.0
        return -self.load_watts / self.volts(charge, ac_present=False)

    def runtime_seconds(self, charge: float) -> float:
        """What the device reports as runtime left: the charge at its present load."""
        drain = self.load_drain_per_minute
        return charge / drain * 60 if drain > 0 else 0.0

    @staticmethod
    def status(charge: float) -> BatteryStatus:
        if charge <= 0.0:
            return BatteryStatus.DEPLETED
        return BatteryStatus.LOW if charge < LOW_CHARGE else BatteryStatus.NORMAL
