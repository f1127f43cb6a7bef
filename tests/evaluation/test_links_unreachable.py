"""link_down per interface (named uplinks, or every admin-up interface) and site_unreachable."""

from __future__ import annotations

from sitewatch.core.conditions import Condition, TransitionKind
from sitewatch.core.model import PollErrorKind
from tests.evaluation.helpers import Feed, context, interface, of, words

OPEN, R = TransitionKind.OPENED, TransitionKind.RESOLVED
L, U = Condition.LINK_DOWN, Condition.SITE_UNREACHABLE


def test_named_uplinks_only_and_summary() -> None:
    feed = Feed(context(uplinks=("eth1",)))  # link_down: hold 60 s, clear hold 60 s by default
    links = (interface("eth0", 1.0), interface("eth1", 0.0), interface("eth2", 0.0))
    feed.poll(0, *links)
    assert feed.poll(59, *links) == ()
    (t,) = feed.poll(60, *links)
    assert (t.condition, t.subject, t.kind, words(t)) == (L, "eth1", OPEN, "eth1 down (admin up)")
    assert feed.kinds(L, "eth2") == []  # down, admin up, but not an uplink
    # the uplink missing from a poll is unknown: nothing resolves
    feed.poll(120, interface("eth0", 1.0))
    feed.poll(300, interface("eth0", 1.0))
    assert feed.kinds(L, "eth1") == [(60, OPEN)]
    # a named uplink shut by an operator is still an uplink that is down
    feed.poll(360, interface("eth1", 0.0, admin=0.0))
    assert feed.kinds(L, "eth1") == [(60, OPEN)]
    feed.poll(400, interface("eth1", 1.0))
    (t,) = feed.poll(460, interface("eth1", 1.0))
    assert (t.kind, words(t)) == (R, "eth1 up")


def test_all_admin_up_interfaces_when_no_uplinks_are_named() -> None:
    feed = Feed(context(hold={"link_down": 0}, clear_hold={"link_down": 0}))
    out = feed.poll(0, interface("eth0", 1.0), interface("eth1", 0.0), interface("eth2", 0.0, admin=0.0))
    assert [(t.subject, t.kind) for t in out] == [("eth1", OPEN)]
    # eth1 administratively shut afterwards: on purpose, not a fault
    (t,) = feed.poll(60, interface("eth1", 0.0, admin=0.0))
    assert (t.subject, t.kind) == ("eth1", R)
    # an interface that disappears is unknown, not down
    feed.poll(120, interface("eth0", 1.0), interface("eth1", 0.0))
    assert feed.poll(180, interface("eth0", 1.0)) == ()
    assert feed.kinds(L, "eth1") == [(0, OPEN), (60, R), (120, OPEN)]


def test_a_radio_link_with_an_invalid_admin_status_opens_and_says_where_it_goes() -> None:
    # a microwave radio: ifAdminStatus 0 (invalid, read as unknown) or not reported at all,
    # ifOperStatus down: not explicitly shut, so the link is down
    feed = Feed(context(hold={"link_down": 0}, clear_hold={"link_down": 0}))
    (t,) = feed.poll(0, interface("RadioLinkTerminal", 0.0, admin=None, alias="GL-BTS-0042"),
                     interface("Eth2", 1.0, admin=None))
    assert (t.subject, t.kind, words(t)) == ("RadioLinkTerminal", OPEN, "RadioLinkTerminal (to GL-BTS-0042) down")
    (t,) = feed.poll(60, interface("RadioLinkTerminal", 1.0, admin=None, alias="GL-BTS-0042"))
    assert (t.kind, words(t)) == (R, "RadioLinkTerminal (to GL-BTS-0042) up")
    # explicitly shut is still not a fault
    assert feed.poll(120, interface("RadioLinkTerminal", 0.0, admin=0.0, alias="GL-BTS-0042")) == ()


def test_unreachable_after_n_failures_with_summary_and_recovery() -> None:
    feed = Feed()  # unreachable_after_polls: 3
    assert feed.fail(0) == () and feed.fail(60) == ()
    (t,) = feed.fail(120)
    assert (t.condition, t.kind, words(t)) == (U, OPEN, "no answer for 3 polls (timeout)")
    assert feed.fail(180, PollErrorKind.AUTH) == () and feed.fail(240, PollErrorKind.NETWORK) == ()
    assert feed.state.failed_polls == 5 and feed.state.last_error == "network"
    (t,) = feed.poll(300, mains_ok=1.0)
    assert (t.kind, words(t)) == (R, "answering again after 5 failed polls")
    assert feed.state.failed_polls == 0


def test_an_agent_answering_with_an_error_is_reachable_and_our_bugs_count_for_nothing() -> None:
    feed = Feed(context(unreachable_after_polls=2))
    feed.fail(0)
    feed.fail(10, PollErrorKind.INTERNAL)  # neither counts nor resets
    assert [t.kind for t in feed.fail(20)] == [OPEN]
    (t,) = feed.fail(30, PollErrorKind.DECODE)  # it answered, badly: reachable
    assert t.kind is R and feed.state.failed_polls == 0
    feed.fail(40)
    feed.fail(50, PollErrorKind.AGENT_ERROR)
    feed.fail(60)
    assert feed.kinds(U) == [(20, OPEN), (30, R)]


def test_failed_polls_leave_other_incidents_and_timers_alone() -> None:
    feed = Feed()
    feed.poll(0, mains_ok=0.0)
    for t in (10, 20, 25):
        feed.fail(t)
    assert of(tuple(feed.log), Condition.MAINS_LOST) == []
    feed.poll(30, mains_ok=0.0)  # the hold started at 0 and ran through the failures
    assert feed.kinds(Condition.MAINS_LOST) == [(30, OPEN)]
    assert feed.kinds(U) == [(25, OPEN), (30, R)]
