"""What the daemon calls besides the pipeline: shift notices, config reload, pruning, metrics."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from sitewatch.config.schema import Config
from sitewatch.messages.context import MessageContext
from sitewatch.notify.model import Message, MessageKind
from sitewatch.notify.registry import build_notifiers
from sitewatch.oncall.schedule import who_is_on_call
from tests.escalation.conftest import MIN, T0, World

AN, CUONG = "+84901000001", "+84901000003"


async def test_a_shift_notice_goes_once_to_the_first_contact(world: World) -> None:
    start, end = T0 + 60, T0 + 60 + 12 * 3600
    assert world.engine.notify_shift("an", "chuse", start, end)
    assert not world.engine.notify_shift("an", "chuse", start, end), "the same shift start is told once"
    assert not world.engine.notify_shift("dung", "ghost", start, end), "no contact: nothing queued"
    await world.settle()
    [sms] = world.sms_to(AN)
    assert sms.json()["ref"] == f"shift/chuse/an/{start:.0f}/c0"
    assert world.smtp.messages == [], "the first contact only"


async def test_a_reload_keeps_the_running_policy_and_uses_new_channels(world: World) -> None:
    incident = world.open("BTS-HOSP")
    await world.settle()
    # the new config: 30 min waits, and the SMS gateway renamed; the running escalation keeps 5 min
    doc = world.config.model_dump(mode="json", by_alias=True)
    doc["policies"]["bts-battery"]["levels"][0]["wait"] = 1800
    doc["channels"]["sms2"] = doc["channels"].pop("sms")
    for person in doc["people"].values():
        for c in person["contacts"]:
            c["channel"] = "sms2" if c["channel"] == "sms" else c["channel"]
    new = Config.model_validate(doc)
    world.engine.set_config(new, build_notifiers(new))  # the old notifiers close before the next pass
    await world.run_until(T0 + 5 * MIN)
    [e] = world.engine.escalations_of(incident.id)
    assert e.level == 1, "the snapshot's 5 min wait, not the reloaded 30 min"
    assert [x.channel for x in world.engine.deliveries(e.key) if x.person == "binh"] == ["sms2", "email"]


async def test_prune_forgets_old_finished_deliveries_only(world: World) -> None:
    world.open("BTS-HOSP")
    await world.settle()
    world.clock.advance(31 * 86400)
    assert world.engine.prune() == 2  # an's SMS and email, sent a month ago
    assert world.engine.outbox.entries(status="sent") == []
    assert world.engine.outbox.depth() == 0


async def test_the_collector_exposes_the_self_metrics(world: World) -> None:
    incident = world.open("BTS-HOSP")
    await world.settle()
    world.clock.advance(90)
    world.service.acknowledge(incident.id, "an")
    registry = CollectorRegistry()
    registry.register(world.engine.collector())
    text = generate_latest(registry).decode()
    for line in ('sitewatch_notifications_total{channel="sms",result="sent"} 1.0',
                 'sitewatch_notifications_total{channel="email",result="sent"} 1.0',
                 "sitewatch_outbox_depth 0.0", "sitewatch_dead_letters_total 0.0",
                 'sitewatch_escalation_level_reached_total{level="1"} 1.0',
                 'sitewatch_time_to_acknowledge_seconds_bucket{le="60.0"} 0.0',
                 'sitewatch_time_to_acknowledge_seconds_bucket{le="120.0"} 1.0',
                 "sitewatch_time_to_acknowledge_seconds_count 1.0", "sitewatch_time_to_acknowledge_seconds_sum 90.0",
                 "sitewatch_escalation_audit_overdue_total 0.0", "sitewatch_route_unmatched_total 0.0"):
        assert line in text, line


async def test_a_page_goes_out_even_when_rendering_and_a_roster_lookup_fail(world: World,
                                                                            caplog: pytest.LogCaptureFixture) -> None:
    def broken_renderer(ctx: MessageContext, language: str, kind: MessageKind) -> Message:
        raise KeyError("template")

    def broken_roster(config: Config, roster: str, at: float) -> tuple[str, ...]:
        if roster == "chuse":
            raise ValueError("bad rotation")
        return who_is_on_call(config, roster, at)

    world.engine.composer.renderer = broken_renderer
    world.engine.pipeline.on_call = broken_roster
    world.open("BTS-HOSP")
    await world.settle()
    # level 1's roster cannot be read: recorded, and level 2 is paged at once, with a bare message
    [sms] = world.sms()
    assert sms.json()["to"] == "+84901000002" and sms.json()["text"].startswith("sitewatch page: BTS-HOSP on_battery")
    assert ("unreachable", "roster chuse: lookup failed: bad rotation") in [
        (e.kind, e.text) for e in world.engine.history("g1")]
    assert "rendering a page message for binh failed" in caplog.text


async def test_every_series_the_config_allows_is_there_at_zero_before_anything_happens(world: World) -> None:
    # as Alertmanager initialises its integrations: rate() and "any dead letter" alerts work from the start
    results = ("sent", "retry", "dead_letter", "cancelled")
    for channel in world.config.channels:
        for result in results:
            assert world.metric("sitewatch_notifications_total", channel=channel, result=result) == 0, (channel, result)
    longest = max(len(p.levels) for p in world.config.policies.values())
    for name in ("sitewatch_escalation_level_reached_total", "sitewatch_escalation_level_unreachable_total"):
        assert world.by_label(name, "level") == {str(n): 0 for n in range(1, longest + 1)}
    for name in ("sitewatch_dead_letters_total", "sitewatch_escalation_audit_overdue_total",
                 "sitewatch_route_unmatched_total", "sitewatch_time_to_acknowledge_seconds_count"):
        assert world.metric(name) == 0, name

    doc = world.config.model_dump(mode="json", by_alias=True)
    doc["channels"]["sms2"] = doc["channels"]["sms"]
    new = Config.model_validate(doc)
    world.engine.set_config(new, build_notifiers(new))
    assert world.by_label("sitewatch_channel_up", "channel")["sms2"] == 1
    assert {r: world.metric("sitewatch_notifications_total", channel="sms2", result=r) for r in results} == \
        dict.fromkeys(results, 0)


async def test_the_exposition_has_no_created_series(world: World) -> None:
    registry = CollectorRegistry()
    registry.register(world.engine.collector())
    assert "_created" not in generate_latest(registry).decode()
