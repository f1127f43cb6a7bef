"""Issue 5's acceptance, end to end: a BTS loses mains → the district on-call gets an SMS and an
email with a working ack link → nobody acknowledges → after the wait the next level is paged →
POSTing the link's confirm acknowledges and stops escalation → mains restored → resolution
messages. Real SMS-gateway and SMTP receivers on 127.0.0.1, the real ack page (ASGI)."""

from __future__ import annotations

import re

import httpx
from starlette.applications import Starlette

from sitewatch.core.conditions import Condition
from sitewatch.core.incident import IncidentState
from sitewatch.escalation.state import Status
from sitewatch.incidents.acks import IncidentAcks
from sitewatch.messages.acklinks import AckSigner
from sitewatch.web.ack import ack_routes
from tests.escalation.conftest import MIN, T0, World, WorldFactory

AN, BINH, CUONG = "+84901000001", "+84901000002", "+84901000003"
LINK = re.compile(r"http://127\.0\.0\.1:9641/ack/[A-Za-z0-9_-]+")


def _kinds(world: World, number: str) -> list[str]:
    return [r.json()["ref"].split("/")[1] for r in world.sms_to(number)]


async def test_mains_lost_page_escalate_ack_by_link_resolve(make_world: WorldFactory) -> None:
    signer = AckSigner(b"0123456789abcdef0123456789abcdef", ttl=86400)
    world = make_world(signer=signer)
    acks = IncidentAcks(world.service, world.engine.group_incidents)
    app = Starlette(routes=ack_routes(signer_getter=lambda: signer, acknowledge=acks.acknowledge,
                                      describe=acks.describe, now=world.clock.time))

    mains = world.open("BTS-PK", Condition.MAINS_LOST)
    battery = world.open("BTS-PK", Condition.ON_BATTERY)
    await world.run_until(T0 + 30)
    [sms] = world.sms_to(AN)
    an_link = LINK.search(sms.json()["text"])
    assert an_link is not None, sms.json()["text"]
    [mail] = [m for m in world.smtp.messages if "an@noc.example" in m.rcpt_tos]
    assert LINK.search(mail.message.get_body(preferencelist=("plain",)).get_content())

    await world.run_until(T0 + 30 + 10 * MIN)  # nobody acknowledged: the provincial duty officer
    assert _kinds(world, BINH) == ["page"]
    found = LINK.search(world.sms_to(BINH)[0].json()["text"])
    assert found is not None
    link = found.group(0)
    assert link != an_link.group(0), "each person has their own link"

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:9641") as web:
        page = await web.get(link)  # a link scanner prefetching it acknowledges nothing
        assert page.status_code == 200 and 'name="token"' in page.text
        assert world.store.get_incident(mains.id).state is IncidentState.OPEN
        world.clock.advance(60)
        token = link.rsplit("/", 1)[1]
        done = await web.post(link, data={"token": token})
        assert done.status_code == 200
    assert {world.store.get_incident(i.id).state for i in (mains, battery)} == {IncidentState.ACKNOWLEDGED}
    assert world.store.get_incident(mains.id).acknowledged_by == "binh (ack link)"
    await world.settle()
    [e] = world.engine.state.unresolved()
    assert e.status is Status.ACKNOWLEDGED and e.acknowledged_by == "binh"
    assert _kinds(world, AN)[-1] == "ack"
    before = len(world.sms()), len(world.smtp.messages)
    await world.run_until(T0 + 60 * MIN, step=30)
    assert (len(world.sms()), len(world.smtp.messages)) == before, "nothing after the acknowledgement"
    assert world.sms_to(CUONG) == []

    world.clear("BTS-PK", Condition.MAINS_LOST)
    world.clear("BTS-PK", Condition.ON_BATTERY)
    await world.settle()
    assert _kinds(world, AN)[-1] == "resolved" and _kinds(world, BINH) == ["page", "resolved"]
