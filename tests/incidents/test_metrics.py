"""The incident counters on /metrics: every condition × kind from the start, then counted."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from sitewatch.config.schema import Config
from sitewatch.core.conditions import Condition, TransitionKind, TrapEvent
from sitewatch.incidents.lifecycle import ChangeKind
from sitewatch.incidents.metrics import IncidentCollector
from sitewatch.incidents.service import IncidentService
from sitewatch.store.incidents import IncidentStore
from tests.incidents.conftest import SITES, T0
from tests.traps.conftest import FixedClock


def scrape(service: IncidentService) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(IncidentCollector(service))
    return registry


def test_every_condition_and_kind_is_counted_from_zero(store: IncidentStore) -> None:
    service = IncidentService(store=store, config=Config(sites=tuple(SITES.values())), clock=FixedClock(T0))
    registry = scrape(service)
    for condition in Condition:
        for kind in TransitionKind:
            labels = {"condition": condition.value, "kind": kind.value}
            assert registry.get_sample_value("sitewatch_incident_transitions_total", labels) == 0, labels
        for change in ChangeKind:
            labels = {"condition": condition.value, "change": change.value}
            assert registry.get_sample_value("sitewatch_incident_changes_total", labels) == 0, labels
    assert "_created" not in generate_latest(registry).decode()

    service.on_trap(TrapEvent(site_id="BTS-2", received_at=T0, trap_oid="1.3.6.1.2.1.33.2.0.1",
                              name="upsTrapOnBattery", source="127.0.0.1:162",
                              asserts=((Condition.ON_BATTERY, "", True),)))
    assert registry.get_sample_value("sitewatch_incident_transitions_total",
                                     {"condition": "on_battery", "kind": "opened"}) == 1
    assert registry.get_sample_value("sitewatch_incident_changes_total",
                                     {"condition": "on_battery", "change": "opened"}) == 1
    assert registry.get_sample_value("sitewatch_incident_changes_total",
                                     {"condition": "mains_lost", "change": "opened"}) == 0
