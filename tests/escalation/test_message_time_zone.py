"""Issue 10 item 6: messages are written in ``daemon.timezone`` and say its offset once (India's
+05:30 here, so neither the host's zone nor the Vietnamese default could pass for it)."""

from __future__ import annotations

from tests.escalation.conftest import WorldFactory


async def test_messages_are_written_in_the_daemon_zone_and_say_it(make_world: WorldFactory) -> None:
    world = make_world(daemon={"timezone": "Asia/Kolkata"})
    world.open("BTS-00")  # 2026-09-21 14:13:20 UTC: 19:43 in India, 21:13 in Gia Lai
    await world.run_until(world.clock.time() + 30)
    [sms] = world.sms_to("+84901000001")
    assert "19:43" in sms.json()["text"] and "21:13" not in sms.json()["text"]
    [mail] = [m for m in world.smtp.messages if "an@noc.example" in m.rcpt_tos]
    text = mail.message.get_body(preferencelist=("plain",)).get_content()
    assert "19:43" in text and "21:13" not in text
    assert "Giờ theo: UTC+05:30" in text
