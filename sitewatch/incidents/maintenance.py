"""Maintenance windows: planned work during which new incidents are recorded and marked, not paged.

A window covers one site, every site of a district, or every site of a province, from ``starts_at``
to ``ends_at`` (unix seconds). Windows come from configuration (``source=config``, replaced as a
set at start and reload) or from the API (``source=api``, with the author and reason required).
Deleting a window is a soft delete (``deleted_at``) because incidents keep pointing at it; a
config window deleted through the API (works finished early) is not re-created from the same
config at the next reload or start.

Rules (see ``IncidentLifecycle``):

- an incident that *opens* while a window covers its site is marked with the window and does not
  page; an incident already open when a window begins keeps paging (the work did not cause it);
- when the window ends or is deleted while the incident is still open, the incident moves to
  another active window covering its site if there is one (back-to-back windows), otherwise it
  is released and starts paging, as Alertmanager does when a silence expires.

District names are matched as written in the site configuration (``Site.district``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime

from sitewatch.config.incident_schema import MaintenanceSpec
from sitewatch.config.schema import Site
from sitewatch.incidents.errors import InvalidMaintenance

__all__ = [
    "MaintenanceScope",
    "MaintenanceSource",
    "MaintenanceWindow",
    "WindowSpec",
    "covering_window",
    "spec_from_config",
    "window_spec",
]


class MaintenanceScope(enum.Enum):
    SITE = "site"  #: one site, by id
    DISTRICT = "district"  #: every site whose ``district`` is the target
    PROVINCE = "province"  #: every site whose ``province`` is the target


class MaintenanceSource(enum.Enum):
    CONFIG = "config"  #: from the configuration file; replaced as a set on reload
    API = "api"  #: created by a person through the HTTP API


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowSpec:
    """A window to create: everything but the id and the bookkeeping times."""

    scope: MaintenanceScope
    target: str
    starts_at: float
    ends_at: float
    reason: str
    author: str
    source: MaintenanceSource

    def covers(self, site: Site) -> bool:
        return _covers(self.scope, self.target, site)


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintenanceWindow(WindowSpec):
    """A stored window."""

    id: int
    created_at: float
    deleted_at: float | None = None
    deleted_by: str | None = None

    @property
    def spec(self) -> WindowSpec:
        """What was asked for, without the bookkeeping (config windows are matched by it)."""
        return WindowSpec(**{f.name: getattr(self, f.name) for f in fields(WindowSpec)})

    def active(self, at: float) -> bool:
        """In force at ``at``: started, not ended, not deleted."""
        return self.starts_at <= at < self.ends_at and (self.deleted_at is None or at < self.deleted_at)

    def describe(self) -> str:
        """``maintenance window #3 (district Chư Sê, until 2026-11-22T15:00Z): reason — author``."""
        return (f"maintenance window #{self.id} ({self.scope.value} {self.target}, until {_utc(self.ends_at)}): "
                f"{self.reason} — {self.author}")


def window_spec(*, scope: MaintenanceScope | str, target: str, starts_at: float, ends_at: float, reason: str,
                author: str, source: MaintenanceSource = MaintenanceSource.API) -> WindowSpec:
    """A validated ``WindowSpec``; raises ``InvalidMaintenance`` saying what is wrong."""
    try:
        scope = MaintenanceScope(scope)
    except ValueError:
        raise InvalidMaintenance(f"scope must be one of site, district, province (got {scope!r})") from None
    problems = [f"{name} is required" for name, value in (("target", target), ("reason", reason),
                                                          ("author", author)) if not value.strip()]
    if ends_at <= starts_at:
        problems.append(f"end ({_utc(ends_at)}) must be after start ({_utc(starts_at)})")
    if problems:
        raise InvalidMaintenance("; ".join(problems))
    return WindowSpec(scope=scope, target=target.strip(), starts_at=starts_at, ends_at=ends_at,
                      reason=reason.strip(), author=author.strip(), source=source)


def spec_from_config(spec: MaintenanceSpec) -> WindowSpec:
    scope, target = next((s, t) for s, t in ((MaintenanceScope.SITE, spec.site),
                                             (MaintenanceScope.DISTRICT, spec.district),
                                             (MaintenanceScope.PROVINCE, spec.province)) if t is not None)
    return window_spec(scope=scope, target=target, starts_at=spec.start.timestamp(), ends_at=spec.end.timestamp(),
                       reason=spec.reason, author=spec.author, source=MaintenanceSource.CONFIG)


def covering_window(windows: Iterable[MaintenanceWindow], site: Site, at: float) -> MaintenanceWindow | None:
    """The active window covering ``site`` at ``at`` that lasts longest (ties: the lowest id)."""
    best: MaintenanceWindow | None = None
    for w in windows:
        if w.active(at) and w.covers(site) and (best is None or (w.ends_at, -w.id) > (best.ends_at, -best.id)):
            best = w
    return best


def _covers(scope: MaintenanceScope, target: str, site: Site) -> bool:
    match scope:
        case MaintenanceScope.SITE:
            return site.id == target
        case MaintenanceScope.DISTRICT:
            return bool(site.district) and site.district == target
        case MaintenanceScope.PROVINCE:
            return site.province == target


def _utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%MZ")
