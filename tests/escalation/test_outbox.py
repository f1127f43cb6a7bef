"""The outbox against a real SMS gateway stand-in on 127.0.0.1 that fails in the ways gateways
do: every message delivered after an outage and none twice, Retry-After honoured, permanent
failures and exhausted retries handed to the person's next contact (and then the next level),
per-channel rate limits. Counted at the receiver."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest

from sitewatch.notify.model import Contact, Message, MessageKind
from sitewatch.store.outbox import OutboxItem
from tests.escalation.conftest import MIN, T0, World, WorldFactory

AN, BINH, CUONG = "+84901000001", "+84901000002", "+84901000003"


async def test_gateway_down_ten_minutes_every_message_delivered_after_recovery_none_twice(world: World) -> None:
    world.http.fail_with(500, duration=10 * MIN, path="/sms")
    world.open("BTS-HOSP")  # paged at once, escalates every 5 min
    world.open("BTS-PK")
    world.open("BTS-01")  # two district groups, paged after 30 s
    await world.run_until(T0 + 25 * MIN)

    sms = world.engine.outbox.entries()
    sms = [e for e in sms if e.channel == "sms"]
    created_in_outage = {e.key for e in sms if e.created_at < T0 + 10 * MIN}
    assert len(created_in_outage) == 7  # 3 pages and 3 reminders to an, the hospital's level 2 (binh)
    assert {e.status for e in sms} == {"sent"}, "nothing lost, nothing dead"
    delivered = Counter(r.json()["ref"] for r in world.sms())
    assert set(delivered) == {e.key for e in sms}
    assert set(delivered.values()) == {1}, "none twice"
    failed = [r for r in world.http.requests if r.path == "/sms" and r.status == 500]
    assert failed and all(r.at < T0 + 10 * MIN for r in failed)
    first_ok = {r.json()["ref"]: r.at for r in reversed(world.sms())}
    assert all(T0 + 10 * MIN <= first_ok[k] <= T0 + 15 * MIN for k in created_in_outage), \
        "delivered after recovery, within one capped backoff"
    assert (world.metric("sitewatch_notifications_total", channel="sms", result="retry") or 0) >= len(failed) - 1
    assert world.metric("sitewatch_dead_letters_total") == 0
    assert len(world.mail_to("an@noc.example")) == 3, "email was never down"


async def test_429_retry_after_is_honoured(world: World) -> None:
    world.http.fail_with(429, count=1, path="/sms", headers={"Retry-After": "120"})
    world.open("BTS-HOSP")
    await world.run_until(T0 + 3 * MIN)
    tries = [r for r in world.http.requests if r.path == "/sms" and r.json()["to"] == AN]
    assert [r.status for r in tries] == [429, 200]
    assert 120 <= tries[1].at - tries[0].at <= 125
    assert tries[0].json()["ref"] == tries[1].json()["ref"], "the same idempotency key on the retry"


async def test_a_permanent_failure_hands_over_to_the_persons_next_contact(make_world: WorldFactory) -> None:
    def email_later(people: dict[str, Any]) -> dict[str, Any]:
        people["an"]["rules"] = [{"contact": 0}, {"contact": 1, "after": "10m"}]  # email only if still needed
        return people

    world = make_world(people=email_later)
    world.http.fail_with(400, path="/sms", json={"error": "invalid number"})
    world.open("BTS-HOSP")
    await world.settle()
    assert world.mail_to("an@noc.example") != [], "the email due in 10 min went at once"
    [sms] = [e for e in world.engine.deliveries("g1") if e.channel == "sms"]
    assert sms.status == "dead" and "400" in sms.last_error
    assert world.metric("sitewatch_dead_letters_total") == 1
    assert any(ev.kind == "fallback" for ev in world.engine.history("g1"))
    assert world.sms_to(BINH) == [], "an was reached by email: no early escalation"


async def test_when_every_contact_of_a_level_fails_the_next_level_is_paged_at_once(make_world: WorldFactory) -> None:
    world = make_world(policies={"bts-battery": {"levels": [{"notify": [{"roster": "directors"}], "wait": "30m"},
                                                            {"notify": [{"roster": "gialai"}], "wait": "30m"}]}})
    world.http.fail_with(400, count=1, path="/sms")  # cuong's only contact refuses
    world.open("BTS-HOSP")
    await world.settle()
    assert [r.json()["ref"] for r in world.sms()] == ["g1/page/L1R0/binh/c0"]
    assert world.sms_to(BINH)[0].at == T0
    kinds = [ev.kind for ev in world.engine.history("g1")]
    assert kinds.count("skipped") == 1 and "unreachable" in kinds
    assert world.engine.escalation("g1").level == 1


async def test_retries_end_after_max_retry_time_with_a_dead_letter(make_world: WorldFactory) -> None:
    world = make_world(notifications={"max_retry_time": "10m", "renotify_acknowledged": None})
    world.http.fail_with(500, path="/sms")  # for good
    world.open("BTS-HOSP")
    await world.run_until(T0 + 12 * MIN)
    page = next(e for e in world.engine.deliveries("g1") if e.key == "g1/page/L0R0/an/c0")
    assert page.status == "dead" and page.last_error.startswith("gave up after")
    assert page.finished_at is not None and T0 + 5 * MIN < page.finished_at <= T0 + 10 * MIN
    attempts = [r for r in world.http.requests if r.path == "/sms" and r.json()["ref"] == page.key]
    assert len(attempts) == page.attempts >= 5
    gaps = [b.at - a.at for a, b in itertools.pairwise(attempts)]
    assert gaps == sorted(gaps), "backoff grows"
    registry = CollectorRegistry()
    registry.register(world.engine.collector())
    text = generate_latest(registry).decode()
    assert 'sitewatch_notifications_total{channel="sms",result="dead_letter"} 1.0' in text
    assert "sitewatch_dead_letters_total " in text and 'sitewatch_escalation_level_reached_total{level="1"} 1.0' in text
    assert "sitewatch_outbox_depth " in text and "sitewatch_time_to_acknowledge_seconds_bucket" in text


def _message(n: int) -> Message:
    return Message(kind=MessageKind.TEST, language="en", subject=f"test {n}", short=f"test {n}", text=f"test {n}")


async def test_rate_limit_spaces_sends_on_one_channel(make_world: WorldFactory) -> None:
    world = make_world(channels=lambda channels: {**channels, "hook": {**channels["hook"], "rate_limit": 2}})
    outbox = world.engine.outbox
    outbox.enqueue([OutboxItem(key=f"test/{n}", contact=Contact(channel="hook", address=""), message=_message(n),
                               due_at=T0) for n in range(8)])
    outbox.enqueue([OutboxItem(key="test/sms", contact=Contact(channel="sms", address=AN), message=_message(99),
                               due_at=T0)])
    while outbox.depth():
        await world.engine.worker.send_due()
        world.clock.advance(0.05)
    hook = world.http.delivered("/hook")
    assert [r.json()["key"] for r in hook] == [f"test/{n}" for n in range(8)]
    times = [round(r.at - T0, 2) for r in hook]
    assert times[:2] == [0.0, 0.0], "a burst of two"
    assert all(0.5 - 1e-9 <= b - a <= 0.55 + 1e-9 for a, b in itertools.pairwise(times[1:])), times
    assert world.sms()[0].at == T0, "another channel is not held up"


async def test_a_cancelled_delivery_is_never_sent(world: World) -> None:
    outbox = world.engine.outbox
    incident = world.open("BTS-HOSP")
    [e] = world.engine.escalations_of(incident.id)
    assert outbox.cancel(e.id, [MessageKind.PAGE], world.clock.time()) == 2  # an: SMS, email; nothing sent yet
    await world.settle()
    assert world.sms() == [] and world.smtp.messages == []
    assert world.metric("sitewatch_notifications_total", channel="sms", result="cancelled") == 1


async def test_a_hanging_channel_does_not_hold_up_the_others(make_world: WorldFactory) -> None:
    def slow_email(channels: dict[str, Any]) -> dict[str, Any]:
        channels["email"]["settings"]["timeout"] = 1.5
        return channels

    world = make_world(channels=slow_email)
    world.smtp.fail_with("timeout", count=1)  # the mail server accepts the message and says nothing
    worker = asyncio.create_task(world.engine.run())
    try:
        world.open("BTS-HOSP")  # an: SMS and email
        await world.http.wait_for(1, path="/sms", within=1.0)
        world.engine.notify_shift("cuong", "directors", T0 + 60, T0 + 3600)  # an SMS queued meanwhile
        started = time.monotonic()
        await world.http.wait_for(2, path="/sms", within=1.0)
        assert time.monotonic() - started < 0.5, "the SMS lane does not wait for the hanging email"
        assert [e.status for e in world.engine.outbox.entries() if e.channel == "email"] == ["pending"]
    finally:
        await world.engine.stop()  # waits for the email attempt to time out and be recorded
        await worker
    [email] = [e for e in world.engine.outbox.entries() if e.channel == "email"]
    assert email.status == "pending" and email.attempts == 1 and "no answer" in email.last_error
    assert email.due_at > T0, "retried later, with backoff"
