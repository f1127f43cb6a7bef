"""SMS length: GSM-7 or UCS-2, and how many segments a text costs.

One Vietnamese diacritic turns the whole SMS into UCS-2 (70 characters per segment, 67 when
concatenated) instead of GSM-7 (160, 153 concatenated): a page of 150 characters would cost 3
segments instead of 1. Operators therefore send unaccented Vietnamese ("Mat dien luoi");
``to_gsm7`` does that transliteration (Đ→D, every diacritic dropped) and replaces anything
else GSM-7 cannot carry. Characters of the GSM-7 extension table (``{ } [ ] ~ ^ \\ | €``)
cost two septets, and a segment never splits one (3GPP TS 23.038 §6.1.2; TS 23.040 UDH).
"""

from __future__ import annotations

import unicodedata
from typing import Literal

__all__ = ["GSM7_BASIC", "GSM7_EXTENSION", "sms_encoding", "sms_segments", "to_gsm7"]

#: GSM 03.38 default alphabet in code order (0x1B, the escape to the extension table, is left out)
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
#: reached through the escape: two septets each
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

_SINGLE = {"gsm7": 160, "ucs2": 70}
_PART = {"gsm7": 153, "ucs2": 67}  # a concatenated part gives 6 octets to the UDH

#: punctuation people and templates use that has a plain GSM-7 twin
_PUNCTUATION = str.maketrans({
    "–": "-", "—": "-", "‒": "-", "−": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...",
    "·": "-", "•": "-", "→": "->", "≈": "~", "⚠": "!", "\u00a0": " ", "\t": " ", "°": "o", "`": "'",
})


def sms_encoding(text: str) -> Literal["gsm7", "ucs2"]:
    """``gsm7`` if every character is in the GSM-7 alphabet (with its extension), else ``ucs2``."""
    return "gsm7" if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text) else "ucs2"


def _units(text: str, encoding: str) -> list[int]:
    """Cost of each character: septets for GSM-7, UTF-16 code units for UCS-2."""
    if encoding == "gsm7":
        return [2 if c in GSM7_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]  # a surrogate pair is never split either


def sms_segments(text: str) -> int:
    """How many SMS segments ``text`` costs (an empty text still is one message)."""
    encoding = sms_encoding(text)
    units = _units(text, encoding)
    if sum(units) <= _SINGLE[encoding]:
        return 1
    part, segments, used = _PART[encoding], 1, 0
    for u in units:
        if used + u > part:
            segments, used = segments + 1, 0
        used += u
    return segments


def to_gsm7(text: str) -> str:
    """Unaccented text GSM-7 can carry: ``"Mất điện lưới – Đắk Tô"`` → ``"Mat dien luoi - Dak To"``.

    Diacritics are dropped even where GSM-7 has the letter (é, à): a Vietnamese reader expects
    plain unaccented text, and some gateways mangle the accented GSM-7 letters. What has no
    twin becomes ``?``."""
    text = text.translate(_PUNCTUATION).replace("Đ", "D").replace("đ", "d")
    plain = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    plain = unicodedata.normalize("NFC", plain)
    return "".join(c if c in GSM7_BASIC or c in GSM7_EXTENSION else "?" for c in plain)
