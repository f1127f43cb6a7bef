"""Slack or Mattermost incoming webhook.

Only what both accept: ``text`` plus one legacy ``attachment`` (colour by kind, the subject
as a title linked to the acknowledge page). No blocks (Mattermost ignores them), and the
acknowledge link is a bare URL in the text (both auto-link it; their link markups differ).
Every text is ``markup_safe``: what a device named an interface is shown, never obeyed.
The hook URL carries the token, so it normally comes from ``secrets.url``; a contact address,
when given, overrides the hook's channel ("#noc", "@duty-officer").
"""

from __future__ import annotations

import re
from typing import Any

from sitewatch.notify.channel import (
    ChannelSettings,
    ChannelType,
    Problem,
    Secrets,
    ack_label,
    url_from,
    url_problems,
)
from sitewatch.notify.http import HttpNotifier, json_bytes
from sitewatch.notify.model import Delivery, Message, MessageKind

__all__ = ["CHANNEL", "SlackNotifier", "SlackSettings", "markup_safe", "payload"]

_COLOURS = {MessageKind.PAGE: "#d00000", MessageKind.UPDATE: "#d00000", MessageKind.REMINDER: "#e8a317",
            MessageKind.ACKNOWLEDGED: "#e8a317", MessageKind.RESOLVED: "#2eb886"}
_MENTION = re.compile(r"@(?=(?:channel|here|all|everyone)\b)", re.IGNORECASE)


class SlackSettings(ChannelSettings):
    #: the incoming webhook URL (or ``secrets.url``, since it carries a token)
    url: str | None = None
    #: the name messages are posted as
    username: str | None = None
    #: the poster's icon, as an image URL
    icon_url: str | None = None
    #: the poster's icon, as an emoji (``:zap:``)
    icon_emoji: str | None = None


def markup_safe(text: str) -> str:
    """``text`` shown as itself by Slack and Mattermost: ``&<>`` escaped as Slack asks (so
    ``<!channel>`` and ``<url|label>`` are not a mention or a link; Mattermost's Markdown
    decodes the same entities), and a word joiner, invisible in both, breaks what Mattermost
    alone would read as markup: an ``@channel``/``@here``/``@all`` mention, a ``[label](url)`` link."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MENTION.sub("@\u2060", text).replace("](", "]\u2060(")


def payload(message: Message, channel: str, settings: SlackSettings) -> dict[str, Any]:
    """The incoming-webhook JSON for one message."""
    subject = markup_safe(message.subject)
    text = subject
    if message.ack_url:
        text += f"\n{ack_label(message.language)}: {message.ack_url}"
    attachment: dict[str, Any] = {"fallback": subject, "color": _COLOURS.get(message.kind, "#808080"),
                                  "title": subject, "text": markup_safe(message.text), "footer": "sitewatch"}
    if message.ack_url:
        attachment["title_link"] = message.ack_url
    body: dict[str, Any] = {"text": text, "attachments": [attachment]}
    extras = {"channel": channel or None, "username": settings.username, "icon_url": settings.icon_url,
              "icon_emoji": settings.icon_emoji}
    body.update({k: v for k, v in extras.items() if v})
    return body


class SlackNotifier(HttpNotifier):
    def __init__(self, name: str, settings: SlackSettings, secrets: Secrets) -> None:
        super().__init__(name, timeout=settings.timeout, secrets=secrets.values())
        self._s = settings
        self._url = url_from(settings.url, secrets)

    async def send(self, delivery: Delivery) -> None:
        body = json_bytes(payload(delivery.message, delivery.contact.address, self._s))
        response = await self.request("POST", self._url, content=body, headers={"Content-Type": "application/json"})
        self.raise_for_status(response)


def _check(settings: SlackSettings, secret_names: frozenset[str]) -> list[Problem]:
    return url_problems(settings.url, secret_names)


CHANNEL = ChannelType(name="slack", settings=SlackSettings, build=SlackNotifier, secrets=frozenset({"url"}),
                      check=_check)
