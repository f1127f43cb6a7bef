"""SNMPv3 traps and informs from net-snmp (authPriv, SHA/AES), and what is refused."""

from __future__ import annotations

from collections.abc import Callable

from sitewatch.snmp.client import UsmAuth
from sitewatch.traps.sources import SourceEntry, TrapSources
from tests.traps.conftest import SENDER_ENGINE_ID, Running
from tests.traps.peers import UPS_ON_BATTERY, net_snmp

AUTH_PRIV = ("-v3", "-u", "noc-trap", "-l", "authPriv", "-a", "SHA", "-A", "auth-secret-1", "-x", "AES",
             "-X", "priv-secret-1")


def _with(args: tuple[str, ...], **changes: str) -> tuple[str, ...]:
    out = list(args)
    for flag, value in changes.items():
        out[out.index(f"-{flag}") + 1] = value
    return tuple(out)


async def test_v3_trap_authpriv_from_the_senders_engine(rx: Running) -> None:
    rc, err = await net_snmp("snmptrap", *AUTH_PRIV, "-e", SENDER_ENGINE_ID, rx.port, "", *UPS_ON_BATTERY)
    assert rc == 0, err
    await rx.until(lambda: len(rx.events) == 1)
    assert (rx.events[0].site_id, rx.events[0].name) == ("BTS-1", "upsTrapOnBattery")
    # a second trap from the same engine reuses the keys installed for it
    rc, err = await net_snmp("snmptrap", *AUTH_PRIV, "-e", SENDER_ENGINE_ID, rx.port, "", "1.3.6.1.6.3.1.1.5.2")
    assert rc == 0, err
    await rx.until(lambda: len(rx.events) == 2)
    assert rx.nonzero() == {"accepted": 2}


async def test_v3_inform_authpriv_is_acknowledged(rx: Running) -> None:
    # the receiver is the authoritative engine: net-snmp discovers it, then sends the inform
    rc, err = await net_snmp("snmpinform", *AUTH_PRIV, "-r", "1", "-t", "3", rx.port, "", *UPS_ON_BATTERY)
    assert rc == 0, err
    await rx.until(lambda: len(rx.events) == 1)
    assert rx.events[0].name == "upsTrapOnBattery"
    assert rx.nonzero() == {"accepted": 1}  # discovery and time sync are not counted


async def test_v3_wrong_auth_key_is_refused(rx: Running) -> None:
    rc, err = await net_snmp("snmpinform", *_with(AUTH_PRIV, A="wrong-secret-1"), "-r", "0", "-t", "1", rx.port,
                             "", *UPS_ON_BATTERY)
    assert rc != 0
    assert "Authentication failure" in err
    rc, _ = await net_snmp("snmptrap", *_with(AUTH_PRIV, A="wrong-secret-1"), "-e", SENDER_ENGINE_ID, rx.port, "",
                           *UPS_ON_BATTERY)
    await rx.until(lambda: rx.receiver.counts["bad_auth"] == 2)
    assert rx.events == []
    rc, err = await net_snmp("snmptrap", *AUTH_PRIV, "-e", SENDER_ENGINE_ID, rx.port, "", "1.3.6.1.6.3.1.1.5.1")
    assert rc == 0, err
    await rx.until(lambda: len(rx.events) == 1)
    assert rx.nonzero() == {"bad_auth": 2, "accepted": 1}


async def test_v3_wrong_priv_key_lower_level_and_unknown_user_are_refused(rx: Running) -> None:
    sends = [
        _with(AUTH_PRIV, X="wrong-secret-2"),
        ("-v3", "-u", "noc-trap", "-l", "noAuthNoPriv"),  # the right name, without the keys
        ("-v3", "-u", "noc-trap", "-l", "authNoPriv", "-a", "SHA", "-A", "auth-secret-1"),
        _with(AUTH_PRIV, u="someone-else"),
    ]
    for args in sends:
        rc, _ = await net_snmp("snmptrap", *args, "-e", SENDER_ENGINE_ID, rx.port, "", *UPS_ON_BATTERY)
        assert rc == 0
    await rx.until(lambda: rx.receiver.counts["bad_auth"] == 4)
    assert rx.events == []


async def test_engine_ids_per_source_are_bounded(make_receiver: Callable[..., object]) -> None:
    rx: Running = await make_receiver(max_engine_ids=2)  # type: ignore[misc]
    for n in range(3):
        rc, err = await net_snmp("snmptrap", *AUTH_PRIV, "-e", f"0x80001f8880c0ffee000{n}", rx.port, "",
                                 "1.3.6.1.6.3.1.1.5.1")
        assert rc == 0, err
    await rx.until(lambda: sum(rx.receiver.counts.values()) == 3)
    assert rx.nonzero() == {"accepted": 2, "bad_auth": 1}
    # informs use the receiver's own engine id and are never refused for this
    rc, err = await net_snmp("snmpinform", *AUTH_PRIV, "-r", "1", "-t", "3", rx.port, "", "1.3.6.1.6.3.1.1.5.2")
    assert rc == 0, err


async def test_update_changes_v3_keys(rx: Running) -> None:
    rc, err = await net_snmp("snmpinform", *AUTH_PRIV, "-r", "1", "-t", "3", rx.port, "", "1.3.6.1.6.3.1.1.5.1")
    assert rc == 0, err
    new_user = UsmAuth(username="noc-trap", auth_protocol="sha", auth_key="auth-secret-2", priv_protocol="aes",
                       priv_key="priv-secret-2")
    rx.receiver.update(TrapSources([SourceEntry(address="127.0.0.1", site_id="BTS-1", users=(new_user,))]))
    rc, _ = await net_snmp("snmpinform", *AUTH_PRIV, "-r", "0", "-t", "1", rx.port, "", "1.3.6.1.6.3.1.1.5.1")
    assert rc != 0  # the old keys no longer work
    rc, err = await net_snmp("snmpinform", *_with(AUTH_PRIV, A="auth-secret-2", X="priv-secret-2"), "-r", "1",
                             "-t", "3", rx.port, "", "1.3.6.1.6.3.1.1.5.2")
    assert rc == 0, err
    await rx.until(lambda: len(rx.events) == 2)
    assert rx.nonzero() == {"accepted": 2, "bad_auth": 1}
