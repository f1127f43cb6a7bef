"""A trap asserting a condition opens it at once; a trap clearing one leaves the resolving to the
confirmation poll."""

from __future__ import annotations

from sitewatch.core.conditions import Condition, TransitionKind
from tests.evaluation.helpers import Feed, words

OPEN, R, U = TransitionKind.OPENED, TransitionKind.RESOLVED, TransitionKind.UPDATED
B = Condition.ON_BATTERY


def test_trap_opens_at_once_and_the_confirmation_poll_does_not_reopen() -> None:
    feed = Feed()  # on_battery hold 30 s
    (t,) = feed.trap(0, (B, "", True))
    assert (t.kind, t.source, t.at - feed.log[0].at) == (OPEN, "trap:upsTrapOnBattery", 0)
    assert words(t) == "upsTrapOnBattery from 127.0.0.1:40000"
    # the confirmation poll: nothing opens again (mains_lost is still in its hold); the incident
    # gets its first runtime estimate
    (u,) = feed.poll(1, on_battery=1.0, mains_ok=0.0)
    assert (u.condition, u.kind, u.source) == (B, U, "poll") and u.runtime is not None
    assert feed.kinds(B) == [(0, OPEN)]


def test_clearing_trap_waits_for_a_poll_and_the_clear_hold() -> None:
    feed = Feed()  # on_battery clear hold 60 s
    feed.poll(0, on_battery=1.0)
    feed.poll(30, on_battery=1.0)
    assert feed.trap(100, (B, "", False), name="upsTrapOffBattery") == ()
    assert feed.state.condition(B).open
    feed.poll(101, on_battery=0.0)  # the confirmation poll: clear, but not for 60 s yet
    assert feed.kinds(B) == [(30, OPEN)]
    (t,) = feed.poll(160, on_battery=0.0)  # clear since the trap said so, at 100
    assert (t.kind, t.source) == (R, "poll")


def test_trap_on_an_open_incident_updates_it_and_link_traps_carry_the_interface() -> None:
    feed = Feed()
    feed.trap(0, (B, "", True))
    (t,) = feed.trap(5, (B, "", True))
    assert (t.kind, t.source) == (U, "trap:upsTrapOnBattery")
    (t,) = feed.trap(10, (Condition.LINK_DOWN, "ge-0/0/1", True), name="linkDown")
    assert (t.condition, t.subject, t.kind, words(t)) == (
        Condition.LINK_DOWN, "ge-0/0/1", OPEN, "ge-0/0/1 down: linkDown from 127.0.0.1:40000")
