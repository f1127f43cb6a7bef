"""Commands from people (API, CLI, ack links): acknowledge, resolve, comment, and their errors."""

from __future__ import annotations

import pytest

from sitewatch.core.conditions import Condition
from sitewatch.core.errors import SitewatchError
from sitewatch.core.incident import EventKind, IncidentState
from sitewatch.incidents.errors import IncidentError, IncidentNotFound, InvalidTransition
from sitewatch.incidents.lifecycle import ChangeKind, IncidentLifecycle
from tests.incidents.conftest import T0, tr


@pytest.fixture
def incident_id(life: IncidentLifecycle) -> int:
    return life.apply([tr("BTS-2", Condition.MAINS_LOST, summary="input 0 V")], T0)[0].incident.id


def test_acknowledge_records_who_and_when_and_stops_paging(life: IncidentLifecycle, incident_id: int) -> None:
    change = life.acknowledge(incident_id, "Trần Thị Hoa", T0 + 120)
    assert change.kind is ChangeKind.ACKNOWLEDGED and not change.pages
    stored = life.store.get_incident(incident_id)
    assert (stored.state, stored.acknowledged_at, stored.acknowledged_by) == (
        IncidentState.ACKNOWLEDGED, T0 + 120, "Trần Thị Hoa")
    assert [(e.kind, e.actor, e.text) for e in life.store.timeline(incident_id)][-1] == (
        EventKind.ACKNOWLEDGED, "Trần Thị Hoa", "")


def test_acknowledging_twice_or_after_resolve_is_refused_and_changes_nothing(life: IncidentLifecycle,
                                                                            incident_id: int) -> None:
    life.acknowledge(incident_id, "Trần Thị Hoa", T0 + 120, comment="on my way")
    with pytest.raises(InvalidTransition, match=f"incident #{incident_id} was already acknowledged by Trần Thị Hoa"):
        life.acknowledge(incident_id, "Đỗ Quang", T0 + 130)
    life.resolve(incident_id, "Trần Thị Hoa", T0 + 900, comment="mains back, utility fixed the feeder")
    with pytest.raises(InvalidTransition, match="is already resolved by Trần Thị Hoa; nothing to acknowledge"):
        life.acknowledge(incident_id, "Đỗ Quang", T0 + 1000)
    with pytest.raises(InvalidTransition, match="is already resolved"):
        life.resolve(incident_id, "Đỗ Quang", T0 + 1000)
    incident, timeline = life.store.incident_with_timeline(incident_id)
    assert (incident.acknowledged_by, incident.resolved_by, incident.resolved_at) == (
        "Trần Thị Hoa", "Trần Thị Hoa", T0 + 900)
    assert [(e.kind, e.actor, e.text) for e in timeline] == [
        (EventKind.OPENED, "sitewatch", "input 0 V (source: poll)"),
        (EventKind.ACKNOWLEDGED, "Trần Thị Hoa", "on my way"),
        (EventKind.RESOLVED, "Trần Thị Hoa", "mains back, utility fixed the feeder"),
    ]


def test_resolve_without_comment_says_it_was_by_hand(life: IncidentLifecycle, incident_id: int) -> None:
    [change] = life.resolve(incident_id, "api:noc", T0 + 60)
    assert change.kind is ChangeKind.RESOLVED and not change.pages
    assert life.store.timeline(incident_id)[-1].text == "resolved by hand"
    assert life.store.open_incidents() == []


def test_comments_go_on_the_timeline_even_after_resolution(life: IncidentLifecycle, incident_id: int) -> None:
    event = life.comment(incident_id, "Lê Minh", "  utility ticket PC-GL 2291  ", T0 + 30)
    assert (event.kind, event.actor, event.text, event.at) == (
        EventKind.COMMENT, "Lê Minh", "utility ticket PC-GL 2291", T0 + 30)
    life.resolve(incident_id, "Lê Minh", T0 + 60)
    life.comment(incident_id, "Lê Minh", "root cause: feeder 471 tripped", T0 + 7200)
    assert [e.kind for e in life.store.timeline(incident_id)] == [
        EventKind.OPENED, EventKind.COMMENT, EventKind.RESOLVED, EventKind.COMMENT]
    with pytest.raises(IncidentError, match="a comment needs some text"):
        life.comment(incident_id, "Lê Minh", "   ", T0)


@pytest.mark.parametrize("command", ["acknowledge", "resolve", "comment"])
def test_unknown_incident_is_a_clear_error(life: IncidentLifecycle, command: str) -> None:
    with pytest.raises(IncidentNotFound, match="no incident #77") as info:
        if command == "comment":
            life.comment(77, "x", "text", T0)
        else:
            getattr(life, command)(77, "x", T0)
    assert isinstance(info.value, SitewatchError) and info.value.incident_id == 77
    assert life.store.query_incidents() == []
