"""The site tree (``Site.parent``): who is upstream of whom, for dependency suppression.

A site's parent is the site its traffic passes through (a BTS's aggregation station, that
station's provincial station...). When an ancestor is down, its descendants' reachability
incidents are explained by it. The configuration rejects parent cycles; this still walks
defensively so that a bad tree can never hang the daemon.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sitewatch.config.schema import Site

__all__ = ["SiteTree"]


class SiteTree:
    """Parents and children of the configured sites (immutable; build a new one on reload)."""

    def __init__(self, sites: Mapping[str, Site] | Iterable[Site]) -> None:
        items = sites.values() if isinstance(sites, Mapping) else sites
        self._sites: dict[str, Site] = {s.id: s for s in items}
        self._children: dict[str, list[str]] = {}
        for s in self._sites.values():
            if s.parent is not None:
                self._children.setdefault(s.parent, []).append(s.id)

    def site(self, site_id: str) -> Site | None:
        return self._sites.get(site_id)

    def sites(self) -> Iterable[Site]:
        return self._sites.values()

    def ancestors(self, site_id: str) -> tuple[str, ...]:
        """Parent first, then its parent, up to the root."""
        out: list[str] = []
        seen = {site_id}
        site = self._sites.get(site_id)
        while site is not None and site.parent is not None and site.parent not in seen:
            out.append(site.parent)
            seen.add(site.parent)
            site = self._sites.get(site.parent)
        return tuple(out)

    def descendants(self, site_id: str) -> frozenset[str]:
        """Every site below ``site_id`` (children, their children, ...)."""
        out: set[str] = set()
        stack = list(self._children.get(site_id, ()))
        while stack:
            child = stack.pop()
            if child not in out and child != site_id:
                out.add(child)
                stack.extend(self._children.get(child, ()))
        return frozenset(out)
