"""Issue 19 item 8: the outbox holds no acknowledge link anyone could use. A local user who can
read the database file (a copy, a backup) finds only draft tokens; the link each receiver gets
is signed right before each attempt, and works."""

from __future__ import annotations

import re
import sqlite3

import pytest

from sitewatch.messages.acklinks import AckLinkError, AckSigner
from tests.escalation.conftest import T0, World, WorldFactory

AN = "+84901000001"
TOKEN = re.compile(r"/ack/([A-Za-z0-9_-]+)")
KEY = b"0123456789abcdef0123456789abcdef"


def stored_tokens(world: World) -> list[str]:
    """Every ack token in the outbox rows, read from the file as another process would."""
    with sqlite3.connect(f"file:{world.store.db.path}?mode=ro", uri=True) as db:
        rows = [m for (m,) in db.execute("SELECT message FROM notification_outbox")]
    return [t for m in rows for t in TOKEN.findall(m)]


@pytest.fixture
def signer() -> AckSigner:
    return AckSigner(KEY, ttl=86400)


async def test_the_outbox_holds_no_usable_link_and_the_receiver_gets_a_working_one(
        make_world: WorldFactory, signer: AckSigner) -> None:
    world = make_world(signer=signer)
    world.open("BTS-00")
    await world.run_until(T0 + 30)

    [sms] = world.sms_to(AN)
    sent = TOKEN.search(sms.json()["text"])
    assert sent is not None
    grant = signer.verify(sent.group(1), world.clock.time())
    assert (grant.person, grant.group) == ("an", "g1")
    assert grant.expires_at == int(world.clock.time()) + 86400, "valid for the whole ttl from when it was sent"

    stored = stored_tokens(world)
    assert stored, "the stored messages do carry a link's place (the SMS was laid out around it)"
    assert {len(t) for t in stored} == {len(sent.group(1))}, "the draft has the signed link's length"
    for t in stored:
        with pytest.raises(AckLinkError):
            signer.verify(t, world.clock.time())


async def test_each_attempt_is_signed_anew_under_the_same_idempotency_key(
        make_world: WorldFactory, signer: AckSigner) -> None:
    world = make_world(signer=signer)
    world.http.fail_with(503, count=1, path="/sms")
    world.open("BTS-00")
    await world.run_until(T0 + 30)
    await world.run_until(T0 + 5 * 60)  # the retry after backoff (before an's 5 min repeat)

    attempts = [r for r in world.http.requests if r.path.startswith("/sms") and r.json()["to"] == AN]
    first, second = attempts[0], attempts[1]
    assert first.status == 503 and second.status == 200
    assert first.json()["ref"] == second.json()["ref"], "the idempotency key stays across retries"
    tokens = [TOKEN.search(r.json()["text"]) for r in (first, second)]
    assert tokens[0] is not None and tokens[1] is not None
    later = signer.verify(tokens[1].group(1), world.clock.time())
    assert later.person == "an"
    assert tokens[0].group(1) != tokens[1].group(1), "signed when sent, not when stored"
    assert all(t not in tokens[1].group(1) for t in stored_tokens(world))
