"""iCalendar export: what a calendar application reads back (parsed with ``icalendar``), the
RFC 5545 framing (CRLF, 75-octet folding, escaping), and output that does not change as the
window slides, so a subscribed calendar updates shifts in place."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar

from sitewatch.config.schema import Config
from sitewatch.oncall.ics import person_ics, roster_ics
from tests.oncall.test_schedule import DAY, NIGHT
from tests.oncall.util import at, schedule

NAMES = {"an": "Nguyễn Văn An", "binh": "Trần Thị Bình", "cuong": "Lê Văn Cường", "dung": "Phạm Thị Dung",
         "hai": "Hoàng Văn Hải"}


def _events(text: str) -> list[tuple[str, datetime, datetime, str]]:
    cal = icalendar.Calendar.from_ical(text)
    return [(str(e["SUMMARY"]), e.decoded("DTSTART"), e.decoded("DTEND"), str(e["UID"])) for e in cal.walk("VEVENT")]


def _utc(text: str) -> datetime:
    return datetime.fromtimestamp(at(text), UTC)


def test_a_roster_calendar_parses_back_to_its_shifts() -> None:
    s = schedule(DAY, NIGHT, roster_id="ut-pleiku")
    text = roster_ics(s, at("2026-03-03T07:00"), at("2026-03-04T07:00"), names=NAMES)
    events = _events(text)
    assert [(summary, start, end) for summary, start, end, _ in events] == [
        ("On call: Test roster — Trần Thị Bình", _utc("2026-03-03T07:00"), _utc("2026-03-03T18:00")),
        ("On call: Test roster — Phạm Thị Dung", _utc("2026-03-03T18:00"), _utc("2026-03-04T07:00")),
    ]
    assert events[0][3] == "ut-pleiku-binh-20260303T000000Z@sitewatch"
    cal = icalendar.Calendar.from_ical(text)
    assert str(cal["X-WR-CALNAME"]) == "On call: Test roster"
    assert [str(e["DESCRIPTION"]) for e in cal.walk("VEVENT")] == [
        "Roster ut-pleiku (Asia/Ho_Chi_Minh), layer day", "Roster ut-pleiku (Asia/Ho_Chi_Minh), layer night"]


def test_framing_crlf_folding_at_75_octets_and_escaping() -> None:
    s = schedule(DAY, NIGHT, roster_id="ut-pleiku")
    long_names = {"binh": "Trần Thị Bình; phó tổ trưởng, tổ ứng cứu thông tin cụm Pleiku \\ Gia Lai"}
    text = roster_ics(s, at("2026-03-03T07:00"), at("2026-03-03T18:00"), names=long_names)
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert text.endswith("END:VCALENDAR\r\n")
    lines = text.split("\r\n")[:-1]
    assert "\n" not in "".join(lines)
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert any(line.startswith(" ") for line in lines)  # the summary was folded
    for line in lines:  # no UTF-8 character cut in two
        line.encode("utf-8").decode("utf-8")
    unfolded = text.replace("\r\n ", "")
    assert ("SUMMARY:On call: Test roster — Trần Thị Bình\\; phó tổ trưởng\\, tổ ứng cứu thông tin cụm "
            "Pleiku \\\\ Gia Lai\r\n") in unfolded
    assert _events(text)[0][0] == "On call: Test roster — " + long_names["binh"]


def test_the_same_window_gives_the_same_bytes_and_a_sliding_window_keeps_uids_and_times() -> None:
    s = schedule(DAY, NIGHT, roster_id="ut-pleiku")
    a = roster_ics(s, at("2026-03-03T10:00"), at("2026-03-05T10:00"), stamp=at("2026-03-01T00:00"))
    assert a == roster_ics(s, at("2026-03-03T10:00"), at("2026-03-05T10:00"), stamp=at("2026-03-01T00:00"))
    b = roster_ics(s, at("2026-03-03T12:00"), at("2026-03-05T12:00"), stamp=at("2026-03-01T00:00"))
    first_a, first_b = _events(a)[0], _events(b)[0]
    # the shift running at the window's start is exported whole: 07:00 to 18:00 both times
    assert first_a == first_b
    assert first_a[1:3] == (_utc("2026-03-03T07:00"), _utc("2026-03-03T18:00"))
    assert _events(a)[-1][2] == _utc("2026-03-05T18:00")  # and the last one to its real end


def test_a_persons_calendar_has_their_shifts_on_every_roster(config: Config) -> None:
    text = person_ics(config, "le-minh-khoa", at("2026-12-22T00:00"), at("2026-12-24T00:00"))
    assert [(summary, start) for summary, start, _, _ in _events(text)] == [
        ("On call: Trực điều hành mạng tỉnh Gia Lai — Lê Minh Khoa", _utc("2026-12-21T19:30")),
        ("On call: Trực điều hành mạng tỉnh Gia Lai — Lê Minh Khoa", _utc("2026-12-23T07:30")),
    ]
    bui = _events(person_ics(config, "bui-van-minh", at("2026-01-05T00:00"), at("2026-01-19T00:00")))
    assert {summary for summary, _, _, _ in bui} == {"On call: Trực ứng cứu thông tin cụm An Khê — Bùi Văn Minh"}
    assert len({uid for _, _, _, uid in bui}) == len(bui)
