"""The receiver against real senders: net-snmp's snmptrap/snmpinform and raw datagrams.

Every drop case is followed by a good trap, to show the receiver keeps working.
"""

from __future__ import annotations

import asyncio

from sitewatch.core.conditions import Condition
from sitewatch.core.devicetext import LIMIT
from sitewatch.traps.sources import SourceEntry, TrapSources
from tests.traps.conftest import Running
from tests.traps.peers import UPS_ON_BATTERY, encode_v2c_trap, net_snmp, send_from


async def _good_trap(rx: Running) -> None:
    before = len(rx.events)
    rc, err = await net_snmp("snmptrap", "-v2c", "-c", "c-bts1", rx.port, "", "1.3.6.1.6.3.1.1.5.1")
    assert rc == 0, err
    await rx.until(lambda: len(rx.events) == before + 1)
    assert rx.events[-1].name == "coldStart"


async def test_ups_on_battery_v2c_opens_power_conditions(rx: Running) -> None:
    rc, err = await net_snmp("snmptrap", "-v2c", "-c", "c-bts1", rx.port, "", *UPS_ON_BATTERY)
    assert rc == 0, err
    await rx.until(lambda: len(rx.events) == 1)
    event = rx.events[0]
    assert event.site_id == "BTS-1"
    assert event.name == "upsTrapOnBattery"
    assert event.trap_oid == "1.3.6.1.2.1.33.2.1"
    assert set(event.asserts) == {(Condition.ON_BATTERY, "", True), (Condition.MAINS_LOST, "", True)}
    assert event.received_at == 1_800_000_000.0
    assert event.source.startswith("127.0.0.1:")
    assert event.varbinds["1.3.6.1.2.1.33.1.2.3.0"] == "42"  # upsEstimatedMinutesRemaining
    assert "1.3.6.1.6.3.1.1.4.1.0" not in event.varbinds  # the trap OID is its own field
    assert rx.nonzero() == {"accepted": 1}


async def test_link_down_names_the_interface_by_ifname(rx: Running) -> None:
    rc, err = await net_snmp("snmptrap", "-v2c", "-c", "c-bts1", rx.port, "", "1.3.6.1.6.3.1.1.5.3",
                             "1.3.6.1.2.1.2.2.1.1.3", "i", "3", "1.3.6.1.2.1.2.2.1.7.3", "i", "1",
                             "1.3.6.1.2.1.2.2.1.8.3", "i", "2", "1.3.6.1.2.1.31.1.1.1.1.3", "s", "ge-0/0/1")
    assert rc == 0, err
    rc, err = await net_snmp("snmptrap", "-v2c", "-c", "c-bts1", rx.port, "", "1.3.6.1.6.3.1.1.5.4",
                             "1.3.6.1.2.1.2.2.1.1.7", "i", "7", "1.3.6.1.2.1.2.2.1.8.7", "i", "1")
    assert rc == 0, err
    await rx.until(lambda: len(rx.events) == 2)
    down, up = rx.events
    assert (down.name, down.asserts) == ("linkDown", ((Condition.LINK_DOWN, "ge-0/0/1", True),))
    # no ifName/ifDescr: the interface is named by its ifIndex, as the if-mib profile names it
    assert (up.name, up.asserts) == ("linkUp", ((Condition.LINK_DOWN, "7", False),))


async def test_a_hostile_interface_name_becomes_one_clean_capped_line(rx: Running) -> None:
    # any v2c sender with the site's community can name an interface anything
    hostile = b"eth10\r\nBcc: x@evil.example <!channel>\x1b[31m\xe2\x80\xae" + b"A" * 300
    rc, err = await net_snmp("snmptrap", "-v2c", "-c", "c-bts1", rx.port, "", "1.3.6.1.6.3.1.1.5.3",
                             "1.3.6.1.2.1.2.2.1.1.3", "i", "3", "1.3.6.1.2.1.2.2.1.7.3", "i", "1",
                             "1.3.6.1.2.1.2.2.1.8.3", "i", "2", "1.3.6.1.2.1.31.1.1.1.1.3", "x", hostile.hex())
    assert rc == 0, err
    await rx.until(lambda: len(rx.events) == 1)
    [(condition, subject, asserted)] = rx.events[0].asserts
    assert (condition, asserted) == (Condition.LINK_DOWN, True)
    assert subject.startswith("eth10 Bcc: x@evil.example <!channel> [31m AAAA") and subject.endswith("…")
    assert len(subject) == LIMIT and subject.isprintable()
    assert all(len(v) <= LIMIT and v.isprintable() for v in rx.events[0].varbinds.values())


async def test_alarm_table_added_and_removed(rx: Running) -> None:
    for trap in ("1.3.6.1.2.1.33.2.3", "1.3.6.1.2.1.33.2.4"):  # upsTrapAlarmEntryAdded / Removed
        rc, err = await net_snmp("snmptrap", "-v2c", "-c", "c-bts1", rx.port, "", trap,
                                 "1.3.6.1.2.1.33.1.6.2.1.1.4", "i", "4",
                                 "1.3.6.1.2.1.33.1.6.2.1.2.4", "o", "1.3.6.1.2.1.33.1.6.3.3")  # upsAlarmLowBattery
        assert rc == 0, err
    await rx.until(lambda: len(rx.events) == 2)
    assert [(e.name, e.asserts) for e in rx.events] == [
        ("upsTrapAlarmEntryAdded", ((Condition.BATTERY_LOW, "", True),)),
        ("upsTrapAlarmEntryRemoved", ((Condition.BATTERY_LOW, "", False),)),
    ]


async def test_inform_is_acknowledged_and_delivered(rx: Running) -> None:
    # snmpinform exits 0 only once the receiver's Response arrived
    rc, err = await net_snmp("snmpinform", "-v2c", "-c", "c-bts1", "-r", "0", "-t", "3", rx.port, "",
                             *UPS_ON_BATTERY)
    assert rc == 0, err
    await rx.until(lambda: len(rx.events) == 1)
    assert rx.events[0].name == "upsTrapOnBattery"
    assert rx.nonzero() == {"accepted": 1}


async def test_v1_generic_link_down_is_translated(rx: Running) -> None:
    # SNMPv1 generic-trap 2 (linkDown) with enterprise net-snmp; RFC 3584 maps it to linkDown
    rc, err = await net_snmp("snmptrap", "-v1", "-c", "c-bts1", rx.port, "1.3.6.1.4.1.8072", "127.0.0.1", "2",
                             "0", "", "1.3.6.1.2.1.2.2.1.1.2", "i", "2", "1.3.6.1.2.1.2.2.1.2.2", "s", "eth0")
    assert rc == 0, err
    await rx.until(lambda: len(rx.events) == 1)
    event = rx.events[0]
    assert event.trap_oid == "1.3.6.1.6.3.1.1.5.3"
    assert event.asserts == ((Condition.LINK_DOWN, "eth0", True),)
    # the v1 translation copies the community into snmpTrapCommunity.0: it is never shown
    assert "c-bts1" not in repr(event)
    assert "1.3.6.1.6.3.18.1.4.0" not in event.varbinds


async def test_v1_enterprise_specific_vendor_trap(rx: Running) -> None:
    # Eltek alarmACmainsTrap sent as v1: enterprise dcSystemTraps, specific 11
    rc, err = await net_snmp("snmptrap", "-v1", "-c", "c-bts1", rx.port, "1.3.6.1.4.1.12148.9.8", "127.0.0.1",
                             "6", "11", "", "1.3.6.1.4.1.12148.9.7.1.11.0", "i", "1")
    assert rc == 0, err
    await rx.until(lambda: len(rx.events) == 1)
    event = rx.events[0]
    assert event.name == "alarmACmainsTrap"
    assert set(event.asserts) == {(Condition.MAINS_LOST, "", True), (Condition.ON_BATTERY, "", True)}


async def test_wrong_community_is_dropped_and_counted(rx: Running) -> None:
    rc, _ = await net_snmp("snmptrap", "-v2c", "-c", "not-this-one", rx.port, "", *UPS_ON_BATTERY)
    assert rc == 0
    await rx.until(lambda: rx.receiver.counts["bad_community"] == 1)
    assert rx.events == []
    await _good_trap(rx)
    assert rx.nonzero() == {"bad_community": 1, "accepted": 1}


async def test_unknown_source_is_dropped_and_counted(rx: Running) -> None:
    assert rx.receiver.address is not None
    dest = ("127.0.0.1", rx.receiver.address[1])
    send_from("127.0.0.2", dest, encode_v2c_trap(b"c-bts1", "1.3.6.1.2.1.33.2.1"))
    await rx.until(lambda: rx.receiver.counts["unknown_source"] == 1)
    assert rx.events == []
    # the same datagram from the site's address is accepted: only the source differed
    send_from("127.0.0.1", dest, encode_v2c_trap(b"c-bts1", "1.3.6.1.2.1.33.2.1"))
    await rx.until(lambda: len(rx.events) == 1)
    assert rx.events[0].name == "upsTrapOnBattery"
    assert rx.nonzero() == {"unknown_source": 1, "accepted": 1}


async def test_garbage_is_counted_malformed(rx: Running) -> None:
    assert rx.receiver.address is not None
    dest = ("127.0.0.1", rx.receiver.address[1])
    good = encode_v2c_trap(b"c-bts1", "1.3.6.1.2.1.33.2.1")
    for junk in (b"hello", b"\x30\x03\x02\x01", good[:-7], b"\x30\x80" + b"\x00" * 40, good[:2] + b"\xff" + good[3:]):
        send_from("127.0.0.1", dest, junk)
    await rx.until(lambda: rx.receiver.counts["malformed"] == 5)
    await _good_trap(rx)
    assert rx.nonzero() == {"malformed": 5, "accepted": 1}


async def test_unknown_trap_is_delivered_without_asserts(rx: Running) -> None:
    rc, err = await net_snmp("snmptrap", "-v2c", "-c", "c-bts1", rx.port, "", "1.3.6.1.4.1.99999.1.2.3",
                             "1.3.6.1.4.1.99999.1.1.0", "s", "door open")
    assert rc == 0, err
    await rx.until(lambda: len(rx.events) == 1)
    event = rx.events[0]
    assert (event.name, event.asserts) == ("1.3.6.1.4.1.99999.1.2.3", ())
    assert event.varbinds["1.3.6.1.4.1.99999.1.1.0"] == "door open"
    assert rx.nonzero() == {"unknown_trap": 1}


async def test_async_callback_and_failing_callback(make_receiver) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    async def slow(event) -> None:  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.01)
        if event.name == "coldStart":
            raise RuntimeError("evaluation failed")
        seen.append(event.name)

    rx = await make_receiver(on_event=slow)
    for trap in ("1.3.6.1.6.3.1.1.5.1", "1.3.6.1.6.3.1.1.5.2"):
        rc, err = await net_snmp("snmptrap", "-v2c", "-c", "c-bts1", rx.port, "", trap)
        assert rc == 0, err
    await rx.until(lambda: seen == ["warmStart"])
    assert rx.nonzero() == {"accepted": 2}


async def test_sites_sharing_an_address_and_community_are_not_guessed(make_receiver) -> None:  # type: ignore[no-untyped-def]
    sources = TrapSources([SourceEntry(address="127.0.0.1", site_id="TWIN-1", communities=frozenset({b"same"})),
                           SourceEntry(address="127.0.0.1", site_id="TWIN-2", communities=frozenset({b"same"})),
                           SourceEntry(address="127.0.0.1", site_id="OTHER", communities=frozenset({b"own"}))])
    rx = await make_receiver(sources)
    for community in ("same", "own"):
        rc, err = await net_snmp("snmptrap", "-v2c", "-c", community, rx.port, "", *UPS_ON_BATTERY)
        assert rc == 0, err
    await rx.until(lambda: len(rx.events) == 1)
    assert rx.events[0].site_id == "OTHER"
    assert rx.nonzero() == {"ambiguous_source": 1, "accepted": 1}


async def test_update_swaps_sites_and_communities(rx: Running) -> None:
    rx.receiver.update(TrapSources([SourceEntry(address="127.0.0.1", site_id="BTS-9",
                                                communities=frozenset({b"rotated"}))]))
    for community in ("c-bts1", "rotated"):
        rc, err = await net_snmp("snmptrap", "-v2c", "-c", community, rx.port, "", *UPS_ON_BATTERY)
        assert rc == 0, err
    await rx.until(lambda: len(rx.events) == 1)
    assert rx.events[0].site_id == "BTS-9"
    assert rx.nonzero() == {"bad_community": 1, "accepted": 1}


async def test_ipv6_and_dual_stack(make_receiver) -> None:  # type: ignore[no-untyped-def]
    sources = TrapSources([SourceEntry(address="::1", site_id="V6", communities=frozenset({b"c6"})),
                           SourceEntry(address="127.0.0.1", site_id="V4", communities=frozenset({b"c4"}))])
    rx = await make_receiver(sources, listen="[::]:0")  # IPv4 senders arrive as ::ffff:127.0.0.1
    port = rx.receiver.address[1]
    for target, community in ((f"udp6:[::1]:{port}", "c6"), (f"127.0.0.1:{port}", "c4")):
        rc, err = await net_snmp("snmptrap", "-v2c", "-c", community, target, "", "1.3.6.1.6.3.1.1.5.1")
        assert rc == 0, err
    await rx.until(lambda: len(rx.events) == 2)
    assert sorted((e.site_id, e.source.rsplit(":", 1)[0]) for e in rx.events) == [("V4", "127.0.0.1"),
                                                                                 ("V6", "[::1]")]
