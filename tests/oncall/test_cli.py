"""``sitewatch oncall`` on the shipped Gia Lai example: what a duty officer reads."""

from __future__ import annotations

import subprocess
import sys

import icalendar
import pytest

from sitewatch.cli import main
from tests.oncall.conftest import EXAMPLE


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["oncall", "--config", str(EXAMPLE), *args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_a_district_roster_at_a_local_time_with_contacts_and_next_handoffs(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(capsys, "ut-pleiku", "--at", "2026-12-22T17:30")
    assert rc == 0
    assert out == (
        "ut-pleiku: Trực ứng cứu thông tin cụm Pleiku, team ut-pleiku (Asia/Ho_Chi_Minh)\n"
        "  at 2026-12-22 17:30 +07:\n"
        "    Nguyễn Văn An (nguyen-van-an), override until 2026-12-22 18:00 +07\n"
        "      sms +84905110101, email an.nguyen@vienthong-gialai.example, telegram 510010101\n"
        "  next:\n"
        "    2026-12-22 18:00 +07  Phạm Thị Dung (pham-thi-dung), night\n"
        "    2026-12-23 07:00 +07  Trần Thị Bình (tran-thi-binh), day\n"
    )


def test_a_team_lists_its_rosters_and_a_time_with_an_offset_is_taken_as_given(
        capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(capsys, "noc", "--at", "2026-12-22T12:00:00+00:00", "--days", "2")
    assert rc == 0
    assert out.splitlines()[:3] == [
        "truc-dieu-hanh: Trực điều hành mạng tỉnh Gia Lai, team noc (Asia/Ho_Chi_Minh)",
        "  at 2026-12-22 19:00 +07:",
        "    Nguyễn Thị Hạnh (nguyen-thi-hanh), duty-officer until 2026-12-22 19:30 +07",
    ]
    assert out.count("duty-officer\n") == 4  # four 12-hour handoffs in two days
    assert "truc-lanh-dao" not in out  # the director's roster belongs to no team


def test_every_roster_when_no_name_is_given(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(capsys, "--at", "2026-12-24T02:00")
    assert rc == 0
    *listed, footer = out.splitlines()
    heads = [line.split(":")[0] for line in listed if line and not line.startswith(" ")]
    assert heads == ["ut-pleiku", "ut-an-khe", "ut-ayun-pa", "ut-chu-se", "truc-dieu-hanh", "truc-lanh-dao"]
    assert footer == "6 rosters", "a list says how long it is"
    assert "NOBODY" not in out


def test_mistakes_are_reported_with_exit_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = _run(capsys, "ut-pleik")
    assert (rc, err) == (2, "sitewatch oncall: no roster or team 'ut-pleik' (did you mean 'ut-pleiku'?)\n")
    rc, _, err = _run(capsys, "--at", "tomorrow")
    assert rc == 2 and "expected an ISO 8601 time such as 2026-03-01T08:00" in err
    rc, _, err = _run(capsys, "--ics-person", "nobody")
    assert (rc, err) == (2, "sitewatch oncall: no person 'nobody'\n")


def test_ics_of_a_roster_through_the_installed_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sitewatch", "oncall", "-c", str(EXAMPLE), "--ics", "truc-lanh-dao",
         "--at", "2026-12-21T08:00", "--days", "14"],
        capture_output=True, check=True, timeout=60)
    cal = icalendar.Calendar.from_ical(done.stdout)
    assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == [
        "On call: Trực lãnh đạo Viễn thông Gia Lai — Võ Thành Long",  # 50 weeks after 2026-01-05: member 0
        "On call: Trực lãnh đạo Viễn thông Gia Lai — Huỳnh Thị Mai",
    ]
    assert done.stdout.count(b"\r\n") == len(done.stdout.splitlines())
