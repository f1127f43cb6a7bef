"""Sites that one dispatcher restores together become one request.

Sites served by the same utility contact on the same feeder (else transformer, else district)
whose requests fall due within the window of the first become one request. A site that falls
due later joins the open request of its group as an update; a site whose mains returns leaves
it (partial restoration) and the request closes when none is left. Inside a request, sites go
by urgency: the earliest predicted depletion first, then criticality, then subscribers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from sitewatch.config.schema import Criticality, Site
from sitewatch.utilities.model import RequestDue, SiteState, Supply

__all__ = ["GroupKey", "OpenRequest", "PendingSite", "RequestDraft", "group_due", "join", "leave", "urgency"]

_RANK = {Criticality.CRITICAL: 0, Criticality.HIGH: 1, Criticality.NORMAL: 2}


@dataclass(frozen=True, slots=True, order=True)
class GroupKey:
    """What one request covers: a utility's contact and one line of supply."""

    utility: str
    contact: str
    supply: Supply
    by: str  #: ``feeder``, ``transformer`` or ``district``
    value: str

    @classmethod
    def of(cls, utility: str, contact: str, site: Site, supply: Supply) -> GroupKey:
        power = site.power if supply is Supply.POWER else None
        if power is not None and power.feeder:
            return cls(utility, contact, supply, "feeder", power.feeder)
        if power is not None and power.transformer:
            return cls(utility, contact, supply, "transformer", power.transformer)
        return cls(utility, contact, supply, "district", site.district or site.province)


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingSite:
    """A site whose request is due, with the contact that takes it."""

    site: Site
    state: SiteState
    due: RequestDue
    key: GroupKey


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestDraft:
    """A new request: its group and its sites by urgency."""

    key: GroupKey
    sites: tuple[PendingSite, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenRequest:
    """A request sent and not yet closed: the sites still waiting and those restored."""

    reference: str
    key: GroupKey
    opened_at: float
    sites: tuple[str, ...]
    restored: tuple[str, ...] = ()


def urgency(p: PendingSite) -> tuple[float, int, int, str]:
    """Sort key: predicted depletion (soonest first, unknown last), criticality, subscribers."""
    depletion = p.state.depletion_at if p.state.depletion_at is not None else math.inf
    return (depletion, _RANK[p.site.criticality], -(p.site.subscribers or 0), p.site.id)


def group_due(pending: Iterable[PendingSite], window: float) -> tuple[RequestDraft, ...]:
    """New requests for sites due and in no open request: per group, the sites falling due
    within ``window`` of the first are one request; drafts ordered by their most urgent site."""
    by_key: dict[GroupKey, list[PendingSite]] = {}
    for p in pending:
        by_key.setdefault(p.key, []).append(p)
    drafts: list[RequestDraft] = []
    for key, sites in by_key.items():
        sites.sort(key=lambda p: p.due.at)
        batch: list[PendingSite] = []
        for p in sites:
            if batch and p.due.at - batch[0].due.at > window:
                drafts.append(RequestDraft(key=key, sites=tuple(sorted(batch, key=urgency))))
                batch = []
            batch.append(p)
        drafts.append(RequestDraft(key=key, sites=tuple(sorted(batch, key=urgency))))
    return tuple(sorted(drafts, key=lambda d: urgency(d.sites[0])))


def join(open_requests: Sequence[OpenRequest], p: PendingSite) -> OpenRequest | None:
    """The open request of the site's group that it joins as an update (the newest, if
    several), with the site added; None when there is none: the site starts a new request."""
    same = [r for r in open_requests if r.key == p.key and p.site.id not in r.sites]
    if not same:
        return None
    newest = max(same, key=lambda r: r.opened_at)
    return replace(newest, sites=(*newest.sites, p.site.id),
                   restored=tuple(s for s in newest.restored if s != p.site.id))


def leave(request: OpenRequest, site_id: str) -> OpenRequest:
    """The request after ``site_id``'s supply returned: it moves to ``restored``. The request is
    over when ``sites`` is empty."""
    if site_id not in request.sites:
        return request
    return replace(request, sites=tuple(s for s in request.sites if s != site_id),
                   restored=(*request.restored, site_id))
