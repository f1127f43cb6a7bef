"""A ``Summary`` (what evaluation saw, as phrase keys and numbers) in the reader's words.

Each language's ``Vocabulary.readings`` holds one template per ``Phrase``, filled by
``str.format`` with the phrase's parameters. Beyond the standard format specs (``{volts:.1f}``),
a template may ask for ``{x:duration}`` (seconds, as ``timefmt.duration`` says them), ``{x:pct}``
(a 0..1 ratio as a percentage), ``{x:method}`` (how a battery runtime was estimated),
``{x:error}`` (why a poll failed), ``{x:output}`` (what feeds a UPS's output) and ``{x:alarm}`` (a
device alarm, ``alarm_active``'s label). A summary stored
by an older version is English text and is shown as it is.
"""

from __future__ import annotations

import string
from typing import Any

from sitewatch.core.conditions import Part, Summary
from sitewatch.messages.timefmt import duration
from sitewatch.messages.vocabulary import Vocabulary

__all__ = ["part_text", "summary_text"]


class _Formatter(string.Formatter):
    def __init__(self, v: Vocabulary) -> None:
        self.v = v

    def format_field(self, value: Any, format_spec: str) -> str:
        v = self.v
        if format_spec == "duration":
            return duration(float(value), v)
        if format_spec == "pct":
            return f"{float(value) * 100:.0f}%"
        if format_spec == "method":
            return v.runtime_methods.get(str(value), str(value))
        if format_spec == "error":
            return v.poll_errors.get(str(value), str(value))
        if format_spec == "output":
            return v.output_sources.get(str(value), str(value))
        if format_spec == "alarm":
            return v.alarms.get(str(value), str(value))
        return str(super().format_field(value, format_spec))


def part_text(p: Part, v: Vocabulary) -> str:
    return _Formatter(v).format(v.readings[p.key], **p.values())


def summary_text(summary: Summary, v: Vocabulary) -> str:
    """``summary`` in the words of ``v``: its parts joined by commas, or an older version's text."""
    if not summary.parts:
        return summary.text
    return ", ".join(part_text(p, v) for p in summary.parts)
