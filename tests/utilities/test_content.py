"""The request as the utility reads it: every field in both languages, a CSV that parses back,
an SMS of at most two unaccented segments, JSON for webhook contacts."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from sitewatch.config.loader import load_config
from sitewatch.config.schema import Config
from sitewatch.messages.sms import sms_encoding, sms_segments
from sitewatch.utilities.content import CSV_COLUMNS, Callback, RequestKind, RequestMessage, render_request
from sitewatch.utilities.model import GeneratorState, SiteState, Supply
from tests.utilities.fleet import MIN, NIGHT, TZ, site

GIALAI = Path(__file__).resolve().parents[2] / "config" / "gialai"


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(GIALAI)


def message(config: Config, language: str, *, kind: RequestKind = RequestKind.NEW, count: int = 2) -> RequestMessage:
    pc = config.utilities["pc-gialai"]
    utility = type(pc).model_validate({**pc.model_dump(), "language": language})
    hospital = site(
        "GL-BTS-0001", name="Trạm BTS Bệnh viện Đa khoa tỉnh", criticality="critical",
        address="Đường Tôn Thất Tùng, phường Phù Đổng", latitude=13.9862, longitude=108.0075,
        criticality_reasons=["Phục vụ Bệnh viện Đa khoa tỉnh Gia Lai"], serves=["Khu điều trị COVID-19"],
        subscribers=8500, restricted_area="Khu cách ly y tế: cần giấy phép của Sở Y tế",
        power={"utility": "pc-gialai", "customer_id": "PC13PA0012834", "meter": "13020999",
               "feeder": "Lộ 474 E Chư Sê", "transformer": "TBA Phù Đổng 5"},
    )
    others = [site(f"GL-BTS-{200 + k:04d}") for k in range(count - 1)]
    states = [SiteState(site_id=hospital.id, mains_lost_since=NIGHT, depletion_at=NIGHT + 75 * MIN,
                        battery_percent=41, generator=GeneratorState.FAILED)]
    states += [SiteState(site_id=s.id, mains_lost_since=NIGHT + 5 * MIN, depletion_at=NIGHT + (120 + k) * MIN,
                         generator=GeneratorState.ABSENT) for k, s in enumerate(others)]
    sender = config.utility_requests.sender
    assert sender is not None
    return RequestMessage(
        reference="PCGL-20261208-007", kind=kind, supply=Supply.POWER, utility_id="pc-gialai", utility=utility,
        contact=utility.contacts["dieu-do"], sender=sender,
        callback=Callback(name="Lê Văn Cường", phone="+84 905 000 003", email="dieuhanh@vnptgialai.example"),
        sites=list(zip([hospital, *others], states, strict=True)), line="Lộ 474 E Chư Sê", at=NIGHT + 20 * MIN, tz=TZ,
    )


EXPECTED = {
    "vi": ["PCGL-20261208-007", "Trung tâm Điều độ hệ thống điện Gia Lai", "Công ty Điện lực Gia Lai",
           "Viễn thông Gia Lai (VNPT Gia Lai)", "Trung tâm Điều hành Thông tin", "Căn cứ: Công văn số 1110/BTTTT-CVT",
           "Trạm BTS Bệnh viện Đa khoa tỉnh", "GL-BTS-0001", "trạm thu phát sóng di động (BTS)",
           "Đường Tôn Thất Tùng, phường Phù Đổng", "Thị trấn Chư Sê, Chư Sê, Gia Lai", "13.98620, 108.00750",
           "https://www.openstreetmap.org/?mlat=13.98620&mlon=108.00750", "Mã khách hàng: PC13PA0012834",
           "Công tơ: 13020999", "Lộ/xuất tuyến: Lộ 474 E Chư Sê", "Trạm biến áp: TBA Phù Đổng 5",
           "Mất điện từ: 21:40 08/12/2026", "Ắc quy: còn 41%", "Dự kiến cạn ắc quy: 22:55 08/12/2026 (còn 55 phút)",
           "Máy phát điện: hỏng, không chạy được",
           "Lý do ưu tiên: rất quan trọng: Phục vụ Bệnh viện Đa khoa tỉnh Gia Lai; Khu điều trị COVID-19",
           "Số thuê bao phục vụ (ước tính): 8.500", "Lưu ý ra vào: Khu cách ly y tế",
           "Liên hệ lại: Lê Văn Cường, điện thoại +84 905 000 003", "Email: dieuhanh@vnptgialai.example",
           "https://sitewatch.vnptgialai.example/requests/PCGL-20261208-007", "Giờ theo UTC+07:00"],
    "en": ["PCGL-20261208-007", "To: Trung tâm Điều độ hệ thống điện Gia Lai", "From: Trung tâm Điều hành Thông tin",
           "Basis: Công văn số 1110/BTTTT-CVT", "Trạm BTS Bệnh viện Đa khoa tỉnh", "GL-BTS-0001",
           "mobile base station (BTS)", "Address: Đường Tôn Thất Tùng", "Commune, district: Thị trấn Chư Sê, Chư Sê",
           "GPS: 13.98620, 108.00750", "Map: https://www.openstreetmap.org/", "Customer id: PC13PA0012834",
           "Meter: 13020999", "Feeder: Lộ 474 E Chư Sê", "Transformer: TBA Phù Đổng 5",
           "No power since: 21:40, 8 Dec 2026", "Battery: 41% left",
           "Battery predicted empty at: 22:55, 8 Dec 2026 (in 55 min)", "Generator: failed to run",
           "Why it matters: critical: Phục vụ Bệnh viện Đa khoa tỉnh Gia Lai; Khu điều trị COVID-19",
           "People served (approx.): 8.500", "Access: Khu cách ly y tế",
           "Call back: Lê Văn Cường, phone +84 905 000 003", "Times in UTC+07:00",
           "https://sitewatch.vnptgialai.example/requests/PCGL-20261208-007"],
}


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_field_a_dispatcher_needs_in_text_and_html(config: Config, language: str) -> None:
    content = render_request(message(config, language))
    for needle in EXPECTED[language]:
        assert needle in content.text, needle
        html_needle = needle.replace("&", "&amp;").split(": ", 1)[-1]
        assert html_needle in content.html, needle
    assert content.text.index("GL-BTS-0001") < content.text.index("GL-BTS-0200")  # most urgent first
    assert "PCGL-20261208-007" in content.subject and "2" in content.subject
    assert f'<html lang="{language}">' in content.html


def test_the_csv_parses_back_with_every_site(config: Config) -> None:
    m = message(config, "vi", count=12)
    rows = list(csv.DictReader(io.StringIO(render_request(m).csv)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["site_id"] for r in rows] == [s.id for s, _ in m.sites]
    first = rows[0]
    assert (first["rank"], first["customer_id"], first["feeder"], first["depletion_at"], first["subscribers"]) == (
        "1", "PC13PA0012834", "Lộ 474 E Chư Sê", "2026-12-08T22:55:00+07:00", "8500")
    assert first["reasons"] == "Phục vụ Bệnh viện Đa khoa tỉnh Gia Lai; Khu điều trị COVID-19"
    assert rows[1]["latitude"] == "" and rows[1]["generator"] == "absent"


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_sms_is_unaccented_and_at_most_two_segments(config: Config, language: str) -> None:
    for count in (1, 12, 240):
        sms = render_request(message(config, language, count=count)).sms
        assert sms_encoding(sms) == "gsm7" and sms_segments(sms) <= 2, sms
        assert sms.startswith("PCGL-20261208-007 ") and f" {count} " in sms
        assert "Tram BTS Benh vien Da khoa tinh" in sms and "+84 905 000 003" in sms
        assert ("can ac quy luc 22:55" if language == "vi" else "battery empty at 22:55") in sms
        assert "https://sitewatch.vnptgialai.example/requests/PCGL-20261208-007" in sms


def test_the_sms_drops_the_link_before_going_over_two_segments(config: Config) -> None:
    m = message(config, "vi")
    sender = m.sender.model_copy(update={"link": "https://sitewatch.vnptgialai.example/" + "r" * 150 + "/{reference}"})
    sms = render_request(RequestMessage(**{**{f: getattr(m, f) for f in m.__dataclass_fields__}, "sender": sender})).sms
    assert sms_segments(sms) <= 2 and "rrrr" not in sms and "Tram BTS Benh vien" in sms


def test_the_json_payload_for_webhook_contacts(config: Config) -> None:
    payload = json.loads(json.dumps(render_request(message(config, "en", count=3)).payload))
    assert (payload["reference"], payload["kind"], payload["supply"], payload["line"]) == (
        "PCGL-20261208-007", "new", "power", "Lộ 474 E Chư Sê")
    assert payload["callback"] == {"name": "Lê Văn Cường", "phone": "+84 905 000 003",
                                   "email": "dieuhanh@vnptgialai.example"}
    first = payload["sites"][0]
    assert (first["site_id"], first["mains_lost_since"], first["depletion_at"], first["generator"]) == (
        "GL-BTS-0001", "2026-12-08T21:40:00+07:00", "2026-12-08T22:55:00+07:00", "failed")
    assert [s["rank"] for s in payload["sites"]] == [1, 2, 3]


def test_updates_and_partial_restoration(config: Config) -> None:
    m = message(config, "vi", count=3)
    update = render_request(RequestMessage(**{**vars_of(m), "kind": RequestKind.UPDATE}))
    assert update.subject.startswith("[PCGL-20261208-007] Bổ sung: 3 trạm")
    restored_site = site("GL-BTS-0999", name="Trạm BTS Ia Blang")
    partial = render_request(RequestMessage(**{**vars_of(m), "kind": RequestKind.RESTORED,
                                               "restored": [restored_site]}))
    assert "đã có điện lại tại Trạm BTS Ia Blang (GL-BTS-0999). Còn 3 trạm chờ" in partial.text
    assert partial.payload["restored"] == ["GL-BTS-0999"]
    assert partial.sms.startswith("PCGL-20261208-007 Da co dien lai 1 tram, con 3 tram cho")
    closed = render_request(RequestMessage(**{**vars_of(m), "kind": RequestKind.RESTORED, "sites": [],
                                              "restored": [restored_site]}))
    assert "Tất cả các trạm trong đề nghị PCGL-20261208-007 đã có điện lại" in closed.text


def vars_of(m: RequestMessage) -> dict[str, object]:
    return {f: getattr(m, f) for f in m.__dataclass_fields__}
