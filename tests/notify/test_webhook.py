"""Generic webhook: the receiver can verify the signature and dedupe on the key."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac

from sitewatch.notify.webhook import SIGNATURE_HEADER
from tests.notify.cases import ACK_URL, VIETNAMESE, open_notifier, page
from tests.notify.receivers import CaptureServer

SECRET = "hmac-K3y-never-shown"


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does, written from the header's documented format, not our code."""
    scheme, _, digest = header.partition("=")
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return scheme == "sha256" and hmac.compare_digest(digest, expected)


async def test_the_receiver_verifies_the_signature_and_reads_the_incident(capture: CaptureServer) -> None:
    settings = {"url": f"{capture.url}/noc/hook", "headers": {"X-Api-Key": "{secret:key}", "X-Team": "gia-lai"}}
    async with open_notifier("webhook", settings, {"hmac_secret": SECRET, "key": "k-123"}) as n:
        await n.send(page("an@example.vn", key="inc-17/L1/an/hook/page"))
    [r] = capture.requests
    assert r.method == "POST" and r.path == "/noc/hook"
    assert verify(SECRET, r.body, r.headers[SIGNATURE_HEADER.lower()])
    assert not verify(SECRET, r.body.replace(b"Pleiku", b"Kbang"), r.headers[SIGNATURE_HEADER.lower()])
    assert not verify("another key", r.body, r.headers[SIGNATURE_HEADER.lower()])
    assert r.headers["idempotency-key"] == "inc-17/L1/an/hook/page"
    assert r.headers["x-api-key"] == "k-123" and r.headers["x-team"] == "gia-lai"
    doc = r.json()
    assert doc["kind"] == "page" and doc["language"] == "vi" and doc["ack_url"] == ACK_URL
    assert VIETNAMESE in doc["subject"] and VIETNAMESE.encode() in r.body  # UTF-8, not \\u escapes
    assert doc["data"]["site"] == "GL-BTS-0042" and doc["data"]["battery_runtime_seconds"] == 8100
    assert doc["recipient"] == {"channel": "chan", "address": "an@example.vn", "person": "an"}


async def test_unsigned_without_a_secret_and_structured_data_serialised(capture: CaptureServer) -> None:
    import datetime as dt
    import enum

    class Level(enum.Enum):
        DISTRICT = "district"

    delivery = page()
    message = dataclasses.replace(delivery.message, data={
        "since": dt.datetime(2025, 3, 1, 2, 14, tzinfo=dt.timezone(dt.timedelta(hours=7))), "level": Level.DISTRICT,
        "paged": ("an", "binh")})
    async with open_notifier("webhook", {"url": capture.url}) as n:
        await n.send(dataclasses.replace(delivery, message=message))
    [r] = capture.requests
    assert SIGNATURE_HEADER.lower() not in r.headers
    assert r.json()["data"] == {"since": "2025-03-01T02:14:00+07:00", "level": "district", "paged": ["an", "binh"]}
