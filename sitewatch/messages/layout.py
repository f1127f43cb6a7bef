"""The shape of a full message, laid out once as plain text and once as HTML.

``render`` decides *what* to say (a ``Document`` of labelled facts); this module only decides
how it looks, so the email body, the chat text and the HTML part never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

__all__ = ["Block", "Document", "Fact", "Section", "to_html", "to_text"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Fact:
    """``label: value``; ``url`` makes the value a link (it is also the text when value is empty)."""

    label: str
    value: str = ""
    url: str | None = None

    @property
    def shown(self) -> str:
        if self.url and self.value:
            return f"{self.value} {self.url}"
        return self.url or self.value


@dataclass(frozen=True, slots=True, kw_only=True)
class Block:
    """One site: an optional heading (grouped messages number their sites) and its facts."""

    heading: str | None = None
    facts: tuple[Fact, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    heading: str | None = None
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    subject: str
    intro: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    footer: tuple[Fact, ...] = ()


def to_text(doc: Document) -> str:
    parts: list[list[str]] = [list(doc.intro)] if doc.intro else []
    for section in doc.sections:
        lines = [f"{section.heading}:"] if section.heading else []
        for block in section.blocks:
            indent = "   " if block.heading else ""
            if block.heading:
                lines.append(block.heading)
            lines.extend(f"{indent}{f.label}: {f.shown}" for f in block.facts)
            if block.facts and block.heading:
                lines.append("")
        while lines and not lines[-1]:
            lines.pop()
        if lines:
            parts.append(lines)
    if doc.footer:
        parts.append([f"{f.label}: {f.shown}" for f in doc.footer])
    return "\n\n".join("\n".join(p) for p in parts) + "\n"


def _fact_html(f: Fact) -> str:
    value = escape(f.value)
    if f.url:
        link = f'<a href="{escape(f.url)}">{value or escape(f.url)}</a>'
        value = link
    return f'<tr><th align="left" valign="top" style="padding-right:1em">{escape(f.label)}</th><td>{value}</td></tr>'


def to_html(doc: Document) -> str:
    out = ['<!DOCTYPE html><html><head><meta charset="utf-8">',
           f"<title>{escape(doc.subject)}</title></head>",
           '<body style="font-family:sans-serif;line-height:1.4">',
           f"<h2>{escape(doc.subject)}</h2>"]
    out.extend(f"<p>{escape(p)}</p>" for p in doc.intro)
    for section in doc.sections:
        if section.heading:
            out.append(f"<h3>{escape(section.heading)}</h3>")
        for block in section.blocks:
            if block.heading:
                out.append(f"<h4 style=\"margin-bottom:0.2em\">{escape(block.heading)}</h4>")
            if block.facts:
                out.append("<table>" + "".join(_fact_html(f) for f in block.facts) + "</table>")
    if doc.footer:
        out.append("<hr><table>" + "".join(_fact_html(f) for f in doc.footer) + "</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
