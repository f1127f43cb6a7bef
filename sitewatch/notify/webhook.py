"""Generic webhook: the whole message as JSON, for a NOC's own tooling.

    POST url
    Content-Type: application/json
    Idempotency-Key: <delivery key>           same key on every retry: the receiver can dedupe
    X-Sitewatch-Signature: t=<unix seconds>,v1=<hex>   with secrets.hmac_secret

    {"key", "kind", "language", "subject", "short", "text", "ack_url",
     "recipient": {"channel", "address", "person"}, "data": {...incident data...}}

The signature (as Stripe and Slack sign theirs) is HMAC-SHA256, keyed with the secret, of the
timestamp, a full stop and the raw body: ``f"{t}.".encode() + body``. A receiver recomputes it,
compares in constant time, and refuses a request whose ``t`` is more than ``TOLERANCE`` (5
minutes) away from its own clock: a captured request replayed later fails the check. Each
attempt is signed anew (a retry carries a fresh ``t``); the ``Idempotency-Key`` stays the same,
so a receiver that also remembers keys for the 5 minutes drops a replay inside the window too.

Header values may use ``{secret:NAME}`` (an ``Authorization`` header, say); the URL may be
given as ``secrets.url`` when it carries a token.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from sitewatch.notify.channel import ChannelSettings, ChannelType, Problem, Secrets, url_from, url_problems
from sitewatch.notify.http import HttpNotifier, json_bytes
from sitewatch.notify.model import Delivery
from sitewatch.notify.template import fill, template_problems, unused_secrets

__all__ = ["CHANNEL", "SIGNATURE_HEADER", "TOLERANCE", "WebhookNotifier", "WebhookSettings", "sign"]

SIGNATURE_HEADER = "X-Sitewatch-Signature"
#: seconds a receiver accepts between the signed ``t`` and its own clock, either way
TOLERANCE = 300


class WebhookSettings(ChannelSettings):
    #: where to POST (or ``secrets.url`` if it carries a token)
    url: str | None = None
    #: extra HTTP headers (``{secret:NAME}`` placeholders allowed)
    headers: dict[str, str] = {}


def sign(secret: str, body: bytes, at: int) -> str:
    """The signature header value for ``body`` sent at ``at`` (Unix seconds)."""
    return f"t={at},v1={hmac.new(secret.encode(), f'{at}.'.encode() + body, hashlib.sha256).hexdigest()}"


def payload(delivery: Delivery) -> dict[str, Any]:
    m, c = delivery.message, delivery.contact
    return {
        "key": delivery.key, "kind": m.kind.value, "language": m.language, "subject": m.subject,
        "short": m.short, "text": m.text, "ack_url": m.ack_url,
        "recipient": {"channel": c.channel, "address": c.address, "person": c.person},
        "data": m.data,
    }


class WebhookNotifier(HttpNotifier):
    def __init__(self, name: str, settings: WebhookSettings, secrets: Secrets) -> None:
        super().__init__(name, timeout=settings.timeout, secrets=secrets.values())
        self._url = url_from(settings.url, secrets)
        self._headers = {k: fill(v, {}, secrets) for k, v in settings.headers.items()}
        self._hmac = secrets.get("hmac_secret")

    async def send(self, delivery: Delivery) -> None:
        body = json_bytes(payload(delivery))
        headers = {**self._headers, "Content-Type": "application/json", "Idempotency-Key": delivery.key}
        if self._hmac is not None:
            headers[SIGNATURE_HEADER] = sign(self._hmac, body, int(time.time()))
        response = await self.request("POST", self._url, content=body, headers=headers)
        self.raise_for_status(response)


def _check(settings: WebhookSettings, secret_names: frozenset[str]) -> list[Problem]:
    headers = [(("settings", "headers", k), v) for k, v in settings.headers.items()]
    return (url_problems(settings.url, secret_names) + template_problems(headers, (), secret_names)
            + unused_secrets(headers, secret_names, fixed=("hmac_secret", "url")))


CHANNEL = ChannelType(name="webhook", settings=WebhookSettings, build=WebhookNotifier, secrets=None, check=_check)
