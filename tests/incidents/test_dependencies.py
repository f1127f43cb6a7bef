"""Site dependencies: a parent's outage explains its children's, in either order, through any
depth; recovery unsuppresses and asks for a re-poll; power incidents are never suppressed."""

from __future__ import annotations

from sitewatch.config.schema import Site
from sitewatch.core.conditions import Condition, TransitionKind
from sitewatch.core.incident import EventKind, Incident
from sitewatch.incidents.lifecycle import ChangeKind, IncidentLifecycle, repoll_sites
from tests.incidents.conftest import SITES, T0, tr

UNREACH, LINK = Condition.SITE_UNREACHABLE, Condition.LINK_DOWN


def _now(life: IncidentLifecycle, site: str, condition: Condition = UNREACH) -> Incident:
    incident = life.store.active_incident(site, condition)
    assert incident is not None
    return incident


def test_child_opening_after_its_parent_is_suppressed_and_not_paged(life: IncidentLifecycle) -> None:
    [parent] = life.apply([tr("AGG", UNREACH, summary="3 polls failed")], T0)
    assert parent.pages
    [child] = life.apply([tr("BTS-2", UNREACH, at=T0 + 30)], T0 + 30)
    assert child.kind is ChangeKind.OPENED and not child.pages
    assert child.incident.suppressed_by == parent.incident.id
    assert [(e.kind, e.text) for e in life.store.timeline(child.incident.id)] == [
        (EventKind.OPENED, "site_unreachable (source: poll)"),
        (EventKind.SUPPRESSED, f"suppressed: explained by incident #{parent.incident.id} "
                               "(site_unreachable at AGG); not paged")]


def test_parent_opening_after_its_children_suppresses_them(life: IncidentLifecycle) -> None:
    life.apply([tr("BTS-2", UNREACH), tr("BTS-HOSP", LINK, subject="eth0"), tr("BTS-3", UNREACH)], T0)
    changes = life.apply([tr("AGG", UNREACH, at=T0 + 60)], T0 + 61)
    parent = changes[0]
    assert parent.kind is ChangeKind.OPENED and parent.pages
    suppressed = {c.incident.site_id: c for c in changes[1:]}
    assert set(suppressed) == {"BTS-2", "BTS-HOSP"}  # BTS-3 hangs off PROV, not AGG
    assert all(c.kind is ChangeKind.SUPPRESSED and not c.pages for c in suppressed.values())
    assert all(c.incident.suppressed_by == parent.incident.id for c in suppressed.values())
    assert suppressed["BTS-2"].events[0].at == T0 + 61
    assert _now(life, "BTS-3").pages


def test_link_down_at_the_parent_also_explains_children(life: IncidentLifecycle) -> None:
    [uplink] = life.apply([tr("AGG", LINK, subject="xe-0/0/0")], T0)
    [child] = life.apply([tr("BTS-2", UNREACH)], T0)
    assert child.incident.suppressed_by == uplink.incident.id
    # an unreachable incident at the same ancestor is preferred as the explanation... for new children
    life.apply([tr("AGG", UNREACH)], T0 + 10)
    [other] = life.apply([tr("BTS-HOSP", UNREACH)], T0 + 20)
    assert other.incident.suppressed_by == _now(life, "AGG").id


def test_grandparent_outage_suppresses_the_whole_subtree_and_the_nearest_ancestor_explains(
        life: IncidentLifecycle) -> None:
    [prov] = life.apply([tr("PROV", UNREACH)], T0)
    opened = life.apply([tr("AGG", UNREACH), tr("BTS-HOSP", UNREACH), tr("BTS-3", LINK, subject="e1")], T0 + 30)
    by_site = {c.incident.site_id: c.incident for c in opened if c.kind is ChangeKind.OPENED}
    assert by_site["AGG"].suppressed_by == prov.incident.id
    assert by_site["BTS-3"].suppressed_by == prov.incident.id
    assert by_site["BTS-HOSP"].suppressed_by == by_site["AGG"].id  # the nearest ancestor's incident
    assert not any(c.pages for c in opened)


def test_grandchild_first_then_grandparent_then_parent_repoints_to_the_nearest(life: IncidentLifecycle) -> None:
    [leaf] = life.apply([tr("BTS-HOSP", UNREACH)], T0)
    [prov, s1] = life.apply([tr("PROV", UNREACH)], T0 + 10)
    assert s1.incident.id == leaf.incident.id and s1.incident.suppressed_by == prov.incident.id
    changes = life.apply([tr("AGG", UNREACH)], T0 + 20)
    agg = changes[0].incident
    assert agg.suppressed_by == prov.incident.id
    [(kind, inc)] = [(c.kind, c.incident) for c in changes[1:]]
    assert kind is ChangeKind.SUPPRESSED and inc.id == leaf.incident.id and inc.suppressed_by == agg.id


def test_parent_recovery_unsuppresses_children_and_asks_for_a_repoll(life: IncidentLifecycle) -> None:
    [parent] = life.apply([tr("AGG", UNREACH)], T0)
    life.apply([tr("BTS-2", UNREACH), tr("BTS-HOSP", UNREACH), tr("BTS-HOSP", Condition.ON_BATTERY)], T0 + 30)
    changes = life.apply([tr("AGG", UNREACH, TransitionKind.RESOLVED, at=T0 + 600, summary="answering again")],
                         T0 + 601)
    assert changes[0].kind is ChangeKind.RESOLVED and changes[0].incident.id == parent.incident.id
    assert repoll_sites(changes) == {"BTS-2", "BTS-HOSP"}
    unsup = {c.incident.site_id: c for c in changes[1:]}
    assert set(unsup) == {"BTS-2", "BTS-HOSP"}
    for c in unsup.values():
        assert c.kind is ChangeKind.UNSUPPRESSED and c.pages and c.incident.suppressed_by is None
        assert c.events[0].text == (f"unsuppressed: incident #{parent.incident.id} (site_unreachable at AGG) "
                                    "is resolved")
    # a child still unreachable after the re-poll now pages; one that recovered resolves
    life.apply([tr("BTS-2", UNREACH, TransitionKind.RESOLVED, at=T0 + 605)], T0 + 605)
    assert [i.site_id for i in life.store.open_incidents() if i.condition is UNREACH] == ["BTS-HOSP"]


def test_grandparent_recovery_with_parent_still_down_keeps_grandchildren_suppressed(life: IncidentLifecycle) -> None:
    [prov] = life.apply([tr("PROV", UNREACH)], T0)
    life.apply([tr("AGG", UNREACH), tr("BTS-3", UNREACH), tr("BTS-2", UNREACH)], T0 + 10)
    changes = life.apply([tr("PROV", UNREACH, TransitionKind.RESOLVED)], T0 + 100)
    assert repoll_sites(changes) == {"AGG", "BTS-HOSP", "BTS-2", "BTS-3"}
    assert {c.incident.site_id for c in changes if c.kind is ChangeKind.UNSUPPRESSED} == {"AGG", "BTS-3"}
    assert _now(life, "AGG").pages and _now(life, "BTS-3").pages
    assert _now(life, "BTS-2").suppressed_by == _now(life, "AGG").id and not _now(life, "BTS-2").pages
    assert prov.incident.id not in {i.suppressed_by for i in life.store.open_incidents()}


def test_acknowledged_parent_incident_still_suppresses(life: IncidentLifecycle) -> None:
    [parent] = life.apply([tr("AGG", UNREACH)], T0)
    life.acknowledge(parent.incident.id, "Trần Bình", T0 + 5)
    [child] = life.apply([tr("BTS-2", UNREACH)], T0 + 10)
    assert child.incident.suppressed_by == parent.incident.id


def test_power_incidents_at_a_child_are_never_suppressed(life: IncidentLifecycle) -> None:
    life.apply([tr("PROV", UNREACH), tr("AGG", LINK, subject="xe-0/0/0"), tr("AGG", UNREACH)], T0)
    power = [c for c in Condition if c not in (UNREACH, LINK)]
    changes = life.apply([tr("BTS-HOSP", c) for c in power], T0 + 30)
    assert len(changes) == len(power)
    assert all(c.kind is ChangeKind.OPENED and c.pages and c.incident.suppressed_by is None for c in changes)
    # and a parent recovering does not touch them
    resolved = life.apply([tr("AGG", UNREACH, TransitionKind.RESOLVED)], T0 + 60)
    assert [c.kind for c in resolved] == [ChangeKind.RESOLVED]


def test_manual_resolve_of_the_parent_also_unsuppresses(life: IncidentLifecycle) -> None:
    [parent] = life.apply([tr("AGG", UNREACH)], T0)
    life.apply([tr("BTS-2", UNREACH)], T0)
    changes = life.resolve(parent.incident.id, "api:noc", T0 + 50)
    assert [c.kind for c in changes] == [ChangeKind.RESOLVED, ChangeKind.UNSUPPRESSED]
    assert changes[0].repoll == {"BTS-2", "BTS-HOSP"}


def test_reloaded_site_tree_re_evaluates_suppression(life: IncidentLifecycle) -> None:
    [parent] = life.apply([tr("AGG", UNREACH)], T0)
    [child] = life.apply([tr("BTS-2", UNREACH)], T0)
    [loner] = life.apply([tr("KT-1", UNREACH)], T0)
    assert child.incident.suppressed_by == parent.incident.id and loner.pages
    moved = {**SITES, "BTS-2": SITES["BTS-2"].model_copy(update={"parent": None}),
             "KT-1": SITES["KT-1"].model_copy(update={"parent": "AGG"})}
    changes = life.set_sites(moved, T0 + 100)
    by_site = {c.incident.site_id: c for c in changes}
    assert {s: c.kind for s, c in by_site.items()} == {"BTS-2": ChangeKind.UNSUPPRESSED,
                                                         "KT-1": ChangeKind.SUPPRESSED}
    assert by_site["BTS-2"].pages and not by_site["KT-1"].pages
    assert by_site["BTS-2"].events[0].text == (f"unsuppressed: incident #{parent.incident.id} "
                                               "(site_unreachable at AGG) no longer explains it (site tree changed)")


def test_sites_on_a_parent_loop_never_suppress_each_other(life: IncidentLifecycle) -> None:
    a = Site(id="A", name="A", kind=SITES["AGG"].kind, province="Gia Lai", parent="B")
    b = Site(id="B", name="B", kind=SITES["AGG"].kind, province="Gia Lai", parent="A")
    c = Site(id="C", name="C", kind=SITES["BTS-2"].kind, province="Gia Lai", parent="B")
    life.set_sites([a, b, c], T0)
    changes = life.apply([tr("A", UNREACH), tr("B", UNREACH), tr("C", UNREACH)], T0)
    assert [(ch.incident.site_id, ch.pages) for ch in changes] == [("A", True), ("B", True), ("C", False)]
    assert changes[2].incident.suppressed_by == changes[1].incident.id  # below the loop, still a tree
