"""Maintenance windows by site, district and province, from config and the API: incidents that
open inside are recorded and marked, not paged; when the window ends they page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sitewatch.config.incident_schema import MaintenanceSpec
from sitewatch.core.conditions import Condition, TransitionKind
from sitewatch.core.incident import EventKind
from sitewatch.incidents.errors import InvalidMaintenance, MaintenanceNotFound
from sitewatch.incidents.lifecycle import ChangeKind, IncidentLifecycle
from sitewatch.incidents.maintenance import MaintenanceScope, MaintenanceSource
from sitewatch.store.incidents import IncidentStore
from tests.incidents.conftest import SITES, T0, tr

MAINS = Condition.MAINS_LOST
HOUR = 3600.0
ICT = timezone(timedelta(hours=7))


def _window(life: IncidentLifecycle, scope: str, target: str, start: float = T0 - HOUR, end: float = T0 + HOUR,
            author: str = "Lê Minh", reason: str = "rectifier replacement") -> int:
    return life.create_maintenance(scope=scope, target=target, starts_at=start, ends_at=end, reason=reason,
                                   author=author, now=T0 - 2 * HOUR).id


def _paging(life: IncidentLifecycle, sites: list[str]) -> dict[str, bool]:
    changes = life.apply([tr(s, MAINS) for s in sites], T0)
    return {c.incident.site_id: c.pages for c in changes}


def test_site_window_marks_only_that_site(life: IncidentLifecycle) -> None:
    wid = _window(life, "site", "BTS-2")
    assert _paging(life, ["BTS-2", "BTS-HOSP"]) == {"BTS-2": False, "BTS-HOSP": True}
    incident = life.store.active_incident("BTS-2", MAINS)
    assert incident is not None and incident.maintenance_id == wid
    assert [(e.kind, e.text) for e in life.store.timeline(incident.id)][-1] == (
        EventKind.MAINTENANCE, f"opened in maintenance window #{wid} (site BTS-2, until 2026-09-21T15:13Z): "
                               "rectifier replacement — Lê Minh; not paged")


def test_district_window_covers_every_site_of_the_district(life: IncidentLifecycle) -> None:
    _window(life, "district", "Chư Sê")
    assert _paging(life, ["AGG", "BTS-2", "BTS-HOSP", "BTS-3", "KT-1"]) == {
        "AGG": False, "BTS-2": False, "BTS-HOSP": False, "BTS-3": True, "KT-1": True}


def test_province_window_covers_every_site_of_the_province(life: IncidentLifecycle) -> None:
    _window(life, "province", "Kon Tum")
    assert _paging(life, ["KT-1", "PROV", "BTS-3"]) == {"KT-1": False, "PROV": True, "BTS-3": True}


def test_only_a_window_in_force_when_the_incident_opens_counts(life: IncidentLifecycle) -> None:
    _window(life, "site", "BTS-2", start=T0 + 60, end=T0 + HOUR)  # not started yet
    _window(life, "site", "BTS-3", start=T0 - 2 * HOUR, end=T0)  # over (end is exclusive)
    assert _paging(life, ["BTS-2", "BTS-3"]) == {"BTS-2": True, "BTS-3": True}
    # an incident already paging when a window starts keeps paging: the work did not cause it
    assert life.tick(T0 + 120) == []
    assert all(i.pages for i in life.store.open_incidents())


def test_window_end_makes_a_still_open_incident_page(life: IncidentLifecycle) -> None:
    wid = _window(life, "district", "Chư Sê", end=T0 + HOUR)
    _paging(life, ["BTS-2", "BTS-HOSP"])
    life.apply([tr("BTS-HOSP", MAINS, TransitionKind.RESOLVED, at=T0 + 600)], T0 + 600)  # fixed during the work
    assert life.tick(T0 + HOUR - 1) == []
    [change] = life.tick(T0 + HOUR)
    assert change.kind is ChangeKind.UNSUPPRESSED and change.pages
    assert change.incident.site_id == "BTS-2" and change.incident.maintenance_id is None
    assert change.events[0].text.startswith(f"maintenance window #{wid} (district Chư Sê")
    assert change.events[0].text.endswith("ended; paging")
    assert life.tick(T0 + HOUR + 60) == []  # once


def test_back_to_back_windows_keep_the_incident_quiet_until_the_last_ends(life: IncidentLifecycle) -> None:
    first = _window(life, "site", "BTS-2", end=T0 + HOUR)
    second = _window(life, "province", "Gia Lai", start=T0 + HOUR - 60, end=T0 + 2 * HOUR, reason="fibre works")
    # at T0 only the first is in force
    _paging(life, ["BTS-2"])
    assert life.store.active_incident("BTS-2", MAINS).maintenance_id == first  # type: ignore[union-attr]
    [moved] = life.tick(T0 + HOUR)
    assert moved.kind is ChangeKind.SUPPRESSED and not moved.pages and moved.incident.maintenance_id == second
    assert "now in maintenance window" in moved.events[0].text
    [released] = life.tick(T0 + 2 * HOUR)
    assert released.kind is ChangeKind.UNSUPPRESSED and released.pages


def test_deleting_a_window_releases_its_incidents_at_once(life: IncidentLifecycle) -> None:
    wid = _window(life, "site", "BTS-2")
    _paging(life, ["BTS-2"])
    [change] = life.delete_maintenance(wid, actor="api:noc", now=T0 + 300)
    assert change.pages and change.events[0].text.endswith("was deleted by api:noc; paging")
    window = life.store.get_window(wid)
    assert (window.deleted_at, window.deleted_by) == (T0 + 300, "api:noc")
    assert life.store.windows() == [] and [w.id for w in life.store.windows(include_deleted=True)] == [wid]
    with pytest.raises(MaintenanceNotFound, match=f"no maintenance window #{wid}"):
        life.delete_maintenance(wid, actor="api:noc", now=T0 + 301)
    with pytest.raises(MaintenanceNotFound):
        life.delete_maintenance(4242, actor="api:noc", now=T0 + 301)


def test_maintenance_and_suppression_both_hold_an_incident_back(life: IncidentLifecycle) -> None:
    _window(life, "site", "BTS-2", end=T0 + HOUR)
    life.apply([tr("AGG", Condition.SITE_UNREACHABLE)], T0)
    [child] = life.apply([tr("BTS-2", Condition.SITE_UNREACHABLE)], T0)
    assert child.incident.suppressed_by is not None and child.incident.maintenance_id is not None
    [end] = life.tick(T0 + HOUR)
    assert end.kind is ChangeKind.UNSUPPRESSED and not end.pages  # the parent still explains it


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"author": " "}, "author is required"),
    ({"reason": ""}, "reason is required"),
    ({"end": T0 - HOUR}, r"end \(2026-09-21T13:13Z\) must be after start \(2026-09-21T13:13Z\)"),
    ({"scope": "commune"}, "scope must be one of site, district, province"),
    ({"target": "BTS-404"}, "site 'BTS-404' matches no configured site"),
    ({"scope": "district", "target": "Chu Se"}, "district 'Chu Se' matches no configured site"),
])
def test_api_windows_need_author_reason_and_a_real_scope(life: IncidentLifecycle, kwargs: dict[str, object],
                                                         message: str) -> None:
    args: dict[str, object] = {"scope": "site", "target": "BTS-2", "start": T0 - HOUR, "end": T0 + HOUR,
                               "author": "Lê Minh", "reason": "works"} | kwargs
    with pytest.raises(InvalidMaintenance, match=message):
        _window(life, **args)  # type: ignore[arg-type]
    assert life.store.windows(include_deleted=True) == []


def test_config_windows_are_synced_as_a_set(life: IncidentLifecycle) -> None:
    start = datetime.fromtimestamp(T0 - HOUR, UTC).astimezone(ICT)
    a = MaintenanceSpec(site="BTS-2", start=start, end=start + timedelta(hours=2), reason="battery swap",
                        author="Phạm Hùng")
    b = MaintenanceSpec(province="Kon Tum", start=start, end=start + timedelta(hours=8), reason="grid works",
                        author="EVN")
    api = _window(life, "site", "BTS-3")
    assert life.sync_config_maintenance([a, b, a], T0 - HOUR) == []
    config = life.store.windows(source=MaintenanceSource.CONFIG)
    assert [(w.scope, w.target, w.starts_at, w.ends_at) for w in config] == [
        (MaintenanceScope.SITE, "BTS-2", T0 - HOUR, T0 + HOUR), (MaintenanceScope.PROVINCE, "Kon Tum", T0 - HOUR,
                                                                 T0 + 7 * HOUR)]
    assert _paging(life, ["BTS-2", "KT-1", "BTS-3"]) == {"BTS-2": False, "KT-1": False, "BTS-3": False}

    # a reload with the same windows changes nothing (same ids, incidents stay marked)
    assert life.sync_config_maintenance([b, a], T0 + 10) == []
    assert life.store.windows(source=MaintenanceSource.CONFIG) == config
    # a reload without the province window deletes it and releases its incident; API windows stay
    [released] = life.sync_config_maintenance([a], T0 + 20)
    assert released.incident.site_id == "KT-1" and released.pages
    assert released.events[0].text.endswith("was deleted by config; paging")
    assert [w.id for w in life.store.windows()] == [api, config[0].id]


def test_a_config_window_ended_by_hand_stays_ended_across_reloads_and_restarts(
    life: IncidentLifecycle, store: IncidentStore
) -> None:
    start = datetime.fromtimestamp(T0 - HOUR, UTC).astimezone(ICT)
    spec = MaintenanceSpec(site="BTS-2", start=start, end=start + timedelta(hours=4), reason="battery swap",
                           author="Phạm Hùng")
    assert life.sync_config_maintenance([spec], T0 - HOUR) == []
    [window] = life.store.windows(source=MaintenanceSource.CONFIG)
    # "works finished": the NOC ends it through the API an hour early
    assert life.delete_maintenance(window.id, actor="api:noc", now=T0 - 600) == []
    # SIGHUP reload, then a restart (a new lifecycle on the same database), both with the same config
    assert life.sync_config_maintenance([spec], T0 - 300) == []
    assert IncidentLifecycle(store, SITES).sync_config_maintenance([spec], T0 - 200) == []
    assert life.store.windows() == []
    assert _paging(life, ["BTS-2"]) == {"BTS-2": True}  # the site pages again
    assert life.store.active_incident("BTS-2", MAINS).maintenance_id is None  # type: ignore[union-attr]

    # a changed window in the config (works extended to another day) is a new window and applies
    later = spec.model_copy(update={"start": start + timedelta(hours=2), "end": start + timedelta(hours=6)})
    assert life.sync_config_maintenance([later], T0 + 60) == []
    [new] = life.store.windows(source=MaintenanceSource.CONFIG)
    assert new.id != window.id and (new.starts_at, new.ends_at) == (T0 + HOUR, T0 + 5 * HOUR)
    assert [(w.id, w.deleted_by) for w in life.store.windows(include_deleted=True)] == [
        (window.id, "api:noc"), (new.id, None)]
    life.apply([tr("BTS-2", MAINS, TransitionKind.RESOLVED, at=T0 + HOUR)], T0 + HOUR)
    assert life.apply([tr("BTS-2", MAINS, at=T0 + 2 * HOUR)], T0 + 2 * HOUR)[0].incident.maintenance_id == new.id


def test_a_config_window_removed_from_the_config_comes_back_when_it_is_put_back(life: IncidentLifecycle) -> None:
    start = datetime.fromtimestamp(T0 - HOUR, UTC).astimezone(ICT)
    spec = MaintenanceSpec(district="Chư Sê", start=start, end=start + timedelta(hours=4), reason="grid works",
                           author="EVN")
    life.sync_config_maintenance([spec], T0 - HOUR)
    life.sync_config_maintenance([], T0 - 600)  # taken out of the config: deleted by config
    life.sync_config_maintenance([spec], T0 - 300)  # and put back: in force again
    assert _paging(life, ["BTS-2"]) == {"BTS-2": False}
