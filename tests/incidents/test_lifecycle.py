"""Transitions become incidents: dedup, severity, timeline, flapping, traps, and what the
escalation stage is told."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitewatch.config.schema import Criticality
from sitewatch.core.conditions import (
    Condition,
    Phrase,
    RuntimeEstimate,
    Severity,
    Summary,
    TransitionKind,
    part,
    severity_for,
)
from sitewatch.core.incident import EventKind, IncidentState
from sitewatch.incidents.lifecycle import ChangeKind, IncidentLifecycle
from tests.incidents.conftest import T0, tr
from tests.store import incident_store

U, R, F, S = TransitionKind.UPDATED, TransitionKind.RESOLVED, TransitionKind.FLAPPING, TransitionKind.STEADY
SW = "sitewatch"


def test_opened_creates_one_incident_with_the_summary_and_source_on_its_timeline(life: IncidentLifecycle) -> None:
    summary = Summary.of(part(Phrase.MAINS_PHASES, volts="0", phases=3))
    [change] = life.apply([tr("BTS-2", Condition.MAINS_LOST, summary=summary)], T0)
    assert change.kind is ChangeKind.OPENED and change.pages
    inc = change.incident
    assert (inc.site_id, inc.condition, inc.state, inc.opened_at, inc.summary) == (
        "BTS-2", Condition.MAINS_LOST, IncidentState.OPEN, T0, summary)
    incident, timeline = life.store.incident_with_timeline(inc.id)
    assert incident == inc
    assert [(e.kind, e.actor, e.text) for e in timeline] == [
        (EventKind.OPENED, "sitewatch", "mains 0 V on 3 phases (source: poll)")]


def test_opened_twice_is_deduplicated_into_one_incident(life: IncidentLifecycle) -> None:
    first = life.apply([tr("BTS-2", Condition.ON_BATTERY, summary="on battery", source="trap:upsTrapOnBattery")], T0)
    again = life.apply([tr("BTS-2", Condition.ON_BATTERY, at=T0 + 5, summary="output source battery")], T0 + 5)
    assert [c.kind for c in again] == [ChangeKind.UPDATED]
    assert again[0].incident.id == first[0].incident.id
    assert len(life.store.open_incidents()) == 1
    assert [(e.kind, e.text) for e in life.store.timeline(first[0].incident.id)] == [
        (EventKind.OPENED, "on battery (source: trap:upsTrapOnBattery)"),
        (EventKind.UPDATED, "asserted again: output source battery (source: poll)")]
    # link_down per interface: another subject is another incident
    life.apply([tr("AGG", Condition.LINK_DOWN, subject="eth1"), tr("AGG", Condition.LINK_DOWN, subject="eth2"),
                tr("AGG", Condition.LINK_DOWN, subject="eth1", at=T0 + 1)], T0 + 1)
    assert sorted(i.subject for i in life.store.open_incidents(["AGG"])) == ["eth1", "eth2"]


@pytest.mark.parametrize(("site", "criticality"), [("BTS-2", Criticality.NORMAL), ("PROV", Criticality.HIGH),
                                                   ("BTS-HOSP", Criticality.CRITICAL)])
def test_severity_follows_condition_and_site_criticality(life: IncidentLifecycle, site: str,
                                                         criticality: Criticality) -> None:
    changes = life.apply([tr(site, Condition.MAINS_LOST), tr(site, Condition.BATTERY_DEPLETED)], T0)
    got = {c.incident.condition: c.incident.severity for c in changes}
    assert got == {Condition.MAINS_LOST: severity_for(Condition.MAINS_LOST, criticality),
                   Condition.BATTERY_DEPLETED: Severity.CRITICAL}
    assert got[Condition.MAINS_LOST] == {"BTS-2": Severity.WARNING, "PROV": Severity.MAJOR,
                                         "BTS-HOSP": Severity.CRITICAL}[site]


def test_unknown_site_opens_with_normal_criticality(life: IncidentLifecycle) -> None:
    [c] = life.apply([tr("NOT-CONFIGURED", Condition.MAINS_LOST)], T0)
    assert c.incident.severity is Severity.WARNING and c.pages


def test_full_lifecycle_with_timeline_and_actors(life: IncidentLifecycle) -> None:
    rt1 = RuntimeEstimate(seconds=3 * 3600, method="capacity", at=T0 + 60)
    rt2 = RuntimeEstimate(seconds=1500, method="charge_trend", at=T0 + 1800)
    [opened] = life.apply([tr("BTS-HOSP", Condition.ON_BATTERY, summary="output on battery", runtime=rt1,
                              at=T0 + 60)], T0 + 60)
    iid = opened.incident.id
    assert opened.incident.runtime == rt1
    [upd] = life.apply([tr("BTS-HOSP", Condition.ON_BATTERY, U, at=T0 + 1800, summary="charge 41%",
                           runtime=rt2)], T0 + 1800)
    assert upd.kind is ChangeKind.UPDATED and upd.incident.runtime == rt2
    assert upd.incident.summary == Summary(text="charge 41%")
    ack = life.acknowledge(iid, "Nguyễn Văn An", T0 + 1900, comment="driving to site with a generator")
    assert ack.kind is ChangeKind.ACKNOWLEDGED and not ack.pages
    life.comment(iid, "Nguyễn Văn An", "generator connected", T0 + 4000)
    [res] = life.apply([tr("BTS-HOSP", Condition.ON_BATTERY, R, at=T0 + 4100, summary="output normal")], T0 + 4100)
    assert res.kind is ChangeKind.RESOLVED and res.repoll == frozenset()

    incident, timeline = life.store.incident_with_timeline(iid)
    assert incident.state is IncidentState.RESOLVED
    assert (incident.acknowledged_at, incident.acknowledged_by) == (T0 + 1900, "Nguyễn Văn An")
    assert (incident.resolved_at, incident.resolved_by) == (T0 + 4100, "sitewatch")
    assert incident.runtime == rt2
    assert [(e.at, e.kind, e.actor, e.text) for e in timeline] == [
        (T0 + 60, EventKind.OPENED, SW, "output on battery; battery runtime ~180 min (capacity) (source: poll)"),
        (T0 + 1800, EventKind.UPDATED, SW, "charge 41%; battery runtime ~25 min (charge_trend) (source: poll)"),
        (T0 + 1900, EventKind.ACKNOWLEDGED, "Nguyễn Văn An", "driving to site with a generator"),
        (T0 + 4000, EventKind.COMMENT, "Nguyễn Văn An", "generator connected"),
        (T0 + 4100, EventKind.RESOLVED, "sitewatch", "output normal (source: poll)"),
    ]
    # the key is free again: the next loss is a new incident
    [again] = life.apply([tr("BTS-HOSP", Condition.ON_BATTERY, at=T0 + 9000)], T0 + 9000)
    assert again.kind is ChangeKind.OPENED and again.incident.id != iid


def test_flapping_marks_one_incident_and_steady_clears_it(life: IncidentLifecycle) -> None:
    [opened] = life.apply([tr("BTS-2", Condition.MAINS_LOST)], T0)
    [flap] = life.apply([tr("BTS-2", Condition.MAINS_LOST, F, at=T0 + 300, summary="6 changes in 15 min")], T0 + 300)
    assert flap.incident.flapping and flap.incident.id == opened.incident.id and flap.pages
    assert life.apply([tr("BTS-2", Condition.MAINS_LOST, F, at=T0 + 360)], T0 + 360) == []  # already marked
    [steady] = life.apply([tr("BTS-2", Condition.MAINS_LOST, S, at=T0 + 2000)], T0 + 2000)
    assert not steady.incident.flapping and steady.incident.state is IncidentState.OPEN
    kinds = [e.kind for e in life.store.timeline(opened.incident.id)]
    assert kinds == [EventKind.OPENED, EventKind.FLAPPING, EventKind.STEADY]
    assert len(life.store.query_incidents()) == 1


def test_flapping_before_any_incident_opens_one_marked_flapping(life: IncidentLifecycle) -> None:
    [c] = life.apply([tr("BTS-3", Condition.MAINS_LOST, F, summary="input toggling")], T0)
    assert c.kind is ChangeKind.OPENED and c.incident.flapping
    assert [e.kind for e in life.store.timeline(c.incident.id)] == [EventKind.OPENED, EventKind.FLAPPING]


def test_trap_updates_are_marked_as_traps(life: IncidentLifecycle) -> None:
    [o] = life.apply([tr("KT-1", Condition.LINK_DOWN, subject="ge-0/0/1", summary="ifOperStatus down")], T0)
    life.apply([tr("KT-1", Condition.LINK_DOWN, U, subject="ge-0/0/1", source="trap:linkDown", at=T0 + 3,
                   summary="linkDown trap")], T0 + 3)
    assert [(e.kind, e.text) for e in life.store.timeline(o.incident.id)][-1] == (
        EventKind.TRAP, "linkDown trap (source: trap:linkDown)")


def test_resolved_or_steady_without_an_incident_are_ignored(life: IncidentLifecycle) -> None:
    assert life.apply([tr("BTS-2", Condition.FUEL_LOW, R), tr("BTS-2", Condition.FUEL_LOW, S)], T0) == []
    assert life.store.query_incidents() == []


def test_after_a_manual_resolve_the_evaluator_opens_a_new_incident(life: IncidentLifecycle) -> None:
    [o] = life.apply([tr("BTS-2", Condition.MAINS_LOST)], T0)
    [r] = life.resolve(o.incident.id, "api:noc", T0 + 100, comment="utility says restored")
    assert r.incident.resolved_by == "api:noc"
    # the evaluator still sees the condition: its next update opens a new incident
    [n] = life.apply([tr("BTS-2", Condition.MAINS_LOST, U, at=T0 + 200, summary="input 0 V")], T0 + 200)
    assert n.kind is ChangeKind.OPENED and n.incident.id != o.incident.id and n.pages
    # and its eventual resolve closes that one
    [end] = life.apply([tr("BTS-2", Condition.MAINS_LOST, R, at=T0 + 900)], T0 + 900)
    assert end.incident.id == n.incident.id and life.store.open_incidents() == []


def test_one_apply_is_one_transaction(db_path: Path, life: IncidentLifecycle) -> None:
    with pytest.raises(ValueError), life.store.transaction():
        life.apply([tr("BTS-2", Condition.MAINS_LOST), tr("BTS-3", Condition.MAINS_LOST)], T0)
        life.store.save_eval_state("BTS-2", "{}", T0)
        raise ValueError("daemon failed before finishing the poll result")
    with incident_store(db_path) as other:
        assert other.query_incidents() == [] and other.load_eval_states() == {}
