"""A site's supply as the request rules see it, and a request that falls due."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["DueReason", "GeneratorState", "RequestDue", "SiteState", "Supply"]


class Supply(enum.Enum):
    POWER = "power"
    WATER = "water"


class GeneratorState(enum.Enum):
    RUNNING = "running"  #: started and carrying the load
    STANDBY = "standby"  #: present, not (yet) running
    FAILED = "failed"  #: should run and does not
    ABSENT = "absent"  #: the site has none


class DueReason(enum.Enum):
    MAINS_LOST = "mains_lost"  #: mains lost for the site's delay
    DEPLETION_SOON = "depletion_soon"  #: the battery runs out soon
    GENERATOR_FAILED = "generator_failed"  #: the generator failed to run
    NO_GENERATOR = "no_generator"  #: no generator: the shorter wait
    WATER_CONDITION = "water_condition"  #: a water condition held long enough
    OPERATOR = "operator"  #: an operator asked (API/CLI)


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteState:
    """What is known of one site's supply at an instant (unix seconds)."""

    site_id: str
    #: mains lost since then; None while mains is present
    mains_lost_since: float | None = None
    #: the battery is predicted to run out then (None: not on battery, or unknown)
    depletion_at: float | None = None
    #: battery charge (%) when known
    battery_percent: float | None = None
    generator: GeneratorState = GeneratorState.ABSENT


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestDue:
    """A site's request falls due ``at`` (perhaps later than now) for ``reason``."""

    site_id: str
    supply: Supply
    at: float
    reason: DueReason

    def is_due(self, now: float) -> bool:
        return self.at <= now
