"""Sites from CSV: Excel's BOM, Vietnamese text, lists in cells, row numbers in issues, and the
YAML conversion."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sitewatch.config.csvsites import COLUMNS, csv_to_yaml, sites_from_csv
from sitewatch.config.schema import Criticality, Site, SiteKind
from sitewatch.core.errors import ConfigError, ConfigIssue

EXAMPLE_CSV = Path(__file__).resolve().parents[2] / "config" / "gialai" / "post-offices.csv"


def write_csv(path: Path, text: str, *, bom: bool = False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def issues_of(path: Path) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as caught:
        sites_from_csv(path)
    return caught.value.issues


def test_the_example_post_offices() -> None:
    assert EXAMPLE_CSV.read_bytes().startswith(b"\xef\xbb\xbf")  # saved the way Excel saves
    sites = sites_from_csv(EXAMPLE_CSV)
    assert len(sites) == 10
    assert {s.kind for s in sites} == {SiteKind.POST_OFFICE}
    first = sites[0]
    assert (first.id, first.name, first.commune) == ("GL-BC-PKU", "Bưu cục trung tâm Pleiku", "Phường Tây Sơn")
    assert first.criticality is Criticality.HIGH
    assert first.criticality_reasons == (
        "Điểm giao dịch chi trả an sinh xã hội",
        "Chuyển phát vật tư y tế cho tỉnh",
    )
    (target,) = first.snmp
    assert (target.host, target.port, target.credential, target.profiles) == (
        "10.70.1.10",
        161,
        "lab-v2c",
        ("ups-mib", "if-mib"),
    )
    assert first.power is not None and first.power.feeder == "Lộ 472 E41 Diên Hồng"
    assert first.backup.typical_load_watts == 650
    assert first.water is None  # empty water_* cells: no water supply recorded


def test_all_documented_columns(tmp_path: Path) -> None:
    row = {
        "id": "GL-BTS-0001", "name": "Trạm BTS Ia Kring", "kind": "telecom_station", "level": "district",
        "province": "Gia Lai", "district": "Pleiku", "commune": "Phường Ia Kring", "address": "Lê Duẩn",
        "latitude": "13.97", "longitude": "108.02", "criticality": "critical",
        "criticality_reasons": "Bệnh viện; Hội nghị truyền hình", "restricted_area": "Khu cách ly",
        "subscribers": "12000", "serves": "Bệnh viện tỉnh;Cầu truyền hình",
        "parent": "GL-NOC", "host": "127.0.0.1", "port": "1161", "credential": "lab",
        "profiles": "ups-mib;if-mib", "uplinks": "Gi0/1;Gi0/2", "power_utility": "pc",
        "power_customer_id": "PC13", "power_meter": "M1", "power_feeder": "471", "power_transformer": "T1",
        "water_utility": "w", "water_account": "A1", "water_needed": "yes", "battery_capacity_ah": "200",
        "nominal_voltage": "48", "typical_load_watts": "1500", "generator": "yes", "team": "ut-pleiku",
    }  # fmt: skip
    assert set(row) == set(COLUMNS)
    path = write_csv(tmp_path / "s.csv", ",".join(row) + "\n" + ",".join(row.values()) + "\n")
    (site,) = sites_from_csv(path)
    assert site.model_dump(mode="json") == {
        "id": "GL-BTS-0001", "name": "Trạm BTS Ia Kring", "kind": "telecom_station", "level": "district",
        "province": "Gia Lai", "district": "Pleiku", "commune": "Phường Ia Kring", "address": "Lê Duẩn",
        "latitude": 13.97, "longitude": 108.02, "criticality": "critical",
        "criticality_reasons": ["Bệnh viện", "Hội nghị truyền hình"], "restricted_area": "Khu cách ly",
        "subscribers": 12000, "serves": ["Bệnh viện tỉnh", "Cầu truyền hình"],
        "parent": "GL-NOC",
        "snmp": [{"host": "127.0.0.1", "port": 1161, "credential": "lab", "community": None,
                  "profiles": ["ups-mib", "if-mib"], "timeout": None, "retries": None, "inputs": {}}],
        "uplinks": ["Gi0/1", "Gi0/2"],
        "power": {"utility": "pc", "customer_id": "PC13", "meter": "M1", "feeder": "471", "transformer": "T1"},
        "water": {"utility": "w", "account": "A1", "needed": True},
        "backup": {"battery_capacity_ah": 200.0, "nominal_voltage": 48.0, "typical_load_watts": 1500.0,
                   "generator": True},
        "team": "ut-pleiku", "thresholds": None, "power_equipment": None,
    }  # fmt: skip


def test_csv_to_yaml_round_trips() -> None:
    text = csv_to_yaml(EXAMPLE_CSV)
    assert "Bưu cục trung tâm Pleiku" in text  # readable, not \u-escaped
    assert [Site.model_validate(d) for d in yaml.safe_load(text)["sites"]] == sites_from_csv(EXAMPLE_CSV)


def test_rows_are_numbered_by_the_line_they_start_on(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "s.csv",
        "id,name,kind,province,latitude,longitude,host,credential\n"
        'A,"Bưu cục\nhai dòng",post_office,Gia Lai,13.9,108.0,,\n'
        "\n"
        "B,Bưu cục B,post_office,Gia Lai,13.9,,,\n"
        "C,Bưu cục C,post_offce,Gia Lai,13.9,108.0,127.0.0.1,lab\n"
        "D,Bưu cục D,post_office,Gia Lai,13.9,108.0,not a host,lab\n"
        "E,Bưu cục E,post_office\n"
        "F,Bưu cục F,post_office,Gia Lai,13.9,108.0,127.0.0.1,\n",
        bom=True,
    )
    got = [(i.line, i.field, i.reason) for i in issues_of(path)]
    assert got == [
        (5, "", "latitude and longitude go together"),
        (6, "kind", "Input should be 'noc_building', 'telecom_station', 'fixed_station', 'bts' or "
                    "'post_office' (got 'post_offce')"),
        (7, "host", "not an IP address or host name: 'not a host'"),
        (8, "", "3 cells where the header has 8 columns"),
        (9, "credential", "missing required field 'credential'"),
    ]  # fmt: skip
    assert all(Path(i.file).name == "s.csv" for i in issues_of(path))


def test_header_problems(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", "id,name,knd,province,lattitude\nA,B,bts,Gia Lai,13\n")
    assert [(i.line, i.field, i.reason) for i in issues_of(path)] == [
        (1, "knd", "unknown column (did you mean 'kind'?)"),
        (1, "lattitude", "unknown column (did you mean 'latitude'?)"),
        (1, "kind", "required column missing"),
    ]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(b"id,name,kind,province\nA,B\xe0u,bts,Gia Lai\n")  # Windows-1252, not UTF-8
    (issue,) = issues_of(path)
    assert issue.reason.startswith("not UTF-8 text")
