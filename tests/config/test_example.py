"""The shipped Gia Lai example loads cleanly and says what an operator would expect.

Nothing here polls the example's hosts: they stand for an operator's management network.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from pathlib import Path

import pytest

from sitewatch.config.loader import load_config
from sitewatch.config.schema import (
    AuthProtocol,
    Config,
    Criticality,
    PrivProtocol,
    SiteKind,
    SnmpV1V2Credential,
    SnmpV3Credential,
    StationLevel,
    UtilityKind,
)
from sitewatch.config.summary import format_summary

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "gialai"
PROFILES = frozenset(
    {
        "ups-mib",
        "if-mib",
        "entity-sensor",
        "eltek-smartpack",
        "eltek-sp2",
        "vertiv-netsure",
        "vertiv-ees",
        "huawei-site-monitor",
        "algcom-dc-ups",
        "packetflux-sitemonitor",
    }
)
DISTRICTS = {
    "Pleiku", "An Khê", "Ayun Pa", "Chư Sê", "Đức Cơ", "Chư Prông", "Ia Grai", "Mang Yang", "Kbang",
    "Đak Đoa", "Chư Păh", "Krông Pa", "Phú Thiện", "Ia Pa", "Kông Chro", "Đak Pơ", "Chư Pưh",
}  # fmt: skip


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(EXAMPLE, known_profiles=PROFILES)


def test_directory_and_main_file_load_the_same_config(config: Config) -> None:
    assert load_config(EXAMPLE / "sitewatch.yaml", known_profiles=PROFILES) == config


def test_the_site_kinds_the_letters_name(config: Config) -> None:
    kinds = Counter(s.kind for s in config.sites)
    assert kinds[SiteKind.NOC_BUILDING] == 1
    assert kinds[SiteKind.BTS] == 40
    assert kinds[SiteKind.POST_OFFICE] == 10
    levels = Counter(s.level for s in config.sites if s.kind is SiteKind.TELECOM_STATION)
    assert levels == {StationLevel.PROVINCIAL: 1, StationLevel.DISTRICT: len(DISTRICTS)}
    district_stations = {s.district for s in config.sites if s.level is StationLevel.DISTRICT}
    assert district_stations == DISTRICTS
    assert {s.province for s in config.sites} == {"Gia Lai"}
    assert config.site("GL-NOC-PKU").district == "Pleiku"


def test_bts_and_post_offices_hang_from_a_station(config: Config) -> None:
    stations = {SiteKind.TELECOM_STATION, SiteKind.FIXED_STATION}
    for site in config.sites:
        if site.kind in (SiteKind.BTS, SiteKind.POST_OFFICE):
            assert site.parent is not None
            assert config.site(site.parent).kind in stations, site.id
            assert site.uplinks, site.id


def test_coordinates_are_in_gia_lai(config: Config) -> None:
    for site in config.sites:
        assert site.latitude is not None and site.longitude is not None
        assert 13.0 <= site.latitude <= 14.6 and 107.4 <= site.longitude <= 108.9, site.id


def test_criticality_and_quarantine(config: Config) -> None:
    critical = [s for s in config.sites if s.criticality is Criticality.CRITICAL]
    reasons = " ".join(r for s in critical for r in s.criticality_reasons)
    assert "Bệnh viện Đa khoa tỉnh Gia Lai" in reasons
    assert "hội nghị truyền hình" in reasons
    (restricted,) = [s for s in config.sites if s.restricted_area]
    assert "cách ly" in (restricted.restricted_area or "")
    assert restricted.criticality is Criticality.HIGH


def test_utilities_and_teams(config: Config) -> None:
    assert config.utilities["pc-gialai"].kind is UtilityKind.POWER
    assert config.utilities["cntn-gialai"].kind is UtilityKind.WATER
    assert "Điện lực Gia Lai" in config.utilities["pc-gialai"].name
    assert all(s.power is not None and s.power.utility == "pc-gialai" for s in config.sites)
    assert all(s.team in config.teams for s in config.sites)


def test_secrets_resolve_from_files_shipped_next_to_the_config(config: Config) -> None:
    v2c = config.credentials["lab-v2c"]
    assert isinstance(v2c, SnmpV1V2Credential)
    assert v2c.community.reveal() == (EXAMPLE / "secrets" / "community").read_text().strip()
    noc = config.credentials["noc-v3"]
    assert isinstance(noc, SnmpV3Credential)
    assert noc.security_level == "authPriv"
    assert (noc.auth_protocol, noc.priv_protocol) == (AuthProtocol.SHA256, PrivProtocol.AES)
    assert noc.priv_password is not None
    assert noc.priv_password.reveal() == (EXAMPLE / "secrets" / "noc-v3-priv").read_text().strip()
    assert {t.credential for t in config.site("GL-NOC-PKU").snmp} == {"noc-v3"}


def test_hosts_are_private_management_addresses(config: Config) -> None:
    net = ipaddress.ip_network("10.0.0.0/8")
    hosts = [t.host for s in config.sites for t in s.snmp]
    assert len(hosts) == len(set(hosts))
    assert all(ipaddress.ip_address(h) in net for h in hosts)


def test_summary_fits_one_screen(config: Config) -> None:
    text = format_summary(config)
    lines = text.splitlines()
    assert len(lines) <= 24
    assert lines[0] == "71 sites, 152 SNMP targets, 2 credentials, 2 utilities, 6 teams"
    assert "sites by kind: bts 40, telecom_station 18, post_office 10, fixed_station 2, noc_building 1" in lines
    assert "credentials: lab-v2c (v2c), noc-v3 (v3 authPriv)" in lines
    assert "listen 127.0.0.1:9641; poll every 1m" in text
    assert "state dir /var/lib/sitewatch/gialai; time zone Asia/Ho_Chi_Minh" in text
