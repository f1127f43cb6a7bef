"""What a person reads: every required element, in Vietnamese and English, SMS within two GSM-7
segments, grouped messages most urgent first."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from sitewatch.config.schema import Criticality, Site, SiteKind
from sitewatch.core.conditions import Condition, Phrase, Summary, part
from sitewatch.core.incident import IncidentState
from sitewatch.messages.context import ChannelOutage, MessageContext, SiteIncident, site_entries
from sitewatch.messages.render import render
from sitewatch.messages.sms import sms_encoding, sms_segments
from sitewatch.notify.model import Message, MessageKind
from tests.messages.conftest import BASE_URL, BTS2, HOSP, PROVINCIAL, SIGNER, T0, UTILITIES, incident

MAINS_0V = Summary.of(part(Phrase.MAINS_PHASES, volts="0", phases=3))
NOW = T0 + 35 * 60 + 20  # 22:50:20, 35 minutes into the outage
OSM = "https://www.openstreetmap.org/?mlat=13.70120&mlon=108.08530#map=15/13.70120/108.08530"


def ack_url(*ids: int, group: str | None = None) -> str:
    return SIGNER.link(BASE_URL, incident_ids=ids, person="nguyen.van.an", group=group, now=NOW, language="vi")


def hospital_outage() -> MessageContext:
    """BTS-HOSP lost mains at 22:15; battery estimated at 1 h 55 min at 22:15 -> empty at 00:10."""
    return MessageContext(
        now=NOW, utilities=UTILITIES, escalation_level=2, also_paged=("Trần Thị Hoa", "Lê Minh"),
        ack_url=ack_url(101, 102),
        incidents=(SiteIncident(site=HOSP, incident=incident(101, HOSP, Condition.MAINS_LOST, summary=MAINS_0V)),
                   SiteIncident(site=HOSP, incident=incident(102, HOSP, Condition.ON_BATTERY, opened=T0 + 20,
                                                             runtime_left=115 * 60))))


def lines(m: Message) -> list[str]:
    return m.text.splitlines()


def test_single_site_page_in_vietnamese_has_every_element() -> None:
    ctx = hospital_outage()
    m = render(ctx, "vi", MessageKind.PAGE)
    assert (m.kind, m.language, m.ack_url) == (MessageKind.PAGE, "vi", ctx.ack_url)
    assert m.subject == "[Sự cố] Mất điện lưới, đang chạy ắc quy – Trạm BTS Bệnh viện Chư Sê (BTS-HOSP)"
    text = lines(m)
    assert text[:2] == ["Cần xử lý: mất điện lưới, đang chạy ắc quy tại Trạm BTS Bệnh viện Chư Sê (BTS-HOSP).",
                        "Đã chuyển lên cấp 2 vì chưa ai xác nhận tiếp nhận ở cấp trước."]
    for line in (
        "Trạm: Trạm BTS Bệnh viện Chư Sê (BTS-HOSP)",
        "Loại trạm: trạm thu phát sóng di động (BTS)",
        "Địa bàn: Ia Blang, Chư Sê, Gia Lai",
        "Địa chỉ: thôn 3, xã Ia Blang",
        "Tình trạng: mất điện lưới (điện lưới 0 V trên 3 pha) — khẩn cấp, từ 22:15 (35 phút)",
        "Tình trạng: đang chạy ắc quy — khẩn cấp, từ 22:15 (35 phút)",
        "Ắc quy: còn khoảng 1 giờ 20 phút, dự kiến cạn lúc 00:10 22/09/2026 "
        "(ước tính theo xu hướng dung lượng ắc quy)",
        "Mức độ quan trọng: rất quan trọng — phục vụ Bệnh viện Đa khoa huyện Chư Sê",
        "Khu vực hạn chế: khu cách ly y tế thôn 3, cần giấy phép của Ban chỉ đạo huyện. "
        "Mang theo giấy phép ra vào và đồ bảo hộ.",
        "Cấp điện: Công ty Điện lực Gia Lai (điện thoại 0269 3822 222) — mã khách hàng PB06000123456, "
        "lộ/xuất tuyến 471 E42, trạm biến áp TBA Ia Blang 3",
        f"Bản đồ: {OSM}",
        "Đã báo cho: Trần Thị Hoa, Lê Minh",
        "Cấp leo thang: 2",
        f"Xác nhận tiếp nhận: {ctx.ack_url}",
    ):
        assert line in text
    assert m.html is not None and f'<a href="{ctx.ack_url}">' in m.html and OSM.replace("&", "&amp;") in m.html
    assert "Khu vực hạn chế" in m.html and "PB06000123456" in m.html


def test_single_site_page_in_english_has_every_element() -> None:
    ctx = hospital_outage()
    m = render(ctx, "en", MessageKind.PAGE)
    assert m.subject == "[Incident] Mains power lost, running on battery – Trạm BTS Bệnh viện Chư Sê (BTS-HOSP)"
    text = lines(m)
    assert text[1] == "Escalated to level 2: nobody acknowledged at the previous level."
    for line in (
        "Kind: mobile base station (BTS)",
        "Location: Ia Blang, Chư Sê, Gia Lai",
        "Condition: mains power lost (mains 0 V on 3 phases) — critical, since 22:15 (35 min)",
        "Battery: about 1 h 20 min left, predicted empty at 00:10, 22 Sep 2026 "
        "(estimated from the battery charge trend)",
        "Criticality: critical — phục vụ Bệnh viện Đa khoa huyện Chư Sê",
        "Restricted area: khu cách ly y tế thôn 3, cần giấy phép của Ban chỉ đạo huyện. "
        "Bring your access permit and protective equipment.",
        "Power supply: Công ty Điện lực Gia Lai (phone 0269 3822 222) — customer id PB06000123456, "
        "feeder 471 E42, transformer TBA Ia Blang 3",
        f"Map: {OSM}",
        "Also paged: Trần Thị Hoa, Lê Minh",
        "Escalation level: 2",
        f"Acknowledge: {ctx.ack_url}",
    ):
        assert line in text


def test_one_incident_gets_its_own_lines_for_since_and_runtime_method() -> None:
    ctx = MessageContext(now=NOW, ack_url=ack_url(7), incidents=(SiteIncident(site=PROVINCIAL, incident=incident(
        7, PROVINCIAL, Condition.ON_BATTERY, runtime_left=3 * 3600, method="capacity")),))
    text = lines(render(ctx, "vi", MessageKind.PAGE))
    for line in ("Loại trạm: trạm viễn thông nội tỉnh",
                 "Tình trạng: đang chạy ắc quy — nghiêm trọng",
                 "Từ lúc: 22:15 21/09/2026 (đã 35 phút)",
                 "Ắc quy: còn khoảng 2 giờ 24 phút, dự kiến cạn lúc 01:15 22/09/2026 "
                 "(ước tính theo dung lượng (Ah) và dòng tải)",
                 "Mức độ quan trọng: quan trọng"):
        assert line in text
    # nothing the site does not have: no map, no restricted area, no power company
    assert not any(x.startswith(("Bản đồ", "Khu vực hạn chế", "Cấp điện", "Cấp leo thang", "Đã báo cho"))
                   for x in text)
    en = lines(render(ctx, "en", MessageKind.PAGE))
    assert "Kind: provincial telecom station" in en and "Since: 22:15, 21 Sep 2026 (35 min ago)" in en


@pytest.mark.parametrize("language", ["vi", "en"])
def test_sms_of_a_single_page_is_gsm7_within_two_segments_with_the_whole_link(language: str) -> None:
    ctx = hospital_outage()
    m = render(ctx, language, MessageKind.PAGE)
    assert sms_encoding(m.short) == "gsm7" and sms_segments(m.short) <= 2
    assert ctx.ack_url is not None and m.short.endswith(ctx.ack_url)
    expected = {
        "vi": "[SU CO] Mat dien luoi, dang chay ac quy: Tram BTS Benh vien Chu Se (BTS-HOSP) tu 22:15, "
              "ac quy con ~1h20. Xac nhan: ",
        "en": "[INCIDENT] Mains power lost, running on battery: Tram BTS Benh vien Chu Se (BTS-HOSP) since 22:15, "
              "battery ~1h20 left. Ack: ",
    }[language]
    assert m.short == expected + ctx.ack_url


def test_a_plain_page_fits_one_segment_and_a_long_name_falls_back_to_the_id() -> None:
    short_link = SIGNER.link("https://sw.vn", incident_ids=(5,), person="an", now=NOW)
    ctx = MessageContext(now=NOW, ack_url=short_link,
                         incidents=(SiteIncident(site=BTS2, incident=incident(5, BTS2, Condition.MAINS_LOST)),))
    assert sms_segments(render(ctx, "vi", MessageKind.PAGE).short) == 1
    long_site = BTS2.model_copy(update={"name": "Trạm thu phát sóng di động thôn Plei Ring Đáp, xã Ia Pal " * 3})
    ctx = replace(ctx, ack_url=ack_url(5), incidents=(SiteIncident(site=long_site, incident=incident(
        5, long_site, Condition.MAINS_LOST)),))
    short = render(ctx, "vi", MessageKind.PAGE).short
    assert sms_segments(short) <= 2 and short.startswith("[SU CO] Mat dien luoi: BTS-2 tu 22:15.")


def blackout(n: int = 40) -> MessageContext:
    """A district blackout: ``n`` BTS on battery within minutes; the hospital site and two with
    short batteries must come first."""
    pairs = []
    for k in range(n):
        site = Site(id=f"CS-{k:03d}", name=f"Trạm Chư Sê {k:03d}", kind=SiteKind.BTS, province="Gia Lai",
                    district="Chư Sê")
        pairs.append(SiteIncident(site=site, incident=incident(1000 + k, site, Condition.ON_BATTERY,
                                                               opened=T0 + 10 * k, runtime_left=4 * 3600 + 60 * k)))
    short_battery = pairs[30].site
    pairs[30] = SiteIncident(site=short_battery, incident=incident(1030, short_battery, Condition.ON_BATTERY,
                                                                   opened=T0 + 300, runtime_left=45 * 60))
    pairs[20] = SiteIncident(site=pairs[20].site, incident=incident(1020, pairs[20].site, Condition.ON_BATTERY,
                                                                    opened=T0 + 200))  # no estimate: last
    pairs.append(SiteIncident(site=HOSP, incident=incident(2000, HOSP, Condition.ON_BATTERY, opened=T0 + 30,
                                                           runtime_left=8 * 3600)))
    return MessageContext(now=NOW, incidents=tuple(reversed(pairs)), group="Chư Sê, Gia Lai", group_key="gl/chu-se",
                          ack_url=ack_url(group="gl/chu-se"), escalation_level=1, utilities=UTILITIES)


def test_grouped_page_sorts_by_criticality_then_predicted_depletion() -> None:
    ctx = blackout()
    m = render(ctx, "vi", MessageKind.PAGE)
    headings = [x for x in lines(m) if re.match(r"\d+\. ", x)]
    assert len(headings) == 41
    assert headings[:4] == ["1. Trạm BTS Bệnh viện Chư Sê (BTS-HOSP)", "2. Trạm Chư Sê 030 (CS-030)",
                            "3. Trạm Chư Sê 000 (CS-000)", "4. Trạm Chư Sê 001 (CS-001)"]
    assert headings[-1] == "41. Trạm Chư Sê 020 (CS-020)"
    assert m.subject == "[Sự cố] 41 trạm – Chư Sê, Gia Lai"
    assert lines(m)[0] == "41 trạm có sự cố tại Chư Sê, Gia Lai: đang chạy ắc quy (41)."
    assert m.text.count("Xác nhận tiếp nhận: ") == 1
    # per-site lines under each heading
    i = lines(m).index("2. Trạm Chư Sê 030 (CS-030)")
    assert lines(m)[i + 1:i + 5] == [
        "   Loại trạm: trạm thu phát sóng di động (BTS)", "   Địa bàn: Chư Sê, Gia Lai",
        "   Tình trạng: đang chạy ắc quy — cảnh báo, từ 22:20 (30 phút)",
        "   Ắc quy: còn khoảng 14 phút, dự kiến cạn lúc 23:05 21/09/2026 (ước tính theo xu hướng dung lượng ắc quy)"]
    assert [d["site_id"] for d in m.data["incidents"]][:3] == ["BTS-HOSP", "CS-030", "CS-000"]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_grouped_sms_gives_the_count_and_the_most_urgent_sites_first(language: str) -> None:
    ctx = blackout()
    short = render(ctx, language, MessageKind.PAGE).short
    assert sms_encoding(short) == "gsm7" and sms_segments(short) <= 2
    assert ctx.ack_url is not None and short.endswith(ctx.ack_url)
    head = {"vi": "[SU CO] 41 tram tai Chu Se, Gia Lai dang chay ac quy: Tram BTS Benh vien Chu Se (BTS-HOSP) 22:15, "
                  "ac quy con ~7h25; Tram Chu Se 030 (CS-030) 22:20, ac quy con ~0h14; +39 tram khac.",
            "en": "[INCIDENT] 41 sites in Chu Se, Gia Lai running on battery: Tram BTS Benh vien Chu Se (BTS-HOSP) "
                  "22:15, battery ~7h25 left; Tram Chu Se 030 (CS-030) 22:20, battery ~0h14 left; +39 more sites."
            }[language]
    assert short.startswith(head)
    assert short.index("BTS-HOSP") < short.index("CS-030")
    more = re.search(r"\+(\d+) (tram khac|more sites)", short)
    assert more is not None
    listed = len(re.findall(r"\(CS-\d+\)|\(BTS-HOSP\)", short))
    assert listed >= 2 and listed + int(more.group(1)) == 41


def test_update_lists_the_newly_joined_sites() -> None:
    ctx = replace(blackout(), new_incident_ids=frozenset({1003, 1004}))
    m = render(ctx, "vi", MessageKind.UPDATE)
    assert m.subject == "[Cập nhật] +2 trạm, tổng 41 trạm – Chư Sê, Gia Lai"
    text = lines(m)
    assert text[0] == "Thêm 2 trạm vào nhóm Chư Sê, Gia Lai (tổng 41 trạm)."
    new = text.index("Trạm mới vào nhóm:")
    others = text.index("Các trạm khác trong nhóm:")
    assert new < text.index("1. Trạm Chư Sê 003 (CS-003)") < text.index("2. Trạm Chư Sê 004 (CS-004)") < others
    assert text[others + 1:others + 5] == [
        "- Trạm BTS Bệnh viện Chư Sê (BTS-HOSP) — đang chạy ắc quy", "- Trạm Chư Sê 030 (CS-030) — đang chạy ắc quy",
        "- Trạm Chư Sê 000 (CS-000) — đang chạy ắc quy", "- Trạm Chư Sê 001 (CS-001) — đang chạy ắc quy"]
    assert "- Trạm Chư Sê 003 (CS-003) — đang chạy ắc quy" not in text
    short = m.short
    assert short.startswith("[CAP NHAT] +2 tram, tong 41 tram - Chu Se, Gia Lai: Tram Chu Se 003 (CS-003) dang chay "
                            "ac quy 22:15, ac quy con ~3h28; Tram Chu Se 004 (CS-004) dang chay ac quy 22:15")
    assert "CS-000" not in short and sms_segments(short) <= 2
    en = render(ctx, "en", MessageKind.UPDATE)
    assert en.subject == "[Update] +2 sites, 41 sites in all – Chư Sê, Gia Lai"
    assert "Newly joined:" in lines(en) and sorted(en.data["new_incident_ids"]) == [1003, 1004]


def test_resolved_says_what_resolved_and_how_long_it_lasted() -> None:
    end = T0 + 65 * 60  # 23:20
    ctx = MessageContext(now=end + 5, ack_url=ack_url(5), also_paged=("Trần Thị Hoa",), incidents=(
        SiteIncident(site=BTS2, incident=incident(5, BTS2, Condition.MAINS_LOST, resolved=("sitewatch", end))),))
    m = render(ctx, "vi", MessageKind.RESOLVED)
    assert m.subject == "[Đã khắc phục] Mất điện lưới – Trạm Chư Sê 2 (BTS-2)"
    assert lines(m)[0] == "Đã khắc phục: mất điện lưới tại Trạm Chư Sê 2 (BTS-2), kéo dài 1 giờ 05 phút."
    assert "Khắc phục: lúc 23:20 21/09/2026, kéo dài 1 giờ 05 phút" in lines(m)
    assert "Đã báo cho: Trần Thị Hoa" in lines(m)
    # nothing left to acknowledge: no link anywhere
    assert m.ack_url is None and "ack/" not in m.text and "ack/" not in m.short
    assert m.short == "[DA KHAC PHUC] Mat dien luoi: Tram Chu Se 2 (BTS-2) khac phuc luc 23:20, keo dai 1h05."
    assert render(ctx, "en", MessageKind.RESOLVED).short == (
        "[RESOLVED] Mains power lost: Tram Chu Se 2 (BTS-2) resolved at 23:20, lasted 1h05.")


def test_resolved_group_counts_the_sites_back() -> None:
    end = T0 + 3600
    ctx = MessageContext(now=end, incidents=(
        SiteIncident(site=BTS2, incident=incident(5, BTS2, Condition.MAINS_LOST, resolved=("sitewatch", end))),
        SiteIncident(site=HOSP, incident=incident(6, HOSP, Condition.MAINS_LOST, resolved=("sitewatch", end - 600))),
    ))
    m = render(ctx, "en", MessageKind.RESOLVED)
    assert lines(m)[0] == "2 of 2 sites resolved in Chư Sê, Gia Lai."
    assert m.short == "[RESOLVED] 2/2 sites Chu Se, Gia Lai: Tram BTS Benh vien Chu Se (BTS-HOSP) lasted 0h50; " \
                      "Tram Chu Se 2 (BTS-2) lasted 1h00."


def test_a_fallback_page_says_which_channel_failed_since_when_and_how_it_came_instead() -> None:
    ctx = replace(hospital_outage(), outage=ChannelOutage(channel="email", since=T0 + 60, instead="sms_gateway"))
    vi, en = render(ctx, "vi", MessageKind.PAGE), render(ctx, "en", MessageKind.PAGE)
    assert "Máy chủ email không gửi được từ 22:16; tin này gửi qua SMS thay thế." in lines(vi)
    assert "Email server down since 22:16; sent by SMS instead." in lines(en)
    assert "May chu email khong gui duoc tu 22:16; tin nay gui qua SMS thay the." in vi.short
    assert sms_encoding(vi.short) == "gsm7" and sms_segments(vi.short) <= 2
    assert ctx.ack_url is not None and vi.short.endswith(ctx.ack_url), "the ack link is never dropped"
    assert en.data["channel_outage"] == {"channel": "email", "since": "2026-09-21T22:16:00+07:00",
                                         "instead": "sms_gateway"}


def test_a_late_notice_gives_the_outage_span_and_why_it_comes_late() -> None:
    end = T0 + 65 * 60  # 23:20
    ctx = MessageContext(now=end + 600, outage=ChannelOutage(channel="sms_gateway"), incidents=(
        SiteIncident(site=BTS2, incident=incident(5, BTS2, Condition.MAINS_LOST, resolved=("sitewatch", end))),))
    assert render(ctx, "vi", MessageKind.RESOLVED).short == (
        "[DA KHAC PHUC] Mat dien luoi: Tram Chu Se 2 (BTS-2) 22:15-23:20, keo dai 1h05. "
        "Tin bao truoc do khong gui duoc vi cong SMS bi loi.")
    en = render(ctx, "en", MessageKind.RESOLVED)
    assert en.short == ("[RESOLVED] Mains power lost: Tram Chu Se 2 (BTS-2) 22:15-23:20, lasted 1h05. "
                        "This was not delivered earlier because the SMS gateway was down.")
    assert "This was not delivered earlier because the SMS gateway was down." in lines(en)


def test_reminders_say_whether_anyone_took_it() -> None:
    open_ = MessageContext(now=NOW, ack_url=ack_url(5), incidents=(
        SiteIncident(site=BTS2, incident=incident(5, BTS2, Condition.LINK_DOWN, subject="eth1")),))
    m = render(open_, "vi", MessageKind.REMINDER)
    assert m.subject == "[Nhắc lại] Mất kết nối truyền dẫn (eth1) – Trạm Chư Sê 2 (BTS-2)"
    assert lines(m)[0] == "Chưa ai xác nhận tiếp nhận sau 35 phút."
    assert m.ack_url == open_.ack_url and m.short.endswith(open_.ack_url or "?")
    acked = replace(open_, incidents=(SiteIncident(site=BTS2, incident=incident(
        5, BTS2, Condition.LINK_DOWN, subject="eth1", acknowledged=("Trần Thị Hoa", T0 + 300))),))
    m = render(acked, "vi", MessageKind.REMINDER)
    assert lines(m)[0] == "Trần Thị Hoa đã tiếp nhận nhưng sự cố chưa khắc phục sau 35 phút."
    assert "Tiếp nhận: Trần Thị Hoa lúc 22:20 21/09/2026" in lines(m)
    assert m.ack_url is None and "ack/" not in m.short
    assert m.short == ("[NHAC LAI] Mat ket noi truyen dan (eth1): Tram Chu Se 2 (BTS-2) tu 22:15. "
                       "Tran Thi Hoa da tiep nhan.")


def test_acknowledged_tells_the_others_who_took_it() -> None:
    ctx = MessageContext(now=NOW, acknowledged_by="Trần Thị Hoa", incidents=(SiteIncident(site=BTS2, incident=incident(
        5, BTS2, Condition.MAINS_LOST, acknowledged=("Trần Thị Hoa", T0 + 300))),))
    m = render(ctx, "vi", MessageKind.ACKNOWLEDGED)
    assert m.subject == "[Đã tiếp nhận] Mất điện lưới – Trạm Chư Sê 2 (BTS-2) – Trần Thị Hoa"
    assert lines(m)[0] == ("Trần Thị Hoa đã xác nhận tiếp nhận lúc 22:20 21/09/2026. "
                           "Bạn không cần xử lý trừ khi được báo lại.")
    assert m.short == "[DA TIEP NHAN] Tran Thi Hoa da tiep nhan: Mat dien luoi: Tram Chu Se 2 (BTS-2) tu 22:15."
    en = render(ctx, "en", MessageKind.ACKNOWLEDGED)
    assert lines(en)[0] == ("Trần Thị Hoa acknowledged at 22:20, 21 Sep 2026. "
                            "No action is needed from you unless you are paged again.")


def test_shift_notice_in_its_roster_time_zone() -> None:
    start = T0 - 14 * 3600 - 15 * 60  # 08:00 local
    ctx = MessageContext(now=start - 600, roster="Trực ứng cứu Chư Sê", shift_start=start, shift_end=start + 7 * 86400)
    m = render(ctx, "vi", MessageKind.SHIFT)
    assert m.subject == "[Ca trực] Trực ứng cứu Chư Sê: 08:00 21/09/2026 – 08:00 28/09/2026"
    assert lines(m)[0] == ("Ca trực của bạn (Trực ứng cứu Chư Sê) bắt đầu lúc 08:00 21/09/2026 (UTC+07:00), "
                           "kết thúc lúc 08:00 28/09/2026 (UTC+07:00).")
    assert m.short == "[CA TRUC] Truc ung cuu Chu Se tu 08:00 den 08:00 28/09"
    # a zone with daylight saving shows each end's own offset (Berlin leaves summer time on 25 Oct 2026)
    berlin = replace(ctx, timezone="Europe/Berlin", shift_start=T0 + 86400 * 30, shift_end=T0 + 86400 * 37)
    assert "(UTC+02:00)" in render(berlin, "en", MessageKind.SHIFT).text
    assert "(UTC+01:00)" in render(berlin, "en", MessageKind.SHIFT).text
    assert render(berlin, "en", MessageKind.SHIFT).data["shift"]["start"].endswith("+02:00")


def test_test_message() -> None:
    m = render(MessageContext(now=NOW), "en", MessageKind.TEST)
    assert m.subject == "[Test] sitewatch"
    assert m.short == "[TEST] This is a test message from sitewatch: this channel works."


@pytest.mark.parametrize(("asked", "got"), [("vi", "vi"), ("en", "en"), ("en-US", "en"), ("EN_gb", "en"),
                                             ("fr", "vi"), ("", "vi")])
def test_language_choice_and_fallback_to_vietnamese(asked: str, got: str) -> None:
    m = render(hospital_outage(), asked, MessageKind.PAGE)
    assert m.language == got
    assert m.subject.startswith({"vi": "[Sự cố]", "en": "[Incident]"}[got])


def test_data_for_machines() -> None:
    ctx = hospital_outage()
    m = render(ctx, "en", MessageKind.PAGE)
    data = json.loads(json.dumps(m.data))  # plain JSON types only
    assert (data["kind"], data["incident_ids"], data["site_ids"], data["escalation_level"]) == (
        "page", [101, 102], ["BTS-HOSP"], 2)
    assert data["generated_at"] == "2026-09-21T22:50:20+07:00" and data["ack_url"] == ctx.ack_url
    mains, battery = data["incidents"]
    assert (mains["condition"], mains["severity"], mains["state"], mains["opened_at"]) == (
        "mains_lost", "critical", "open", "2026-09-21T22:15:00+07:00")
    assert (battery["battery_runtime_seconds"], battery["runtime_method"], battery["predicted_depletion_at"]) == (
        115 * 60 - (NOW - T0 - 20), "charge_trend", "2026-09-22T00:10:20+07:00")
    assert mains["power"]["customer_id"] == "PB06000123456" and mains["map_url"] == OSM
    assert mains["labels"] == {"alertname": "MainsLost", "incident": "101", "site": "BTS-HOSP", "site_kind": "bts",
                               "province": "Gia Lai", "district": "Chư Sê", "condition": "mains_lost",
                               "severity": "critical", "criticality": "critical", "source": "sitewatch",
                               "team": "chuse"}
    assert all(re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", k) for d in data["incidents"] for k in d["labels"])
    assert mains["annotations"]["summary"] == "mains power lost at Trạm BTS Bệnh viện Chư Sê (BTS-HOSP)"


def test_html_escapes_what_operators_typed() -> None:
    site = BTS2.model_copy(update={"name": "<b>Trạm</b> & \"x\""})
    ctx = MessageContext(now=NOW, incidents=(
        SiteIncident(site=site, incident=incident(5, site, Condition.MAINS_LOST)),))
    html = render(ctx, "vi", MessageKind.PAGE).html
    assert html is not None and "<b>Trạm</b>" not in html and "&lt;b&gt;Trạm&lt;/b&gt; &amp; &quot;x&quot;" in html


def test_an_empty_battery_and_a_flapping_link_are_said_plainly() -> None:
    ctx = MessageContext(now=NOW, incidents=(
        SiteIncident(site=BTS2, incident=incident(5, BTS2, Condition.ON_BATTERY, runtime_left=600)),
        SiteIncident(site=BTS2, incident=replace(incident(6, BTS2, Condition.LINK_DOWN, subject="eth1"),
                                                 flapping=True))))
    m = render(ctx, "vi", MessageKind.PAGE)
    assert "Ắc quy: có thể đã cạn từ 22:25 21/09/2026 (ước tính theo xu hướng dung lượng ắc quy)" in lines(m)
    assert any(x.startswith("Tình trạng: mất kết nối truyền dẫn (eth1, chập chờn) — nghiêm trọng") for x in lines(m))
    assert "ac quy co the da can" in m.short


def test_contexts_that_cannot_be_rendered_are_refused() -> None:
    with pytest.raises(ValueError, match="PAGE message needs at least one incident"):
        render(MessageContext(now=NOW), "vi", MessageKind.PAGE)
    with pytest.raises(ValueError, match="needs roster, shift_start and shift_end"):
        render(MessageContext(now=NOW, roster="r"), "vi", MessageKind.SHIFT)
    with pytest.raises(ValueError, match="unknown time zone"):
        MessageContext(now=NOW, timezone="Mars/Olympus")


def test_site_entries_put_criticality_before_depletion() -> None:
    normal_soon = incident(1, BTS2, Condition.ON_BATTERY, runtime_left=600)
    critical_later = incident(2, HOSP, Condition.ON_BATTERY, runtime_left=6 * 3600)
    high_unknown = incident(3, PROVINCIAL, Condition.MAINS_LOST)
    other = Site(id="BTS-9", name="x", kind=SiteKind.BTS, province="Kon Tum", criticality=Criticality.HIGH)
    high_soon = incident(4, other, Condition.ON_BATTERY, runtime_left=3600)
    order = site_entries([
        SiteIncident(site=BTS2, incident=normal_soon), SiteIncident(site=PROVINCIAL, incident=high_unknown),
        SiteIncident(site=other, incident=high_soon), SiteIncident(site=HOSP, incident=critical_later)])
    assert [e.site.id for e in order] == ["BTS-HOSP", "BTS-9", "TS-PKU", "BTS-2"]
    # a resolved incident's estimate no longer counts
    done = replace(normal_soon, state=IncidentState.RESOLVED, resolved_at=NOW)
    assert site_entries([SiteIncident(site=BTS2, incident=done)])[0].depletion_at is None


@pytest.mark.parametrize(("language", "five", "seven"), [("vi", "kéo dài 5 phút", "7 phút"),
                                                         ("en", "lasted 5 min", "7 min")])
def test_a_grouped_resolution_says_one_duration_per_outage(language: str, five: str, seven: str) -> None:
    # BTS-2 lost mains 22:15-22:20; the group resolved with BTS-HOSP at 22:22, when the message goes out
    ctx = MessageContext(now=T0 + 7 * 60, incidents=(
        SiteIncident(site=BTS2, incident=incident(5, BTS2, Condition.MAINS_LOST, resolved=("sitewatch", T0 + 300))),
        SiteIncident(site=HOSP, incident=incident(6, HOSP, Condition.MAINS_LOST, resolved=("sitewatch", T0 + 420))),
    ))
    m = render(ctx, language, MessageKind.RESOLVED)
    (line,) = [x for x in m.text[m.text.index("BTS-2)"):].splitlines() if "22:20" in x]
    assert five in line and seven not in line
    assert (m.short.endswith("Tram Chu Se 2 (BTS-2) keo dai 0h05.") if language == "vi"
            else m.short.endswith("Tram Chu Se 2 (BTS-2) lasted 0h05."))
    # one site with two incidents, resolved together: the header and each line agree
    both = MessageContext(now=T0 + 7 * 60, incidents=(
        SiteIncident(site=BTS2, incident=incident(5, BTS2, Condition.MAINS_LOST, resolved=("sitewatch", T0 + 300))),
        SiteIncident(site=BTS2, incident=incident(7, BTS2, Condition.ON_BATTERY, resolved=("sitewatch", T0 + 300))),
    ))
    single = render(both, language, MessageKind.RESOLVED)
    assert five in lines(single)[0] and seven not in single.text
    assert sum(five in line for line in lines(single)) == 3


def test_a_link_page_says_where_the_link_goes() -> None:
    # the interface keeps its ifName (the incident's subject); the operator's description of
    # the link (ifAlias) says where it goes
    summary = Summary.of(part(Phrase.LINK_DOWN_TO, interface="RadioLinkTerminal", to="GL-BTS-0042"))
    ctx = MessageContext(now=NOW, ack_url=ack_url(7), incidents=(SiteIncident(site=BTS2, incident=incident(
        7, BTS2, Condition.LINK_DOWN, subject="RadioLinkTerminal", summary=summary)),))
    en = render(ctx, "en", MessageKind.PAGE)
    assert "Transmission link down (RadioLinkTerminal (to GL-BTS-0042))" in en.subject, en.subject
    assert "RadioLinkTerminal (to GL-BTS-0042)" in en.short, en.short
    vi = render(ctx, "vi", MessageKind.PAGE)
    assert "RadioLinkTerminal (toi GL-BTS-0042)" in vi.short, vi.short
