"""SMS encoding and segment counting (3GPP TS 23.038 / 23.040), and Vietnamese transliteration."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitewatch.messages.sms import GSM7_BASIC, GSM7_EXTENSION, sms_encoding, sms_segments, to_gsm7

VIETNAMESE_LETTERS = ("aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
                      "AÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬEÈÉẺẼẸÊỀẾỂỄỆIÌÍỈĨỊOÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢUÙÚỦŨỤƯỪỨỬỮỰYỲÝỶỸỴĐ")


def test_the_gsm7_alphabet_is_the_standard_one() -> None:
    # 128 code points less the escape; the extension table of the default language
    assert len(GSM7_BASIC) == 127 and "\x1b" not in GSM7_BASIC
    assert frozenset("\f^{}\\[~]|€") == GSM7_EXTENSION
    assert "`" not in GSM7_BASIC and "@" in GSM7_BASIC and "é" in GSM7_BASIC and "ê" not in GSM7_BASIC


@pytest.mark.parametrize(("text", "encoding", "segments"), [
    ("", "gsm7", 1),
    ("a" * 160, "gsm7", 1),
    ("a" * 161, "gsm7", 2),
    ("a" * 306, "gsm7", 2),
    ("a" * 307, "gsm7", 3),
    ("€" * 80, "gsm7", 1),  # two septets each: exactly 160
    ("€" * 81, "gsm7", 2),
    ("a" * 152 + "€" + "a" * 10, "gsm7", 2),
    ("ấ" * 70, "ucs2", 1),
    ("ấ" * 71, "ucs2", 2),
    ("ấ" * 134, "ucs2", 2),
    ("ấ" * 135, "ucs2", 3),
    ("a" * 69 + "😀", "ucs2", 2),  # a surrogate pair is two UTF-16 units: 71
])
def test_segments(text: str, encoding: str, segments: int) -> None:
    assert sms_encoding(text) == encoding
    assert sms_segments(text) == segments


def test_an_escape_pair_is_never_split_across_segments() -> None:
    # 306 septets (two full parts by count), but the escape pair cannot straddle parts 1 and 2
    assert sms_segments("a" * 152 + "€" + "a" * 152) == 3
    assert sms_segments("a" * 151 + "€" + "a" * 153) == 2


def test_one_diacritic_makes_the_whole_text_ucs2() -> None:
    text = "Mat dien luoi tai tram BTS Chu Se 2 tu 22:15, ac quy con ~1h20. " * 2
    assert sms_segments(text) == 1 and sms_segments(text + "ấ") == 2


def test_vietnamese_is_transliterated_to_unaccented_gsm7() -> None:
    assert to_gsm7("Mất điện lưới – Đắk Tô, Chư Sê; ắc quy “còn” ~1h20") == (
        "Mat dien luoi - Dak To, Chu Se; ac quy \"con\" ~1h20")
    plain = to_gsm7(VIETNAMESE_LETTERS)
    assert plain == "aaaaaaaaaaaaaaaaaaeeeeeeeeeeeeiiiiiioooooooooooooooooouuuuuuuuuuuuyyyyyyd" \
                    "AAAAAAAAAAAAAAAAAAEEEEEEEEEEEEIIIIIIOOOOOOOOOOOOOOOOOOUUUUUUUUUUUUYYYYYYD"
    assert sms_encoding(plain) == "gsm7"


def test_what_gsm7_cannot_carry_becomes_a_question_mark() -> None:
    assert to_gsm7("trạm 📡 ok `x` 中") == "tram ? ok 'x' ?"


@given(st.text())
def test_transliterated_text_is_always_gsm7(text: str) -> None:
    assert sms_encoding(to_gsm7(text)) == "gsm7"
