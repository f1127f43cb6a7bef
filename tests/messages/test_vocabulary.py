"""Both languages say everything: no condition, kind or phrase is missing from either."""

from __future__ import annotations

import re
import string

import pytest

from sitewatch.config.schema import Criticality, SiteKind, StationLevel
from sitewatch.core.conditions import Condition, Severity, severity_for
from sitewatch.messages.context import MessageContext, SiteIncident
from sitewatch.messages.render import render
from sitewatch.messages.sms import sms_encoding, to_gsm7
from sitewatch.messages.vocabulary import EN, LANGUAGES, VI, Vocabulary, vocabulary
from sitewatch.notify.model import MessageKind
from tests.messages.conftest import BTS2, T0, incident


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("v", [VI, EN], ids=["vi", "en"])
def test_every_enum_member_has_words(v: Vocabulary) -> None:
    assert set(v.conditions) == set(Condition)
    assert set(v.kinds) == set(SiteKind)
    assert set(v.station_levels) == set(StationLevel)
    assert set(v.criticality) == set(Criticality)
    assert set(v.severity) == set(Severity)
    assert set(v.tags) == set(MessageKind)
    assert set(v.runtime_methods) == {"reported", "charge_trend", "voltage_trend", "capacity", "load"}


@pytest.mark.parametrize("table", ["labels", "phrases", "ack_page"])
def test_both_languages_have_the_same_texts_with_the_same_placeholders(table: str) -> None:
    vi, en = getattr(VI, table), getattr(EN, table)
    assert set(vi) == set(en)
    for key in vi:
        assert placeholders(vi[key]) == placeholders(en[key]), key
        # words left untranslated: the same letters in both, placeholders aside
        words = re.sub(r"\{\w*\}", "", vi[key])
        assert vi[key] != en[key] or not any(c.isalpha() for c in words), key


def test_vietnamese_uses_the_terms_of_the_ministry_letters() -> None:
    assert VI.conditions[Condition.MAINS_LOST] == "mất điện lưới"
    assert VI.conditions[Condition.ON_BATTERY] == "đang chạy ắc quy"
    assert VI.conditions[Condition.LINK_DOWN] == "mất kết nối truyền dẫn"
    assert VI.kinds[SiteKind.BTS] == "trạm thu phát sóng di động (BTS)"
    assert VI.kinds[SiteKind.NOC_BUILDING] == "tòa nhà quản lý, điều hành mạng lưới"
    assert VI.kinds[SiteKind.POST_OFFICE] == "bưu cục, điểm giao dịch bưu chính"


def test_vietnamese_is_the_default() -> None:
    assert vocabulary(None) is VI and vocabulary("de") is VI and vocabulary("en-GB") is EN
    assert set(LANGUAGES) == {"vi", "en"}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
@pytest.mark.parametrize("condition", list(Condition), ids=lambda c: c.value)
def test_every_condition_is_said_in_every_language(condition: Condition, language: str) -> None:
    """A new ``Condition`` member fails here until each language names it, on the page and in
    the SMS (its GSM-7 transliteration), and it has a base severity."""
    v = vocabulary(language)
    words = v.conditions.get(condition)
    assert words, f"{condition.value} has no words in {language}: add it to messages/vocabulary.py"
    ctx = MessageContext(now=T0 + 600, ack_url="https://sw.example/ack/1",
                         incidents=(SiteIncident(site=BTS2, incident=incident(1, BTS2, condition)),))
    m = render(ctx, language, MessageKind.PAGE)
    # the condition's name is never shown as the identifier (a one-word name like smoke may be a word)
    assert words in m.text and condition.value not in m.text.replace(words, "").replace(words.capitalize(), "")
    assert to_gsm7(words).lower() in m.short.lower() and sms_encoding(m.short) == "gsm7"
    assert {severity_for(condition, c) for c in Criticality} <= set(Severity)
