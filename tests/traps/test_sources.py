"""Trap sources from a loaded configuration: addresses, communities, v3 users, overlaps."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitewatch.config.loader import load_config
from sitewatch.config.schema import Config
from sitewatch.traps.sources import SourceEntry, TrapSources, normalize_address

CONFIG = """\
credentials:
  lab: {version: 2c, community: {env: SW_TEST_TRAP_COMMUNITY}}
  v3: {version: 3, username: noc-trap, auth_protocol: sha, auth_password: {value: auth-secret-1},
       priv_protocol: aes, priv_password: {value: priv-secret-1}}
traps:
  listen: 127.0.0.1:10162
  communities: [{value: fleet-wide}]
sites:
  - {id: BTS-1, name: BTS 1, kind: bts, province: Gia Lai, snmp: [{host: 10.60.9.10, credential: lab}]}
  - id: BTS-2
    name: BTS 2
    kind: bts
    province: Gia Lai
    snmp:
      - {host: 10.60.9.11, credential: lab, community: {value: own-community}}
      - {host: "::ffff:10.60.9.12", port: 1161, credential: v3}
  # two controllers behind one gateway address, told apart by community
  - {id: GW-A, name: A, kind: telecom_station, province: Gia Lai,
     snmp: [{host: 10.60.9.20, port: 1161, credential: lab, community: {value: gw-a}}]}
  - {id: GW-B, name: B, kind: telecom_station, province: Gia Lai,
     snmp: [{host: 10.60.9.20, port: 1162, credential: lab, community: {value: gw-b}}]}
  # two sites at one address with the same community cannot be told apart
  - {id: TWIN-1, name: T1, kind: bts, province: Gia Lai, snmp: [{host: 10.60.9.30, credential: lab}]}
  - {id: TWIN-2, name: T2, kind: bts, province: Gia Lai, snmp: [{host: 10.60.9.30, port: 1161, credential: lab}]}
  - {id: NAMED, name: N, kind: bts, province: Gia Lai, snmp: [{host: bts-named.example, credential: lab}]}
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv("SW_TEST_TRAP_COMMUNITY", "lab-secret")
    path = tmp_path / "sitewatch.yaml"
    path.write_text(CONFIG)
    return load_config(path, known_profiles=())


def test_sources_from_config(config: Config) -> None:
    src = TrapSources.from_config(config, resolve=lambda host: ["10.60.9.40"])
    assert src.site_for_community("10.60.9.10", b"lab-secret") == ("BTS-1", "")
    assert src.site_for_community("10.60.9.11", b"own-community") == ("BTS-2", "")
    assert src.site_for_community("10.60.9.11", b"lab-secret") == (None, "bad_community")  # overridden per target
    assert src.site_for_community("10.60.9.10", b"fleet-wide") == ("BTS-1", "")  # traps.communities
    assert src.site_for_community("10.60.9.99", b"lab-secret") == (None, "unknown_source")
    # v3: the IPv4-mapped host is stored as IPv4, the user belongs to BTS-2 there only
    assert [(s, u.username) for s, u in src.users_at("10.60.9.12", "noc-trap")] == [("BTS-2", "noc-trap")]
    assert src.users_at("10.60.9.10", "noc-trap") == []
    # a host name is resolved once, at build time
    assert src.site_for_community("10.60.9.40", b"lab-secret") == ("NAMED", "")


def test_shared_address_told_apart_by_community(config: Config) -> None:
    src = TrapSources.from_config(config, resolve=lambda host: [])
    assert src.site_for_community("10.60.9.20", b"gw-a") == ("GW-A", "")
    assert src.site_for_community("10.60.9.20", b"gw-b") == ("GW-B", "")
    # a fleet-wide community names no single site at a shared address
    assert src.site_for_community("10.60.9.20", b"fleet-wide") == (None, "ambiguous_source")
    assert src.site_for_community("10.60.9.30", b"lab-secret") == (None, "ambiguous_source")
    assert src.sites_at("10.60.9.30") == {"TWIN-1", "TWIN-2"}


def test_overlaps_are_reported_without_secrets(config: Config) -> None:
    src = TrapSources.from_config(config, resolve=lambda host: [])
    assert len(src.warnings) == 1
    assert "10.60.9.30" in src.warnings[0] and "TWIN-1" in src.warnings[0]
    text = " ".join(src.warnings) + repr(SourceEntry(address="10.0.0.1", site_id="X",
                                                     communities=frozenset({b"lab-secret"})))
    for secret in ("lab-secret", "gw-a", "fleet-wide", "auth-secret-1", "priv-secret-1"):
        assert secret not in text


def test_unresolvable_host_is_left_out(config: Config, caplog: pytest.LogCaptureFixture) -> None:
    def fail(host: str) -> list[str]:
        raise OSError("Name or service not known")

    src = TrapSources.from_config(config, resolve=fail)
    assert not src.knows("10.60.9.40")
    assert src.knows("10.60.9.10")
    assert "bts-named.example" in caplog.text


def test_v3_user_shared_by_two_sites_at_one_address() -> None:
    from tests.traps.conftest import V3_USER

    src = TrapSources([SourceEntry(address="10.0.0.5", site_id="A", users=(V3_USER,)),
                       SourceEntry(address="10.0.0.5", site_id="B", users=(V3_USER,))])
    assert {s for s, _ in src.users_at("10.0.0.5", "noc-trap")} == {"A", "B"}
    assert "noc-trap" in src.warnings[0]


@pytest.mark.parametrize(("given", "canonical"), [
    ("10.0.0.1", "10.0.0.1"), ("::ffff:10.0.0.1", "10.0.0.1"), ("[2001:db8::1]", "2001:db8::1"),
    ("2001:DB8:0::1", "2001:db8::1"), ("fe80::1%eth0", "fe80::1"),
])
def test_normalize_address(given: str, canonical: str) -> None:
    assert normalize_address(given) == canonical
