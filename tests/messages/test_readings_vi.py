"""The evaluator's English summaries, as a Vietnamese reader sees them in a message."""

from __future__ import annotations

import pytest

from sitewatch.messages.readings_vi import summary_in


@pytest.mark.parametrize(("en", "vi"), [
    ("mains 0 V on 3 phases", "điện lưới 0 V trên 3 pha"),
    ("mains 0/0/231 V on 3 phases", "điện lưới 0/0/231 V trên 3 pha"),
    ("on battery for 12 min, charge 38%, ~3 h 05 min left (charge_trend)",
     "chạy ắc quy 12 phút, dung lượng 38%, còn ~3 giờ 05 phút (theo xu hướng dung lượng)"),
    ("runtime ~25 min left (reported), threshold 40 min",
     "thời gian còn ~25 phút (thiết bị báo), ngưỡng 40 phút"),
    ("no answer for 3 polls (timeout)", "không trả lời 3 lần hỏi liên tiếp"),
    ("eth1 down (admin up)", "eth1 mất kết nối (đang bật)"),
    ("mains lost and generator not running", "mất điện lưới và máy phát không chạy"),
    ("battery low, charge 18%, 1.85 V/cell (44.4 V)", "ắc quy yếu, dung lượng 18%, 1.85 V/cell (44.4 V)"),
])
def test_known_phrases_read_in_vietnamese(en: str, vi: str) -> None:
    assert summary_in(en, "vi") == vi


def test_english_readers_and_unknown_phrases_are_left_alone() -> None:
    assert summary_in("mains 0 V on 3 phases", "en") == "mains 0 V on 3 phases"
    assert summary_in("something new, charge 50%", "vi") == "something new, dung lượng 50%"
    assert summary_in("", "vi") == ""
