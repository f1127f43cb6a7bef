"""Sites that go dark before the utility restores supply, the first to go dark first."""

from __future__ import annotations

from sitewatch.config.schema import Utility
from sitewatch.utilities.forecast import EtaSource, going_dark
from sitewatch.utilities.model import SiteState
from tests.utilities.fleet import MIN, NIGHT, site

PC = Utility.model_validate({"name": "PC Gia Lai", "kind": "power", "typical_restoration": "4h"})


def on_battery(site_id: str, lost_min: float, depletion_min: float | None) -> SiteState:
    return SiteState(site_id=site_id, mains_lost_since=NIGHT + lost_min * MIN,
                     depletion_at=None if depletion_min is None else NIGHT + depletion_min * MIN)


def test_depletion_against_the_utilitys_eta_or_its_typical_restoration() -> None:
    now = NIGHT + 30 * MIN
    fleet = [
        (site("GL-BTS-0101"), on_battery("GL-BTS-0101", 0, 150)),  # typical: back at +240 → 90 min dark
        (site("GL-BTS-0102"), on_battery("GL-BTS-0102", 0, 300)),  # lasts past +240: not dark
        (site("GL-BTS-0103"), on_battery("GL-BTS-0103", 0, 100)),  # the utility says +120 → 20 min dark
        (site("GL-BTS-0104"), on_battery("GL-BTS-0104", 0, 200)),  # the utility says +180: lasts
        (site("GL-BTS-0105"), on_battery("GL-BTS-0105", 0, None)),  # no prediction: not forecast
        (site("GL-BTS-0106"), SiteState(site_id="GL-BTS-0106", depletion_at=NIGHT)),  # mains present
        (site("GL-BTS-0107"), on_battery("GL-BTS-0107", 20, 120)),  # lost later: back at +260 → 140 min
    ]
    etas = {"GL-BTS-0103": NIGHT + 120 * MIN, "GL-BTS-0104": NIGHT + 180 * MIN}

    dark = going_dark(fleet, {"pc-gialai": PC}, etas, now)

    assert [(d.site_id, (d.depletion_at - NIGHT) / MIN, d.dark_seconds / MIN, d.eta_source) for d in dark] == [
        ("GL-BTS-0103", 100, 20, EtaSource.UTILITY),
        ("GL-BTS-0107", 120, 140, EtaSource.TYPICAL),
        ("GL-BTS-0101", 150, 90, EtaSource.TYPICAL),
    ]


def test_an_overdue_restoration_is_still_ahead() -> None:
    now = NIGHT + 300 * MIN  # the typical 4 h are past and mains is still lost
    (dark,) = going_dark([(site("GL-BTS-0101"), on_battery("GL-BTS-0101", 0, 280))], {"pc-gialai": PC}, {}, now)
    assert dark.restoration_at == now and dark.dark_seconds == 20 * MIN
    assert going_dark([(site("GL-BTS-0101"), on_battery("GL-BTS-0101", 0, 320))], {"pc-gialai": PC}, {}, now) == ()
