"""Which sites go dark before the utility restores supply: the forecast no one else has.

For every site on battery, its predicted depletion against the restoration time: the
utility's own estimate (its answer to the request) when there is one, else the mains loss
plus the utility's ``typical_restoration`` (never earlier than now: an overdue restoration
is still ahead). A site whose battery runs out first is dark from depletion to restoration.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sitewatch.config.schema import Site, Utility
from sitewatch.utilities.model import SiteState

__all__ = ["EtaSource", "GoingDark", "going_dark"]


class EtaSource(enum.Enum):
    UTILITY = "utility"  #: the utility's estimated restoration time
    TYPICAL = "typical"  #: the utility's typical restoration time (no answer yet)


@dataclass(frozen=True, slots=True, kw_only=True)
class GoingDark:
    site_id: str
    depletion_at: float
    restoration_at: float
    eta_source: EtaSource

    @property
    def dark_seconds(self) -> float:
        """How long the site is dark: from depletion to restoration."""
        return self.restoration_at - self.depletion_at


def going_dark(
    sites: Iterable[tuple[Site, SiteState]],
    utilities: Mapping[str, Utility],
    etas: Mapping[str, float],
    now: float,
) -> tuple[GoingDark, ...]:
    """Sites on battery (mains lost, depletion predicted) that deplete before restoration,
    the first to go dark first. ``etas`` holds the utility's estimate by site id."""
    dark: list[GoingDark] = []
    for site, state in sites:
        if state.mains_lost_since is None or state.depletion_at is None or site.power is None:
            continue
        eta = etas.get(site.id)
        if eta is not None:
            restoration, source = eta, EtaSource.UTILITY
        else:
            utility = utilities.get(site.power.utility)
            if utility is None:
                continue
            restoration = max(state.mains_lost_since + utility.typical_restoration, now)
            source = EtaSource.TYPICAL
        if state.depletion_at < restoration:
            dark.append(GoingDark(site_id=site.id, depletion_at=state.depletion_at,
                                  restoration_at=restoration, eta_source=source))
    return tuple(sorted(dark, key=lambda d: (d.depletion_at, d.site_id)))
