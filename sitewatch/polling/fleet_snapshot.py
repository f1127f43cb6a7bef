"""The fleet snapshot: the latest poll result and the last good readings of every site.

The poller writes it (``record``); metrics and the HTTP API only read it. Each site's
``SiteStatus`` is immutable and replaced as a whole, so a reader never sees half an update.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sitewatch.core.model import PollErrorKind, PollResult, Reading

__all__ = ["FleetState", "SiteStatus"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteStatus:
    """What we know of one site now."""

    site_id: str
    #: the latest poll, successful or not; None before the first poll ends
    last_result: PollResult | None = None
    #: readings of the last successful poll, and when that poll started (wall time)
    readings: tuple[Reading, ...] = ()
    readings_at: float | None = None
    consecutive_failures: int = 0
    polls: int = 0
    #: bumped at every change, so readers can cache work per version
    version: int = 0

    @property
    def up(self) -> bool:
        return self.last_result is not None and self.last_result.ok

    @property
    def last_error(self) -> PollErrorKind | None:
        return None if self.last_result is None else self.last_result.error

    def fresh(self, now: float, staleness: float) -> bool:
        """True when the last good readings are recent enough to be shown as current."""
        return self.readings_at is not None and now - self.readings_at <= staleness


Listener = Callable[[SiteStatus, PollResult], None]


class FleetState:
    """Latest status of every configured site."""

    def __init__(self, site_ids: Iterable[str] = ()) -> None:
        self._sites: dict[str, SiteStatus] = {}
        self._listeners: list[Listener] = []
        self.set_sites(site_ids)

    def set_sites(self, site_ids: Iterable[str]) -> None:
        """Keep exactly these sites: new ones start empty, removed ones are forgotten
        (so no stale series survives a config change)."""
        wanted = list(site_ids)
        self._sites = {sid: self._sites.get(sid) or SiteStatus(site_id=sid) for sid in wanted}

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(new_status, result)`` after every recorded poll."""
        self._listeners.append(listener)

    def record(self, result: PollResult) -> SiteStatus | None:
        """Store a poll result; returns the new status (None if the site is no longer configured)."""
        old = self._sites.get(result.site_id)
        if old is None:
            return None
        # built directly (every field named: a new field must be added here too), as
        # ``dataclasses.replace`` reads every field back first, on every poll
        if result.ok:
            new = SiteStatus(site_id=old.site_id, last_result=result, readings=result.readings,
                             readings_at=result.started_at, consecutive_failures=0, polls=old.polls + 1,
                             version=old.version + 1)
        else:
            new = SiteStatus(site_id=old.site_id, last_result=result, readings=old.readings,
                             readings_at=old.readings_at, consecutive_failures=old.consecutive_failures + 1,
                             polls=old.polls + 1, version=old.version + 1)
        self._sites[result.site_id] = new
        for listener in self._listeners:
            listener(new, result)
        return new

    def get(self, site_id: str) -> SiteStatus | None:
        return self._sites.get(site_id)

    def snapshot(self) -> Mapping[str, SiteStatus]:
        """A read-only view; the values are immutable."""
        return MappingProxyType(self._sites)

    def __len__(self) -> int:
        return len(self._sites)
