"""Flap detection: a condition flipping at every poll is one incident, marked flapping, that
stays open until things are steady again."""

from __future__ import annotations

from sitewatch.core.conditions import Condition, TransitionKind
from tests.evaluation.helpers import Feed, context

OPEN, R, F, S = TransitionKind.OPENED, TransitionKind.RESOLVED, TransitionKind.FLAPPING, TransitionKind.STEADY
M = Condition.MAINS_LOST


def test_mains_flapping_at_every_poll_is_one_flapping_incident_then_steady_and_resolved() -> None:
    feed = Feed()  # mains_lost hold 30 s, clear hold 60 s; 6 changes in 900 s is flapping
    for i in range(120):  # two hours, mains lost at every other 60 s poll
        feed.poll(60 * i, mains_ok=float(i % 2))
    opened = [t for t in feed.log if t.condition is M and t.kind is OPEN]
    assert len(opened) == 1 and opened[0].flapping
    assert opened[0].at - feed.log[0].at <= 6 * 60  # the 6th change
    assert feed.kinds(M) == [(opened[0].at - 1_750_000_000.0, OPEN)]  # no RESOLVED, no churn
    assert len(feed.state.condition(M).changes) <= 16  # trimmed to the 900 s window
    # mains comes back for good at 7200 s: steady once the window holds 3 changes or fewer
    for t in range(7200, 9000, 60):
        feed.poll(t, mains_ok=1.0)
    kinds = feed.kinds(M)
    assert [k for _, k in kinds] == [OPEN, S, R]
    steady_at = kinds[1][0]
    assert kinds[2][0] == steady_at
    # the last changes were at 7020, 7080 and 7140 s: at 7920 s they are the only 3 in the window
    assert steady_at == 7920
    assert not feed.state.condition(M).open


def test_an_open_incident_that_starts_flapping_stays_open_and_steadies_while_active() -> None:
    feed = Feed(context(hold={"on_battery": 0}, clear_hold={"on_battery": 0}, flap_threshold=4, flap_window=600))
    cond = Condition.ON_BATTERY
    feed.poll(0, on_battery=1.0)
    feed.poll(60, on_battery=0.0)  # resolves at once (clear hold 0): a normal short outage
    for i in range(2, 8):
        feed.poll(60 * i, on_battery=float(i % 2 == 0))
    kinds = [k for _, k in feed.kinds(cond)]
    # opened, resolved, opened again; then the 4th change in the window: flapping, and no more churn
    assert kinds == [OPEN, R, OPEN, F]
    flapping_at = feed.kinds(cond)[-1][0]
    assert feed.state.condition(cond).flapping
    for t in range(480, 2000, 60):  # on battery for good: steady, still open
        feed.poll(t, on_battery=1.0)
    assert [k for _, k in feed.kinds(cond)] == [OPEN, R, OPEN, F, S]
    assert feed.kinds(cond)[-1][0] > flapping_at and feed.state.condition(cond).open


def test_a_few_changes_under_the_threshold_are_ordinary_incidents() -> None:
    feed = Feed(context(hold={"mains_lost": 0}, clear_hold={"mains_lost": 0}))
    for t, ok in ((0, 0.0), (300, 1.0), (600, 0.0), (700, 1.0)):
        feed.poll(t, mains_ok=ok)
    assert feed.kinds(M) == [(0, OPEN), (300, R), (600, OPEN), (700, R)]
    assert not any(t.flapping for t in feed.log)
