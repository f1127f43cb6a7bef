"""The site tree (``Site.parent``): who is upstream of whom, for dependency suppression.

A site's parent is the site its traffic passes through (a BTS's aggregation station, that
station's provincial station...). When an ancestor is down, its descendants' reachability
incidents are explained by it. The configuration rejects parent loops; should one get through,
the sites on it are treated as having no parent, so that two sites can never suppress each
other and no walk can hang the daemon.
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
        parent = {s.id: s.parent for s in self._sites.values() if s.parent is not None}
        # a site on a parent loop gets no parent, so two sites can never explain each other
        self._parent = {child: p for child, p in parent.items() if not _on_loop(child, parent)}
        self._children: dict[str, list[str]] = {}
        for child, p in self._parent.items():
            self._children.setdefault(p, []).append(child)

    def site(self, site_id: str) -> Site | None:
        return self._sites.get(site_id)

    def sites(self) -> Iterable[Site]:
        return self._sites.values()

    def ancestors(self, site_id: str) -> tuple[str, ...]:
        """Parent first, then its parent, up to the root."""
        out: list[str] = []
        node = self._parent.get(site_id)
        while node is not None:
            out.append(node)
            node = self._parent.get(node)
        return tuple(out)

    def descendants(self, site_id: str) -> frozenset[str]:
        """Every site below ``site_id`` (children, their children, ...)."""
        out: set[str] = set()
        stack = list(self._children.get(site_id, ()))
        while stack:
            child = stack.pop()
            if child not in out:
                out.add(child)
                stack.extend(self._children.get(child, ()))
        return frozenset(out)


def _on_loop(site_id: str, parent: Mapping[str, str]) -> bool:
    seen: set[str] = set()
    node: str | None = site_id
    while node is not None and node not in seen:
        seen.add(node)
        node = parent.get(node)
    return node == site_id
