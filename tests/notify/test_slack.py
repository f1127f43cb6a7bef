"""Slack/Mattermost incoming webhook: one payload both accept."""

from __future__ import annotations

import dataclasses

from sitewatch.notify.model import MessageKind
from tests.notify.cases import ACK_URL, SITE, VIETNAMESE, open_notifier, page
from tests.notify.receivers import CaptureServer


async def test_payload_both_slack_and_mattermost_accept(capture: CaptureServer) -> None:
    hook = f"{capture.url}/hooks/xoxb-path-token"
    async with open_notifier("slack", {"username": "sitewatch", "icon_emoji": ":rotating_light:"}, {"url": hook}) as n:
        await n.send(page("#noc-gialai"))
        d = page()
        await n.send(dataclasses.replace(d, message=dataclasses.replace(d.message, kind=MessageKind.RESOLVED,
                                                                        ack_url=None)))
    first, second = (r.json() for r in capture.requests)
    assert capture.requests[0].path == "/hooks/xoxb-path-token"
    assert set(first) == {"text", "attachments", "channel", "username", "icon_emoji"}  # no blocks
    assert first["channel"] == "#noc-gialai" and first["username"] == "sitewatch"
    assert first["text"] == f"[SỰ CỐ] {SITE}: {VIETNAMESE}\nXác nhận: {ACK_URL}"  # a bare URL: both link it
    [att] = first["attachments"]
    assert att["title_link"] == ACK_URL and att["color"] == "#d00000" and VIETNAMESE in att["text"]
    assert "channel" not in second  # no address: the hook's own channel
    assert second["attachments"][0]["color"] == "#2eb886" and "title_link" not in second["attachments"][0]
    assert ACK_URL not in second["text"]
