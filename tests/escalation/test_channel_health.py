"""A channel that fails is down, probed with one message at a time, and used again at once when
it answers: the backlog goes out oldest first per recipient, no message waiting out its own
backoff while the gateway is up. One WARNING when it goes down, one INFO when it is back.
Driven by the test's clock against a real SMS gateway stand-in on 127.0.0.1."""

from __future__ import annotations

import itertools
import logging
from collections import defaultdict

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from sitewatch.escalation.channel_health import PROBE_BASE, PROBE_CAP
from tests.escalation.conftest import MIN, T0, World, WorldFactory

OUTAGE = 8 * MIN
BY_SITE = [{"match": {"kind": ["bts"]}, "policy": "bts-battery", "group_by": ["site"], "group_wait": 0}]


def _channel_up(world: World) -> dict[str, float]:
    registry = CollectorRegistry()
    registry.register(world.engine.collector())
    text = generate_latest(registry).decode()
    return {s.labels["channel"]: s.value for f in text_string_to_metric_families(text)
            if f.name == "sitewatch_channel_up" for s in f.samples}


async def _outage_with_backlog(world: World) -> None:
    """20 sites fail one after another during an 8-minute gateway outage (plus a reminder every
    5 minutes to the on-call), then time runs on a second at a time past the recovery."""
    world.http.fail_with(500, duration=OUTAGE, path="/sms")
    for i in range(20):
        world.open(f"BTS-{i:02d}")
        await world.run_until(world.clock.time() + 20)


async def test_a_gateway_back_up_drains_the_backlog_at_once_oldest_first(make_world: WorldFactory,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    world = make_world(routes=BY_SITE)
    caplog.set_level(logging.INFO, logger="sitewatch.escalation.worker")
    await _outage_with_backlog(world)
    await world.run_until(T0 + OUTAGE - 1, step=1)
    assert _channel_up(world)["sms"] == 0.0 and _channel_up(world)["email"] == 1.0
    await world.run_until(T0 + OUTAGE + 2 * PROBE_CAP, step=1)

    sms = [e for e in world.engine.outbox.entries() if e.channel == "sms"]
    assert len(sms) >= 20 and {e.status for e in sms} == {"sent"}, "everything delivered, nothing dead"
    failed = [r for r in world.http.requests if r.path == "/sms" and r.status == 500]
    # three failures in a row make it down; from then on one probe at a time, never sooner than PROBE_BASE
    probes = failed[3:]
    assert all(b.at - a.at >= PROBE_BASE for a, b in itertools.pairwise(probes)), \
        [round(r.at - T0) for r in failed]
    assert len(failed) <= 3 + OUTAGE / PROBE_BASE
    assert len({r.json()["ref"] for r in probes}) <= 2, "the probe is one real message (the oldest waiting)"

    delivered = world.sms()
    recovered_at = delivered[0].at if delivered[0].at >= T0 + OUTAGE else min(
        r.at for r in delivered if r.at >= T0 + OUTAGE)
    assert recovered_at <= T0 + OUTAGE + PROBE_CAP, "the first probe after the outage went through"
    queued_before = {e.key for e in sms if e.created_at < recovered_at}
    late = [r for r in delivered if r.json()["ref"] in queued_before and r.at > recovered_at + 1]
    assert late == [], "no message waited for its own backoff once the gateway answered"

    created = {e.key: (e.created_at, e.id) for e in sms}
    per_recipient: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for r in delivered:
        per_recipient[r.json()["to"]].append(created[r.json()["ref"]])
    for to, order in per_recipient.items():
        assert order == sorted(order), f"{to} got their pages out of order"

    down = [r for r in caplog.records if r.levelno == logging.WARNING and "channel sms is down" in r.getMessage()]
    up = [r for r in caplog.records if r.levelno == logging.INFO and "channel sms is up again" in r.getMessage()]
    assert len(down) == 1 and len(up) == 1, [r.getMessage() for r in caplog.records]
    assert not [r for r in caplog.records if r.levelno >= logging.INFO and "retry" in r.getMessage()], \
        "no line per retry"
    assert _channel_up(world)["sms"] == 1.0


async def test_a_message_held_past_max_retry_time_hands_over_to_the_next_contact(make_world: WorldFactory) -> None:
    world = make_world(routes=BY_SITE, notifications={"renotify_acknowledged": "2h", "max_retry_time": "3m"})
    world.http.fail_with(500, path="/sms")  # the gateway stays down
    world.open("BTS-00")
    await world.run_until(T0 + 5 * MIN, step=1)
    first = next(e for e in world.engine.outbox.entries() if e.channel == "sms")
    assert first.status == "dead" and "HTTP 500" in first.last_error
    assert first.finished_at is not None and first.first_attempt_at is not None
    assert first.finished_at - first.first_attempt_at <= 3 * MIN, "given up within max_retry_time"
    assert world.mail_to("an@noc.example"), "email still reached the on-call"
