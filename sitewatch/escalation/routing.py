"""Routing: which escalation policy and grouping an incident gets. Pure.

The first route whose ``match`` fits the incident's site and condition wins (a route with an
empty match fits everything: put it last as the default). An incident that fits no route is
never dropped silently: it falls back to the **last** route and the decision says so
(``matched=False``), so the engine logs and counts it (``sitewatch_route_unmatched_total``).

The group key is the route plus the values of its ``group_by`` fields: incidents with the same
key are paged together as one escalation (a district blackout = one group).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sitewatch.config.oncall_schema import Route, RouteMatch
from sitewatch.config.schema import Site
from sitewatch.core.incident import Incident

__all__ = ["RouteDecision", "incident_attributes", "route_incident"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteDecision:
    index: int  #: position of the route in ``config.routes``
    route: Route
    group_key: str  #: incidents with the same key escalate together
    matched: bool  #: False: no route fitted and the last one was used

    def describe(self) -> str:
        how = "" if self.matched else " (no route matched: fell back to the last route)"
        return f"route #{self.index + 1} → policy {self.route.policy}{how}"


def incident_attributes(incident: Incident, site: Site | None) -> Mapping[str, str]:
    """What routes match on and group by, as plain strings ("" when the site does not say)."""
    return {
        "site": incident.site_id,
        "team": (site.team or "") if site is not None else "",
        "province": site.province if site is not None else "",
        "district": site.district if site is not None else "",
        "kind": site.kind.value if site is not None else "",
        "criticality": site.criticality.value if site is not None else "",
        "condition": incident.condition.value,
    }


def _fits(match: RouteMatch, attrs: Mapping[str, str]) -> bool:
    wanted = {"team": match.team, "province": match.province, "district": match.district, "kind": match.kind,
              "criticality": match.criticality, "condition": match.condition}
    return all(not values or attrs[name] in values for name, values in wanted.items())


def route_incident(routes: Sequence[Route], incident: Incident, site: Site | None) -> RouteDecision | None:
    """The first route fitting ``incident``; the last route (``matched=False``) if none fits;
    None only when no route is configured at all."""
    if not routes:
        return None
    attrs = incident_attributes(incident, site)
    for index, route in enumerate(routes):
        if _fits(route.match, attrs):
            return RouteDecision(index=index, route=route, group_key=_group_key(index, route, attrs), matched=True)
    index = len(routes) - 1
    return RouteDecision(index=index, route=routes[index], group_key=_group_key(index, routes[index], attrs),
                         matched=False)


def _group_key(index: int, route: Route, attrs: Mapping[str, str]) -> str:
    values = ",".join(f"{name}={attrs[name]}" for name in route.group_by)
    return f"route{index + 1}:{route.policy}/{values}"
