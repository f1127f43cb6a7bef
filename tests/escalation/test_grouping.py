"""A district blackout: 40 BTS go on battery within minutes. The on-call gets one grouped page per
group window (not 40 SMS), late sites join with one update at the group interval, one
acknowledgement through the group's link covers them all, one resolution message ends it."""

from __future__ import annotations

from collections import Counter

from sitewatch.core.incident import IncidentState
from sitewatch.escalation.state import Status
from tests.escalation.conftest import MIN, T0, World

AN, BINH = "+84901000001", "+84901000002"


def sms_kinds(world: World, number: str) -> Counter[str]:
    return Counter(r.json()["ref"].split("/")[1] for r in world.sms_to(number))


async def test_forty_sites_one_grouped_page_then_one_update(world: World) -> None:
    first = []
    for i in range(30):  # the first 30 within 15 s
        first.append(world.open(f"BTS-{i:02d}"))
        await world.run_until(world.clock.time() + 0.5, step=0.5)
    hospital = world.open("BTS-HOSP")  # its own route: paged at once, on its own
    await world.settle()
    assert sms_kinds(world, AN) == {"page": 1}, "the hospital site, not the district group yet"
    assert "BTS-HOSP" in world.sms_to(AN)[0].json()["text"]

    await world.run_until(T0 + 30)  # group wait over: one page for the 30 sites, by SMS and by email
    assert sms_kinds(world, AN) == {"page": 2}
    group_sms = world.sms_to(AN)[1].json()
    assert group_sms["ref"].startswith("g1/page/") and "30" in group_sms["text"]
    [group_mail] = [m for m in world.smtp.messages if "BTS-HOSP" not in m.message.get_body().get_content()]
    body = group_mail.message.get_body(preferencelist=("plain",)).get_content()
    assert all(f"BTS-{i:02d}" in body for i in range(30)) and "BTS-35" not in body

    late = []
    for i in range(30, 40):  # ten more sites over the next minutes
        await world.run_until(T0 + 60 + (i - 30) * 15)
        late.append(world.open(f"BTS-{i:02d}"))
    await world.run_until(T0 + 30 + 5 * MIN - 5)
    assert sms_kinds(world, AN)["update"] == 0, "updates wait for the group interval"
    await world.run_until(T0 + 30 + 5 * MIN)  # one update listing the newcomers
    assert sms_kinds(world, AN)["update"] == 1
    assert len(world.mail_to("an@noc.example")) == 3  # hospital page, group page, group update
    update = next(e for e in world.engine.deliveries("g1") if e.kind.value == "update" and e.channel == "email")
    assert update.message.data["new_incident_ids"] == sorted(i.id for i in late)
    assert all(f"BTS-{i:02d}" in update.message.text for i in range(30, 40))

    await world.run_until(T0 + 30 + 10 * MIN)  # nobody acknowledged: level 2 gets one page with all 40
    assert sms_kinds(world, BINH)["page"] == 2  # the hospital's level 2 came at 5 min; the group's now
    assert len(world.engine.group_incidents("g1")) == 40

    acked = world.engine.acknowledge_group("g1", "binh")  # the group's ack link
    assert sorted(acked) == sorted(i.id for i in first + late)
    assert all(world.store.get_incident(i).state is IncidentState.ACKNOWLEDGED for i in acked)
    assert world.store.get_incident(hospital.id).state is IncidentState.OPEN
    await world.settle()
    assert world.engine.escalation("g1").status is Status.ACKNOWLEDGED
    before = sms_kinds(world, AN)
    await world.run_until(T0 + 60 * MIN, step=30)
    after = sms_kinds(world, AN)
    assert after["page"] == before["page"] and after["update"] == before["update"] == 1

    for i in range(40):  # mains back, site by site: one resolution message per person, not 40
        world.clear(f"BTS-{i:02d}")
    await world.settle()
    assert sms_kinds(world, AN)["resolved"] == 1 and sms_kinds(world, BINH)["resolved"] == 1
    assert Counter(r.json()["ref"] for r in world.sms()).most_common(1)[0][1] == 1


async def test_a_site_paging_after_its_group_was_acknowledged_starts_a_new_escalation(world: World) -> None:
    a = world.open("BTS-01")
    await world.run_until(T0 + 30)
    world.engine.acknowledge_group("g1", "an")
    await world.settle()
    assert world.engine.escalation("g1").status is Status.ACKNOWLEDGED
    b = world.open("BTS-02")  # same district, after the acknowledgement: nobody has taken it yet
    await world.run_until(T0 + 60)
    assert [e.key for e in world.engine.escalations_of(b.id)] == ["g2"]
    assert sms_kinds(world, AN) == {"page": 2}
    assert world.engine.group_incidents("g1") == (a.id,)


async def test_a_site_joining_just_before_the_next_level_is_announced_to_those_already_paged(world: World) -> None:
    world.open("BTS-00")
    await world.run_until(T0 + 30)  # level 1 (an) paged
    await world.run_until(T0 + 4 * MIN)
    world.open("BTS-01")
    await world.run_until(T0 + 30 + 5 * MIN)  # the update at the group interval
    assert sms_kinds(world, AN)["update"] == 1
    await world.run_until(T0 + 6 * MIN)
    world.open("BTS-02")
    await world.run_until(T0 + 30 + 10 * MIN)  # level 2 (binh) paged with BTS-02, as an's next update falls due
    [binh_page] = world.sms_to(BINH)
    assert "BTS-02" in binh_page.json()["text"]
    assert sms_kinds(world, AN)["update"] == 2, "an still answers for the group: tell an of BTS-02"
    [news] = [r for r in world.sms_to(AN) if r.json()["ref"].startswith("g1/update/2/")]
    assert "BTS-02" in news.json()["text"]
    an_mail = [m for m in world.smtp.messages if "an@noc.example" in m.rcpt_tos][-1]
    assert "BTS-02" in an_mail.message.get_body(preferencelist=("plain",)).get_content()

    await world.run_until(T0 + 25 * MIN, step=30)  # told once each: no update repeats what a page said
    assert sms_kinds(world, AN)["update"] == 2 and sms_kinds(world, BINH)["update"] == 0


async def test_each_person_hears_of_each_site_once(world: World) -> None:
    world.open("BTS-00")
    await world.run_until(T0 + 30)
    await world.run_until(T0 + 8 * MIN)
    world.open("BTS-01")  # news for an only (binh is paged with it at 10 min 30 s)
    await world.run_until(T0 + 30 + 10 * MIN)
    await world.run_until(T0 + 12 * MIN)
    world.open("BTS-02")  # news for both: one update each
    await world.run_until(T0 + 30 + 15 * MIN)
    updates = [e for e in world.engine.deliveries("g1") if e.kind.value == "update" and e.channel == "sms"]
    told = {(e.person, tuple(e.message.data["new_incident_ids"])) for e in updates}
    ids = {i: world.store.get_incident(i).site_id for i in world.engine.group_incidents("g1")}
    assert {(p, tuple(ids[i] for i in new)) for p, new in told} == {
        ("an", ("BTS-01",)), ("an", ("BTS-02",)), ("binh", ("BTS-02",))}
