"""Small summaries shared by the full message and the SMS: counts, the group's place, who
acknowledged, how long a resolved outage lasted."""

from __future__ import annotations

from collections.abc import Sequence

from sitewatch.core.incident import Incident, IncidentState
from sitewatch.messages.context import MessageContext, SiteEntry
from sitewatch.messages.vocabulary import Vocabulary

__all__ = ["acknowledgers", "condition_counts", "group_text", "resolved_span", "sites_text", "span"]


def sites_text(n: int, v: Vocabulary) -> str:
    """``12 trạm`` / ``12 sites`` (``1 site``)."""
    return v.phrase("one_site") if n == 1 else v.phrase("sites", n=n)


def group_text(ctx: MessageContext, entries: Sequence[SiteEntry], v: Vocabulary) -> str:
    """The group's place: as given, else the district and province the sites share."""
    if ctx.group:
        return ctx.group
    districts = {(e.site.district, e.site.province) for e in entries}
    if len(districts) == 1 and next(iter(districts))[0]:
        return ", ".join(next(iter(districts)))
    provinces = {e.site.province for e in entries}
    return next(iter(provinces)) if len(provinces) == 1 else v.phrase("several_areas")


def acknowledgers(entries: Sequence[SiteEntry]) -> list[str]:
    """Who acknowledged these incidents, in the order they did."""
    acked = sorted((i.acknowledged_at, i.acknowledged_by) for e in entries for i in e.incidents
                   if i.acknowledged_by and i.acknowledged_at is not None)
    return list(dict.fromkeys(who for _, who in acked))


def span(incidents: Sequence[Incident], now: float) -> tuple[float, float]:
    """From the first incident's start to the last resolution (now, if one is still open): the one
    definition of how long an outage lasted, for a site's header and each incident's line alike."""
    open_ = any(i.state is not IncidentState.RESOLVED for i in incidents)
    ends = [i.resolved_at for i in incidents if i.resolved_at is not None]
    return min(i.opened_at for i in incidents), now if open_ or not ends else max(ends)


def resolved_span(entry: SiteEntry, now: float) -> tuple[float, float]:
    """``span`` of the site's incidents."""
    return span(entry.incidents, now)


def condition_counts(entries: Sequence[SiteEntry], v: Vocabulary) -> str:
    """``mất điện lưới (10), mất kết nối truyền dẫn (2)``: sites per condition, most sites first."""
    counts: dict[str, int] = {}
    for e in entries:
        for text in dict.fromkeys(v.conditions[i.condition] for i in e.incidents):
            counts[text] = counts.get(text, 0) + 1
    return ", ".join(f"{text} ({n})" for text, n in sorted(counts.items(), key=lambda kv: -kv[1]))
