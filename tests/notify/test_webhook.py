"""Generic webhook: the receiver can verify the signature and dedupe on the key."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import time

from sitewatch.notify.webhook import SIGNATURE_HEADER, TOLERANCE
from tests.notify.cases import ACK_URL, VIETNAMESE, open_notifier, page
from tests.notify.receivers import CaptureServer

SECRET = "hmac-K3y-never-shown"


def verify(secret: str, body: bytes, header: str, now: float) -> bool:
    """What a receiver does, written from the documented format and window, not our code:
    ``t=<unix>,v1=<hex>``, hex = HMAC-SHA256(secret, f"{t}." + body), |now - t| <= 300 s."""
    fields = dict(part.partition("=")[::2] for part in header.split(","))
    try:
        t = int(fields["t"])
    except (KeyError, ValueError):
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(fields.get("v1", ""), expected) and abs(now - t) <= TOLERANCE


async def test_the_receiver_verifies_the_signature_and_reads_the_incident(capture: CaptureServer) -> None:
    settings = {"url": f"{capture.url}/noc/hook", "headers": {"X-Api-Key": "{secret:key}", "X-Team": "gia-lai"}}
    async with open_notifier("webhook", settings, {"hmac_secret": SECRET, "key": "k-123"}) as n:
        await n.send(page("an@example.vn", key="inc-17/L1/an/hook/page"))
    received = time.time()
    [r] = capture.requests
    assert r.method == "POST" and r.path == "/noc/hook"
    signature = r.headers[SIGNATURE_HEADER.lower()]
    assert verify(SECRET, r.body, signature, received)
    assert not verify(SECRET, r.body.replace(b"Pleiku", b"Kbang"), signature, received)
    assert not verify("another key", r.body, signature, received)
    assert r.headers["idempotency-key"] == "inc-17/L1/an/hook/page"
    assert r.headers["x-api-key"] == "k-123" and r.headers["x-team"] == "gia-lai"
    doc = r.json()
    assert doc["kind"] == "page" and doc["language"] == "vi" and doc["ack_url"] == ACK_URL
    assert VIETNAMESE in doc["subject"] and VIETNAMESE.encode() in r.body  # UTF-8, not \\u escapes
    assert doc["data"]["site"] == "GL-BTS-0042" and doc["data"]["battery_runtime_seconds"] == 8100
    assert doc["recipient"] == {"channel": "chan", "address": "an@example.vn", "person": "an"}


async def test_a_captured_request_replayed_later_fails_the_documented_check(capture: CaptureServer) -> None:
    async with open_notifier("webhook", {"url": f"{capture.url}/noc/hook"}, {"hmac_secret": SECRET}) as n:
        await n.send(page(key="inc-17/L1/noc/hook/page"))
        await n.send(page(key="inc-17/L1/noc/hook/page"))  # a retry: same key, signed anew
    received = time.time()
    first, retry = capture.requests
    signature = first.headers[SIGNATURE_HEADER.lower()]
    [signed_at] = re.findall(r"(?:^|,)t=(\d+)(?:,|$)", signature)
    assert abs(int(signed_at) - received) <= 5  # the moment of sending
    assert verify(SECRET, first.body, signature, received)
    assert verify(SECRET, retry.body, retry.headers[SIGNATURE_HEADER.lower()], received)
    # the attacker resends the captured request as is, after the window: refused
    assert not verify(SECRET, first.body, signature, int(signed_at) + TOLERANCE + 1)
    # or with a fresh timestamp in the header: the signature no longer matches
    fresh = signature.replace(f"t={signed_at}", f"t={int(signed_at) + 600}")
    assert not verify(SECRET, first.body, fresh, int(signed_at) + 600)


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
