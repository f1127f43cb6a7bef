"""What can be changed on a simulated site, and the clock the simulation runs on.

``SiteState`` is immutable: every change (mains, generator, link, agent, battery, and the faults
a test or a demo injects: UPS alarms, bypass, input voltage and frequency, room temperature,
door and smoke contacts) and every
tick of the clock produces a new one through ``settle`` first, so the battery is integrated
exactly over each interval in which nothing changed, whatever the tick rate.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

from sitewatch.simulator.battery import LOW_CHARGE, BatterySpec
from sitewatch.simulator.mibs import UPS_ALARMS

__all__ = ["ALARMS", "Alarm", "SimClock", "SiteState", "settle"]

#: The alarms a simulated UPS raises by itself, in the order they get ids when raised together
#: (cause before effect), then the other well-known alarms, raised only by hand.
ALARMS = ("input_bad", "on_battery", "low_battery", "depleted_battery", "ups_output_off", "on_bypass")
_ORDER = ALARMS + tuple(a for a in UPS_ALARMS if a not in ALARMS)


class SimClock:
    """Simulated unix time: real time times ``speed``, plus whatever ``advance`` added.

    ``time()``/``monotonic()`` have the shape of ``sitewatch.core.clock.Clock``.
    """

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.speed = speed
        self._wall0 = time.time()
        self._mono0 = time.monotonic()
        self._offset = 0.0

    def time(self) -> float:
        return self._wall0 + (time.monotonic() - self._mono0) * self.speed + self._offset

    def monotonic(self) -> float:
        return self.time() - self._wall0

    def advance(self, seconds: float) -> None:
        """Jump ``seconds`` ahead (tests, or skipping a long outage in a demo)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds


@dataclass(frozen=True, slots=True, kw_only=True)
class Alarm:
    """An active alarm: ``id`` numbers alarms in the order they were raised (as upsAlarmId)."""

    name: str
    id: int
    raised_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteState:
    """One simulated site at simulated time ``at``."""

    site_id: str
    at: float
    mains_ok: bool = True
    generator_running: bool = False
    answering: bool = True
    #: names of interfaces that are operationally down
    links_down: frozenset[str] = frozenset()
    #: charge ratio per minute while on battery; None = what the load draws
    drain_per_minute: float | None = None
    charge: float = 1.0
    #: when the load went onto the battery (None while AC is present)
    on_battery_since: float | None = None
    #: mains failures so far (UPS-MIB ``upsInputLineBads`` counts them)
    mains_failures: int = 0
    alarms: tuple[Alarm, ...] = ()
    next_alarm_id: int = 1
    #: UPS-MIB well-known alarms raised by hand (``UPS_ALARMS`` names), beside those the power
    #: state raises by itself
    injected_alarms: frozenset[str] = frozenset()
    #: the UPS feeds its output through the bypass (while AC is present)
    bypass: bool = False
    #: input volts per phase set by hand (phase → volts, while AC is present); others nominal
    phase_volts: tuple[tuple[int, float], ...] = ()
    #: input frequency set by hand, Hz (None: nominal)
    input_hz: float | None = None
    #: room (ambient) temperature set by hand, °C (None: as the device shows it)
    room_celsius: float | None = None
    door_open: bool = False
    smoke: bool = False

    @property
    def ac_present(self) -> bool:
        """AC reaches the rectifiers/UPS input: from mains, or from the generator."""
        return self.mains_ok or self.generator_running

    @property
    def on_battery(self) -> bool:
        return not self.ac_present and self.charge > 0.0

    def seconds_on_battery(self) -> float:
        return self.at - self.on_battery_since if self.on_battery_since is not None else 0.0

    @property
    def on_bypass(self) -> bool:
        return self.bypass and self.ac_present

    def active_alarms(self) -> tuple[str, ...]:
        """Names (from ``UPS_ALARMS``, in ``ALARMS`` order first) of the alarms present now."""
        present = {
            "input_bad": not self.ac_present,
            "on_battery": self.on_battery,
            "low_battery": self.charge < LOW_CHARGE,
            "depleted_battery": self.charge <= 0.0,
            "ups_output_off": not self.ac_present and self.charge <= 0.0,
            "on_bypass": self.on_bypass,
        }
        return tuple(name for name in _ORDER if present.get(name) or name in self.injected_alarms)

    def change(self, battery: BatterySpec, now: float, **fields: Any) -> SiteState:
        """Settle to ``now``, then apply ``fields`` (mains_ok, generator_running, ...)."""
        before = settle(self, battery, now)
        after = dataclasses.replace(before, **fields)
        failures = after.mains_failures + (1 if before.mains_ok and not after.mains_ok else 0)
        since: float | None = before.on_battery_since if before.on_battery_since is not None else now
        if after.ac_present:
            since = None
        return _with_alarms(dataclasses.replace(after, mains_failures=failures, on_battery_since=since))


def _with_alarms(state: SiteState) -> SiteState:
    active = state.active_alarms()
    kept = tuple(a for a in state.alarms if a.name in active)
    have = {a.name for a in kept}
    new = tuple(Alarm(name=name, id=state.next_alarm_id + i, raised_at=state.at)
                for i, name in enumerate(n for n in active if n not in have))
    if not new and len(kept) == len(state.alarms):
        return state
    return dataclasses.replace(state, alarms=kept + new, next_alarm_id=state.next_alarm_id + len(new))


def settle(state: SiteState, battery: BatterySpec, now: float) -> SiteState:
    """The state at ``now``: the battery drained (or recharged) over the time since ``at``,
    alarms raised and cleared accordingly."""
    if now <= state.at:
        return state
    charge = battery.charge_after(state.charge, now - state.at, ac_present=state.ac_present,
                                  drain_per_minute=state.drain_per_minute)
    return _with_alarms(dataclasses.replace(state, at=now, charge=charge))
