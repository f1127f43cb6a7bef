"""What a canonical reading can plausibly be, in base units: a value outside is a wrong scale,
a wrong OID or a sentinel the profile does not know (``sitewatch profile test`` fails on it).

The ranges are wide on purpose (a 400 V DC UPS string, a -48 V plant, a year on battery): they
catch 10x and 100x scale mistakes and raw sentinels, not unusual sites."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from sitewatch.core.model import CANONICAL, Reading, ReadingKind

__all__ = ["PLAUSIBLE", "implausible"]

PLAUSIBLE: Final[Mapping[str, tuple[float, float]]] = {
    "seconds_on_battery": (0, 366 * 86400),
    "battery_runtime_seconds": (0, 30 * 86400),
    "battery_charge_ratio": (0, 1),
    "battery_voltage_volts": (0, 1000),
    "battery_current_amperes": (-5000, 5000),
    "battery_temperature_celsius": (-40, 100),
    "input_voltage_volts": (0, 500),
    "input_frequency_hertz": (0, 100),
    "ambient_temperature_celsius": (-40, 100),
    "fuel_level_ratio": (0, 1),
    "alarms_present": (0, 10000),
    "uptime_seconds": (0, 2**32 / 100),  # TimeTicks wrap at 2^32 hundredths
}


def implausible(r: Reading) -> str | None:
    """Why ``r``'s value cannot be right, or None (unknown values are not judged here)."""
    c = CANONICAL.get(r.name)
    if c is None:
        return f"{r.name} is not a canonical reading"
    v = r.value
    if v is None:
        return None
    if c.kind is ReadingKind.STATE:
        return None if v in c.states else f"{v!r} is not a state of {r.name}"
    if not isinstance(v, int | float):
        return f"{v!r} is not a number"
    if c.kind is ReadingKind.BOOL:
        return None if v in (0, 1) else f"{v:g} is not 0 or 1"
    low, high = PLAUSIBLE.get(r.name, (float("-inf"), float("inf")))
    return None if low <= v <= high else f"{v:g} is outside {low:g}..{high:g}"
