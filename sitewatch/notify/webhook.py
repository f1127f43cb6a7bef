"""Generic webhook: the whole message as JSON, for a NOC's own tooling.

    POST url
    Content-Type: application/json
    Idempotency-Key: <delivery key>           same key on every retry: the receiver can dedupe
    X-Sitewatch-Signature: sha256=<hex>       HMAC-SHA256 of the body with secrets.hmac_secret

    {"key", "kind", "language", "subject", "short", "text", "ack_url",
     "recipient": {"channel", "address", "person"}, "data": {...incident data...}}

Header values may use ``{secret:NAME}`` (an ``Authorization`` header, say); the URL may be
given as ``secrets.url`` when it carries a token.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from sitewatch.notify.channel import ChannelSettings, ChannelType, Problem, Secrets, url_from, url_problems
from sitewatch.notify.http import HttpNotifier, json_bytes
from sitewatch.notify.model import Delivery
from sitewatch.notify.template import fill, template_problems, unused_secrets

__all__ = ["CHANNEL", "SIGNATURE_HEADER", "WebhookNotifier", "WebhookSettings", "sign"]

SIGNATURE_HEADER = "X-Sitewatch-Signature"


class WebhookSettings(ChannelSettings):
    url: str | None = None
    headers: dict[str, str] = {}


def sign(secret: str, body: bytes) -> str:
    """The signature header value a receiver recomputes to check a request came from us."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


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
            headers[SIGNATURE_HEADER] = sign(self._hmac, body)
        response = await self.request("POST", self._url, content=body, headers=headers)
        self.raise_for_status(response)


def _check(settings: WebhookSettings, secret_names: frozenset[str]) -> list[Problem]:
    headers = [(("settings", "headers", k), v) for k, v in settings.headers.items()]
    return (url_problems(settings.url, secret_names) + template_problems(headers, (), secret_names)
            + unused_secrets(headers, secret_names, fixed=("hmac_secret", "url")))


CHANNEL = ChannelType(settings=WebhookSettings, build=WebhookNotifier, secrets=None, check=_check)
