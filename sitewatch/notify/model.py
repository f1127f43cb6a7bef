"""What a channel is asked to deliver, and how it answers.

    escalation ──▶ Delivery (message + contact + idempotency key) ──▶ outbox ──▶ Notifier.send()

A notifier sends **once** and classifies the outcome: it returns normally on success, raises
``RetryableSendError`` (timeouts, 5xx, 429 with ``retry_after``) or ``PermanentSendError``
(4xx, bad address). Retries, backoff, rate limits, the durable outbox and metrics live around
it, never inside. Error text never contains a secret (token, password, HMAC key).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["Contact", "Delivery", "Message", "MessageKind", "Notifier"]


class MessageKind(enum.Enum):
    PAGE = "page"  #: a new incident (or group) for this escalation level
    UPDATE = "update"  #: more sites joined a group already paged, or a significant change
    REMINDER = "reminder"  #: a personal repeat (not acknowledged yet) or an acknowledged incident still open
    RESOLVED = "resolved"  #: to everyone who was paged
    ACKNOWLEDGED = "acknowledged"  #: tells the others someone took it
    SHIFT = "shift"  #: your on-call shift starts
    TEST = "test"


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """A rendered message in the recipient's language. Channels pick the form they need."""

    kind: MessageKind
    language: str  #: "vi" or "en"
    subject: str  #: email subject / chat title
    short: str  #: SMS text: site, condition, since, battery left, ack link; as few segments as possible
    text: str  #: full plain text (email body, chat)
    html: str | None = None  #: optional HTML email body
    ack_url: str | None = None  #: the signed acknowledge link for this recipient
    #: structured data for machine receivers (webhook JSON, Alertmanager labels/annotations)
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    """One way to reach one person (or a machine endpoint) through a configured channel."""

    channel: str  #: name of a configured channel (``channels:`` in the config)
    address: str  #: phone number, email address, Telegram chat id, or "" for URL-only channels
    person: str | None = None  #: person id, if a person


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """One message to one contact. ``key`` is the idempotency key (incident or group, level,
    recipient, channel, message kind): the outbox never sends the same key twice."""

    key: str
    contact: Contact
    message: Message


class Notifier(Protocol):
    """One configured channel. ``send`` delivers once or raises a ``SendError`` subclass."""

    name: str

    async def send(self, delivery: Delivery) -> None:
        ...

    async def close(self) -> None:
        ...
