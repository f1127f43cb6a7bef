"""Prometheus exposition of the fleet snapshot, plus sitewatch's own metrics.

Site metrics are rendered from the immutable ``FleetState`` snapshot at scrape time (a custom
collector in effect: nothing is registered per site, so a removed site leaves no stale series).
Building prometheus-client families for 10,000 sites costs ~1.3 CPU-s per scrape here
(docs/snmp-measurements.md), so each site's lines are rendered once per snapshot version and cached
per family; a scrape joins cached bytes. Rarely changing metadata (name, coordinates, parent)
lives in one info metric, ``sitewatch_site_info``.

sitewatch's own metrics (``sitewatch.metrics.self_metrics``), given as ``own``, are appended after
the site families.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest

from sitewatch.config.schema import Site
from sitewatch.core.model import CANONICAL, Canonical, ReadingKind
from sitewatch.polling.fleet_snapshot import FleetState, SiteStatus
from sitewatch.snmp.coverage import POWER_READINGS

__all__ = ["CONTENT_TYPE", "Exposition", "site_label_pairs"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: label name carrying the state of STATE readings (one series per state, value 0/1)
_STATE_LABEL = {"battery_status": "status", "output_source": "source"}


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    return ",".join(f'{k}="{_escape(v)}"' for k, v in pairs)


def _num(v: float) -> str:
    if v != v:
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def site_label_pairs(site: Site) -> tuple[tuple[str, str], ...]:
    """The labels every per-site series carries."""
    return (("site", site.id), ("kind", site.kind.value), ("province", site.province),
            ("district", site.district), ("criticality", site.criticality.value))


@dataclass(frozen=True, slots=True)
class _Family:
    name: str
    help: str
    type: str = "gauge"

    def header(self) -> bytes:
        return f"# HELP {self.name} {self.help}\n# TYPE {self.name} {self.type}\n".encode()


_SITE_UP = _Family("sitewatch_site_up", "1 when the last poll of the site succeeded")
_LAST_SUCCESS = _Family("sitewatch_site_last_poll_success_timestamp_seconds",
                        "Unix time of the start of the last successful poll")
_FAILURES = _Family("sitewatch_site_consecutive_poll_failures", "Failed polls in a row")
_POLL_ERROR = _Family("sitewatch_site_poll_error", "1 for the reason of the site's last failed poll")
_INFO = _Family("sitewatch_site_info", "Site metadata: name, coordinates, parent, team (value is always 1)")
_POWER_VISIBILITY = _Family(
    "sitewatch_site_power_visibility",
    "1 when the site's profiles read its power (mains_ok, on_battery or a battery value), 0 when its power is "
    "not watched; only sites with power equipment")
_LINK_INFO = _Family("sitewatch_link_info", "Interface metadata: if_index, alias, type (value is always 1)")

_READING_FAMILIES: dict[str, _Family] = {
    c.name: _Family(f"sitewatch_{c.name}", c.help) for c in CANONICAL.values()
}

#: families in exposition order
_FAMILIES: tuple[_Family, ...] = (_SITE_UP, _LAST_SUCCESS, _FAILURES, _POLL_ERROR, _POWER_VISIBILITY, _INFO, _LINK_INFO,
                                  *_READING_FAMILIES.values())


class _SiteLines:
    """A site's rendered lines per family, for one snapshot version."""

    __slots__ = ("always", "readings", "version")

    def __init__(self, version: int, always: dict[str, bytes], readings: dict[str, bytes]) -> None:
        self.version = version
        self.always = always  # exported whatever the readings' age
        self.readings = readings  # exported only while fresh


class Exposition:
    """Renders ``/metrics`` for the fleet from the snapshot."""

    def __init__(self, *, state: FleetState, sites: Sequence[Site], staleness: float,
                 now: Callable[[], float], own: CollectorRegistry | None = None) -> None:
        self._state = state
        #: readings older than this are not exported as current (a reload may change it)
        self.staleness = staleness
        self._now = now
        self._own = own
        self._cache: dict[str, _SiteLines] = {}
        self._prefix: dict[str, str] = {}
        self._info: dict[str, bytes] = {}
        self._power: frozenset[str] = frozenset()
        self.set_sites(sites)

    def set_sites(self, sites: Sequence[Site], power_watched: Collection[str] = ()) -> None:
        """Follow a configuration change: labels and info are rebuilt, caches dropped.
        ``power_watched``: the ids of sites with power equipment (``Config.power_watched``)."""
        self._prefix = {s.id: _labels(site_label_pairs(s)) for s in sites}
        self._power = frozenset(power_watched)
        self._info = {}
        for s in sites:
            pairs = [*site_label_pairs(s), ("name", s.name), ("commune", s.commune),
                     ("parent", s.parent or ""), ("team", s.team or ""),
                     ("level", s.level.value if s.level else "")]
            if s.latitude is not None and s.longitude is not None:
                pairs += [("latitude", f"{s.latitude:.6f}"), ("longitude", f"{s.longitude:.6f}")]
            self._info[s.id] = f"sitewatch_site_info{{{_labels(pairs)}}} 1\n".encode()
        self._cache.clear()

    def _render(self, status: SiteStatus) -> _SiteLines:
        prefix = self._prefix[status.site_id]
        always: dict[str, bytes] = {}
        last = status.last_result
        if last is not None:
            always[_SITE_UP.name] = f"sitewatch_site_up{{{prefix}}} {1 if last.ok else 0}\n".encode()
            always[_FAILURES.name] = (f"sitewatch_site_consecutive_poll_failures{{{prefix}}} "
                                      f"{status.consecutive_failures}\n").encode()
            if last.error is not None:
                always[_POLL_ERROR.name] = (f'sitewatch_site_poll_error{{{prefix},reason="{last.error.value}"}}'
                                            f" 1\n").encode()
        if status.readings_at is not None and status.site_id in self._power:
            seen_power = any(r.name in POWER_READINGS for r in status.readings)
            always[_POWER_VISIBILITY.name] = (f"sitewatch_site_power_visibility{{{prefix}}} "
                                              f"{1 if seen_power else 0}\n").encode()
        if status.readings_at is not None:
            always[_LAST_SUCCESS.name] = (f"sitewatch_site_last_poll_success_timestamp_seconds{{{prefix}}} "
                                          f"{_num(round(status.readings_at, 3))}\n").encode()
        parts: dict[str, list[str]] = {}
        seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        for r in status.readings:
            c: Canonical | None = CANONICAL.get(r.name)
            if c is None or r.value is None or (r.name, r.labels) in seen:
                continue  # unknown readings are absent, never a made-up number
            seen.add((r.name, r.labels))
            metric = _READING_FAMILIES[r.name].name
            extra = "," + _labels(r.labels) if r.labels else ""
            lines = parts.setdefault(metric, [])
            if c.kind is ReadingKind.STATE:
                label = _STATE_LABEL.get(r.name, "state")
                for st in c.states:
                    lines.append(f'{metric}{{{prefix}{extra},{label}="{st}"}} {1 if r.value == st else 0}\n')
            elif isinstance(r.value, float | int):
                lines.append(f"{metric}{{{prefix}{extra}}} {_num(float(r.value))}\n")
            if r.name == "link_up" and r.info:
                info = _labels((*r.labels, *r.info))
                parts.setdefault(_LINK_INFO.name, []).append(f"sitewatch_link_info{{{prefix},{info}}} 1\n")
        readings = {k: "".join(v).encode() for k, v in parts.items()}
        return _SiteLines(status.version, always, readings)

    def render(self) -> bytes:
        """The whole exposition, text format 0.0.4."""
        now = self._now()
        per_family: dict[str, list[bytes]] = {f.name: [] for f in _FAMILIES}
        per_family[_INFO.name].extend(self._info.values())
        cache = self._cache
        for sid, status in self._state.snapshot().items():
            if sid not in self._prefix:
                continue
            lines = cache.get(sid)
            if lines is None or lines.version != status.version:
                lines = cache[sid] = self._render(status)
            for name, b in lines.always.items():
                per_family[name].append(b)
            if status.fresh(now, self.staleness):
                for name, b in lines.readings.items():
                    per_family[name].append(b)
        out: list[bytes] = []
        for f in _FAMILIES:
            body = per_family[f.name]
            if body:
                out.append(f.header())
                out.extend(body)
        if self._own is not None:
            out.append(generate_latest(self._own))
        return b"".join(out)
