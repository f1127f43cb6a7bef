"""``render``: a ``MessageContext`` in, a ``Message`` out, in the recipient's language.

Pure: no clock, no I/O. One call gives every form a channel may pick: ``short`` (SMS,
unaccented GSM-7 within two segments), ``subject`` + ``text`` + ``html`` (email, chat) and
``data`` (webhooks, Alertmanager). Vietnamese is the default; an unknown language gets it too.

A single site (with one or several incidents) gets every fact in full; a group lists its sites
most urgent first (criticality, then predicted battery depletion) with a few lines each. The
ack link is shown only while something is still open to acknowledge.
"""

from __future__ import annotations

from collections.abc import Sequence

from sitewatch.core.incident import IncidentState
from sitewatch.messages.context import MessageContext, SiteEntry, site_entries
from sitewatch.messages.data import message_data
from sitewatch.messages.facts import conditions_text, site_facts, site_label
from sitewatch.messages.layout import Block, Document, Fact, Section, to_html, to_text
from sitewatch.messages.short import short_text
from sitewatch.messages.summary import acknowledgers, condition_counts, group_text, resolved_span, sites_text
from sitewatch.messages.timefmt import clock_time, duration, full_time, utc_offset
from sitewatch.messages.vocabulary import Vocabulary, vocabulary
from sitewatch.notify.model import Message, MessageKind

__all__ = ["render"]

#: kinds that ask the recipient to act, so they carry the ack link and the escalation level
_ACTIONABLE = frozenset({MessageKind.PAGE, MessageKind.UPDATE, MessageKind.REMINDER})


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _shift_time(t: float, ctx: MessageContext, v: Vocabulary) -> str:
    return f"{full_time(t, ctx.timezone, v)} ({utc_offset(t, ctx.timezone)})"


def _who(ctx: MessageContext, entries: Sequence[SiteEntry]) -> str:
    return ctx.acknowledged_by or ", ".join(acknowledgers(entries)) or "?"


def _intro(ctx: MessageContext, entries: Sequence[SiteEntry], v: Vocabulary, kind: MessageKind) -> list[str]:
    one = entries[0] if len(entries) == 1 else None
    where = group_text(ctx, entries, v)
    count = sites_text(len(entries), v)
    lasted = ctx.now - min(e.since for e in entries) if entries else 0.0
    if kind is MessageKind.PAGE:
        lines = [v.phrase("page_one", condition=conditions_text(one, v), site=site_label(one.site)) if one else
                 v.phrase("page_group", count=count, group=where, conditions=condition_counts(entries, v))]
        if ctx.escalation_level is not None and ctx.escalation_level > 1:
            lines.append(v.phrase("escalated", level=ctx.escalation_level))
        return lines
    if kind is MessageKind.UPDATE:
        if one is not None or not ctx.new_incident_ids:
            return [v.phrase("update_one", count=count, group=where,
                             conditions=conditions_text(one, v) if one else condition_counts(entries, v))]
        new = sum(1 for e in entries if set(e.ids) & ctx.new_incident_ids)
        return [v.phrase("update", new=sites_text(new, v), group=where, count=count)]
    if kind is MessageKind.REMINDER:
        if any(i.state is IncidentState.OPEN for e in entries for i in e.incidents):
            return [v.phrase("remind_open", duration=duration(lasted, v))]
        return [v.phrase("remind_acked", who=_who(ctx, entries), duration=duration(lasted, v))]
    if kind is MessageKind.RESOLVED:
        if one is not None:
            start, end = resolved_span(one, ctx.now)
            return [v.phrase("resolved_one", condition=conditions_text(one, v), site=site_label(one.site),
                             duration=duration(end - start, v))]
        done = sum(1 for e in entries if not e.unresolved)
        return [v.phrase("resolved_group", resolved=done, count=count, group=where)]
    if kind is MessageKind.ACKNOWLEDGED:
        times = [i.acknowledged_at for e in entries for i in e.incidents if i.acknowledged_at is not None]
        return [v.phrase("acked", who=_who(ctx, entries), at=full_time(max(times, default=ctx.now), ctx.timezone, v))]
    if kind is MessageKind.SHIFT:
        assert ctx.shift_start is not None and ctx.shift_end is not None  # checked by _require
        return [v.phrase("shift", roster=ctx.roster, start=_shift_time(ctx.shift_start, ctx, v),
                         end=_shift_time(ctx.shift_end, ctx, v))]
    return [v.phrase("test")]


def _sections(ctx: MessageContext, entries: Sequence[SiteEntry], v: Vocabulary,
              kind: MessageKind) -> tuple[Section, ...]:
    if not entries:
        return ()
    if len(entries) == 1:
        return (Section(blocks=(Block(facts=site_facts(entries[0], ctx, v, compact=False)),)),)

    def blocks(chosen: Sequence[SiteEntry], *, facts: bool) -> tuple[Block, ...]:
        if not facts:  # only named: the sites the recipient already heard about
            return tuple(Block(heading=f"- {site_label(e.site)} — {conditions_text(e, v)}") for e in chosen)
        return tuple(Block(heading=f"{n}. {site_label(e.site)}", facts=site_facts(e, ctx, v, compact=True))
                     for n, e in enumerate(chosen, 1))

    new = [e for e in entries if set(e.ids) & ctx.new_incident_ids]
    if kind is MessageKind.UPDATE and new:
        others = [e for e in entries if e not in new]
        return (Section(heading=v.label("new_sites"), blocks=blocks(new, facts=True)),
                *((Section(heading=v.label("other_sites"), blocks=blocks(others, facts=False)),) if others else ()))
    return (Section(blocks=blocks(entries, facts=True)),)


def _subject(ctx: MessageContext, entries: Sequence[SiteEntry], v: Vocabulary, kind: MessageKind) -> str:
    tag = f"[{v.tags[kind]}]"
    if kind is MessageKind.SHIFT:
        assert ctx.shift_start is not None and ctx.shift_end is not None
        return (f"{tag} {ctx.roster}: {full_time(ctx.shift_start, ctx.timezone, v)} – "
                f"{full_time(ctx.shift_end, ctx.timezone, v)}")
    if kind is MessageKind.TEST:
        return f"{tag} sitewatch"
    if len(entries) == 1:
        core = f"{_cap(conditions_text(entries[0], v))} – {site_label(entries[0].site)}"
    else:
        where, count = group_text(ctx, entries, v), sites_text(len(entries), v)
        new = sum(1 for e in entries if set(e.ids) & ctx.new_incident_ids)
        core = (v.phrase("update_short", new=sites_text(new, v), count=count, group=where)
                if kind is MessageKind.UPDATE and new else f"{count} – {where}")
    return f"{tag} {core} – {_who(ctx, entries)}" if kind is MessageKind.ACKNOWLEDGED else f"{tag} {core}"


def _outage_note(ctx: MessageContext, v: Vocabulary) -> str | None:
    """Why this message comes by another channel (a fallback), or comes late (a late notice)."""
    o = ctx.outage
    if o is None:
        return None
    channel = v.channel_services.get(o.channel, o.channel)
    if o.instead is None:
        return _cap(v.phrase("late_note", channel=channel))
    since = clock_time(o.since, ctx.timezone, ctx.now) if o.since is not None else "?"
    return _cap(v.phrase("fallback_note", channel=channel, since=since, instead=v.channels.get(o.instead, o.instead)))


def _require(ctx: MessageContext, entries: Sequence[SiteEntry], kind: MessageKind) -> None:
    if kind is MessageKind.SHIFT:
        if not ctx.roster or ctx.shift_start is None or ctx.shift_end is None:
            raise ValueError("a SHIFT message needs roster, shift_start and shift_end")
    elif kind is not MessageKind.TEST and not entries:
        raise ValueError(f"a {kind.value.upper()} message needs at least one incident")


def render(ctx: MessageContext, language: str, kind: MessageKind) -> Message:
    """Render ``ctx`` as a ``kind`` message in ``language`` ("vi" default, "en")."""
    v = vocabulary(language)
    entries = site_entries(ctx.incidents)
    _require(ctx, entries, kind)
    still_open = any(i.state is IncidentState.OPEN for e in entries for i in e.incidents)
    ack = ctx.ack_url if ctx.ack_url and kind in _ACTIONABLE and still_open else None
    footer: list[Fact] = []
    if ctx.also_paged and kind not in (MessageKind.SHIFT, MessageKind.TEST):
        footer.append(Fact(label=v.label("also_paged"), value=", ".join(ctx.also_paged)))
    if ctx.escalation_level is not None and kind in _ACTIONABLE:
        footer.append(Fact(label=v.label("level"), value=str(ctx.escalation_level)))
    if kind not in (MessageKind.SHIFT, MessageKind.TEST):  # the zone of every time above, said once
        footer.append(Fact(label=v.label("time_zone"), value=utc_offset(ctx.now, ctx.timezone)))
    if ack:
        footer.append(Fact(label=v.label("ack"), url=ack))
    note = _outage_note(ctx, v)
    doc = Document(subject=_subject(ctx, entries, v, kind),
                   intro=(*_intro(ctx, entries, v, kind), *([note] if note else [])),
                   sections=_sections(ctx, entries, v, kind), footer=tuple(footer))
    short_footer = " ".join(p for p in (note, v.phrase("ack_short", url=ack) if ack else "") if p)
    return Message(kind=kind, language=v.language, subject=doc.subject,
                   short=short_text(ctx, entries, v, kind, footer=short_footer),
                   text=to_text(doc), html=to_html(doc), ack_url=ack,
                   data=message_data(ctx, entries, kind, v.language, ack))
