"""What evaluation needs to know about a site, resolved once from the configuration.

Evaluation runs after every poll of every site; ``SiteContext`` is built once per site (and again
on a config reload) so that the hot path does no pydantic work and no threshold merging.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sitewatch.config.incident_schema import Thresholds
from sitewatch.config.schema import Config, Criticality, Site, SiteKind
from sitewatch.core.conditions import Condition, Severity, severity_for
from sitewatch.evaluation.battery import BatteryParams
from sitewatch.evaluation.machine import Timing

__all__ = ["SiteContext", "site_context"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteContext:
    """A site as evaluation sees it."""

    id: str
    kind: SiteKind = SiteKind.BTS
    criticality: Criticality = Criticality.NORMAL
    #: interfaces carrying the uplink; empty = every administratively up interface
    uplinks: tuple[str, ...] = ()
    has_generator: bool = False
    battery: BatteryParams = field(default_factory=BatteryParams)
    #: cells in the battery string from the nominal voltage (nominal / 2), None if not configured
    cells: int | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    #: an open battery incident gets UPDATED when its predicted depletion moves by this fraction
    runtime_change_fraction: float = 0.2
    #: (hold, clear hold, flap window, flap threshold) per condition, from ``thresholds``
    timings: Mapping[Condition, Timing] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        t = self.thresholds
        object.__setattr__(self, "timings", {
            c: (t.hold_for(c.value), t.clear_hold_for(c.value), t.flap_window, t.flap_threshold) for c in Condition})

    def severity(self, condition: Condition) -> Severity:
        return severity_for(condition, self.criticality)


def site_context(config: Config, site: Site) -> SiteContext:
    """The evaluation context of ``site`` under ``config`` (effective thresholds, battery spec)."""
    t = config.thresholds_for(site)
    b = site.backup
    return SiteContext(
        id=site.id,
        kind=site.kind,
        criticality=site.criticality,
        uplinks=site.uplinks,
        has_generator=b.generator,
        battery=BatteryParams(capacity_ah=b.battery_capacity_ah, nominal_volts=b.nominal_voltage,
                              typical_load_watts=b.typical_load_watts),
        cells=max(1, round(b.nominal_voltage / 2)) if b.nominal_voltage is not None else None,
        thresholds=t,
        runtime_change_fraction=config.incidents.runtime_change_fraction,
    )
