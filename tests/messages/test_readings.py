"""Every condition's summaries read in Vietnamese and in English, from data, never from English text."""

from __future__ import annotations

import string

import pytest

from sitewatch.core.conditions import Condition, Part, Phrase, Summary, part
from sitewatch.evaluation.conditions import ALARMS
from sitewatch.messages.readings import summary_text
from sitewatch.messages.vocabulary import EN, LANGUAGES, VI, Vocabulary

#: a sample value per parameter name (every parameter a phrase may take)
SAMPLES: dict[str, str | int | float] = {
    "volts": 44.0, "phases": 3, "seconds": 4500, "source": "battery", "ratio": 0.82, "cell_volts": 1.834,
    "method": "charge_trend", "threshold": 1800, "celsius": 41.5, "interface": "eth1", "polls": 3,
    "error": "timeout", "name": "upsTrapOnBattery", "subject": "eth1", "to": "GL-BTS-0042", "alarm": "battery_bad",
    "hertz": 46.2,
}
#: words that give English away in a Vietnamese text
ENGLISH = ("mains", "battery", "charge", "left", "runtime", "threshold", "generator", "fuel", "unknown", "down",
           " up", "answer", "polls", "from", "phase", "reports", "timeout", "admin", "rectifier", "disconnect")


def sample(key: Phrase) -> Part:
    params = {n: SAMPLES[n] for n in key.params}
    if key is Phrase.MAINS_PHASES:
        params["volts"] = "230/229/0"
    if key is Phrase.TRAP or key.name.startswith("TRAP_"):
        params["source"] = "127.0.0.1:40000"
    return part(key, **params)


def test_every_condition_has_phrases() -> None:
    for condition in Condition:
        assert [p for p in Phrase if condition in p.conditions], condition


@pytest.mark.parametrize("v", LANGUAGES.values(), ids=list(LANGUAGES))
def test_every_phrase_has_a_template_taking_exactly_its_parameters(v: Vocabulary) -> None:
    assert set(v.readings) == set(Phrase)
    for key, template in v.readings.items():
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
        assert fields == set(key.params), (v.language, key)


@pytest.mark.parametrize("condition", list(Condition), ids=[c.value for c in Condition])
def test_every_summary_of_every_condition_renders_in_both_languages(condition: Condition) -> None:
    for key in (p for p in Phrase if condition in p.conditions):
        summary = Summary.of(sample(key))
        vi, en = summary_text(summary, VI), summary_text(summary, EN)
        for text in (vi, en):
            assert text and "{" not in text and "}" not in text and "None" not in text, (key, text)
        assert vi != en, key
        plain = vi.replace("upsTrapOnBattery", "").replace("eth1", "").replace("charge_trend", "")
        assert not [w for w in ENGLISH if w in plain.lower()], (key, vi)


@pytest.mark.parametrize("condition", sorted(ALARMS, key=lambda c: c.value), ids=lambda c: c.value)
def test_every_alarm_a_condition_is_read_from_has_words_in_both_languages(condition: Condition) -> None:
    for alarm in ALARMS[condition]:
        vi, en = (summary_text(Summary.of(part(Phrase.UPS_ALARM, alarm=alarm)), v) for v in (VI, EN))
        assert alarm in VI.alarms and alarm in EN.alarms and alarm not in vi and vi != en, alarm
        assert not [w for w in ENGLISH if w in vi.lower()], (alarm, vi)


def test_an_alarm_without_words_shows_as_the_device_named_it() -> None:
    summary = Summary.of(part(Phrase.UPS_ALARM, alarm="1.3.6.1.4.1.534.1.7.99"))
    assert summary_text(summary, EN) == "device reports 1.3.6.1.4.1.534.1.7.99"


def test_numbers_are_formatted_per_language() -> None:
    summary = Summary.of(part(Phrase.ON_BATTERY_FOR, seconds=240), part(Phrase.CHARGE, ratio=0.82),
                         part(Phrase.RUNTIME_LEFT, seconds=11400, method="reported"))
    assert summary_text(summary, VI) == ("chạy ắc quy 4 phút, dung lượng 82%, "
                                         "còn ~3 giờ 10 phút (theo số liệu thiết bị báo)")
    assert summary_text(summary, EN) == ("on battery for 4 min, charge 82%, "
                                         "~3 h 10 min left (from the device's own figure)")
    unreachable = Summary.of(part(Phrase.NO_ANSWER, polls=3, error="timeout"))
    assert summary_text(unreachable, VI) == "không trả lời 3 lần hỏi liên tiếp"


def test_a_part_takes_exactly_its_phrases_parameters() -> None:
    with pytest.raises(ValueError, match="charge takes"):
        part(Phrase.CHARGE, volts=3.0)


def test_stored_summaries_round_trip_and_old_text_is_shown_as_it_was() -> None:
    summary = Summary.of(part(Phrase.MAINS_PHASES, volts="0", phases=3), part(Phrase.CHARGE, ratio=0.99))
    assert Summary.from_stored(summary.to_stored()) == summary
    old = Summary.from_stored("mains 0 V on 3 phases, charge 99%")  # written by an older version
    assert summary_text(old, VI) == summary_text(old, EN) == "mains 0 V on 3 phases, charge 99%"
    assert Summary.from_stored("[[not json") == Summary(text="[[not json")
    assert Summary.from_stored('[["no_such_phrase",{}]]').text == '[["no_such_phrase",{}]]'
