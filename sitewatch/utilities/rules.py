"""When a site's request to its utility falls due.

Power: mains lost for the delay of the site's criticality (its kind's rules first); at once
when the battery is predicted to run out within ``depletion_within``; at once when the
generator failed; no longer than ``without_generator_after`` when the site has none. The
earliest of these wins. While mains is present nothing is due: mains returning within the
delay sends nothing. Water: only for sites with ``water.needed``, after a water condition has
lasted ``after``, or at once when an operator asks.
"""

from __future__ import annotations

from sitewatch.config.schema import Criticality, Site
from sitewatch.config.utility_schema import Level, PowerRequestRules, WaterRequestRules
from sitewatch.utilities.model import DueReason, GeneratorState, RequestDue, SiteState, Supply

__all__ = ["power_request_due", "water_request_due"]

_LEVEL: dict[Criticality, Level] = {Criticality.NORMAL: "normal", Criticality.HIGH: "high",
                                    Criticality.CRITICAL: "critical"}


def power_request_due(site: Site, state: SiteState, rules: PowerRequestRules) -> RequestDue | None:
    """When the site's power request is due, and why; None while mains is present or when
    requests are off for its kind."""
    since = state.mains_lost_since
    if since is None or site.power is None:
        return None
    kind = rules.by_kind.get(site.kind.value)
    if kind is not None and not kind.request:
        return None
    level = _LEVEL[site.criticality]
    delay = kind.mains_lost_after.get(level) if kind is not None else None
    if delay is None:
        delay = rules.mains_lost_after[level]
    within = kind.depletion_within if kind is not None and kind.depletion_within is not None else rules.depletion_within
    candidates = [(since + delay, 2, DueReason.MAINS_LOST)]
    if state.generator is GeneratorState.ABSENT and rules.without_generator_after < delay:
        candidates.append((since + rules.without_generator_after, 1, DueReason.NO_GENERATOR))
    if state.generator is GeneratorState.FAILED and rules.generator_failed:
        candidates.append((since, 0, DueReason.GENERATOR_FAILED))
    if state.depletion_at is not None:
        candidates.append((max(since, state.depletion_at - within), 0, DueReason.DEPLETION_SOON))
    at, _, reason = min(candidates, key=lambda c: (c[0], c[1]))
    return RequestDue(site_id=site.id, supply=Supply.POWER, at=at, reason=reason)


def water_request_due(
    site: Site,
    rules: WaterRequestRules,
    *,
    condition_since: float | None = None,
    operator_asked_at: float | None = None,
) -> RequestDue | None:
    """When the site's water request is due: an operator's request at once, a water condition
    after ``rules.after``; None for sites without ``water.needed`` or with neither."""
    if site.water is None or not site.water.needed:
        return None
    candidates: list[tuple[float, DueReason]] = []
    if operator_asked_at is not None:
        candidates.append((operator_asked_at, DueReason.OPERATOR))
    if condition_since is not None:
        candidates.append((condition_since + rules.after, DueReason.WATER_CONDITION))
    if not candidates:
        return None
    at, reason = min(candidates, key=lambda c: c[0])
    return RequestDue(site_id=site.id, supply=Supply.WATER, at=at, reason=reason)
