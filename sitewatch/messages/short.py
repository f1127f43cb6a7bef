"""The SMS form: site, condition, since, battery left, ack link, in as few segments as possible.

Built from the same vocabulary as the full message, then transliterated to unaccented GSM-7
(``sms.to_gsm7``): "[SU CO] Mat dien luoi: Tram Chu Se 2 (BTS-2) tu 22:15, ac quy con ~1h20.
Xac nhan: https://...". A late notice (a resolution for someone whose page this channel
lost) gives each site's outage as a span, "21:13-21:17", since its reader never saw the start.
Each message is tried from the richest form to the leanest (a group's
sites by name, as many as fit, most urgent first, with "+N more"; then by id only) and the
first that fits ``MAX_SEGMENTS`` is sent; the ack link is never dropped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sitewatch.core.incident import IncidentState
from sitewatch.messages.context import MessageContext, SiteEntry
from sitewatch.messages.facts import conditions_text, site_label
from sitewatch.messages.sms import sms_segments, to_gsm7
from sitewatch.messages.summary import acknowledgers, group_text, resolved_span, sites_text
from sitewatch.messages.timefmt import clock_time, compact_duration
from sitewatch.messages.vocabulary import Vocabulary
from sitewatch.notify.model import MessageKind

__all__ = ["MAX_SEGMENTS", "short_text"]

#: a page should cost at most this many segments (GSM-7: 306 characters)
MAX_SEGMENTS = 2


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _battery(entry: SiteEntry, ctx: MessageContext, v: Vocabulary) -> str | None:
    depletion = entry.depletion_at
    if depletion is None:
        return None
    left = depletion - ctx.now
    return v.phrase("battery_gone_short") if left < 60 else v.phrase("battery_short", left=compact_duration(left))


def _name(entry: SiteEntry, named: bool) -> str:
    return site_label(entry.site) if named else entry.site.id


def _span(entry: SiteEntry, ctx: MessageContext) -> str:
    """``21:13–21:17``: when the outage began and ended, for a reader who never got the page."""
    start, end = resolved_span(entry, ctx.now)
    return f"{clock_time(start, ctx.timezone, ctx.now)}–{clock_time(end, ctx.timezone, ctx.now)}"


def _entry(entry: SiteEntry, ctx: MessageContext, v: Vocabulary, kind: MessageKind, named: bool,
           condition: bool) -> str:
    if kind is MessageKind.RESOLVED and ctx.outage is not None:  # a late notice: what, and when
        what = f" {conditions_text(entry, v)}" if condition else ""
        return f"{_name(entry, named)}{what} {_span(entry, ctx)}"
    if kind is MessageKind.RESOLVED:
        start, end = resolved_span(entry, ctx.now)
        return f"{_name(entry, named)} {v.phrase('lasted_short', duration=compact_duration(end - start))}"
    battery = _battery(entry, ctx, v)
    what = f" {conditions_text(entry, v)}" if condition else ""
    text = f"{_name(entry, named)}{what} {clock_time(entry.since, ctx.timezone, ctx.now)}"
    return f"{text}, {battery}" if battery else text


def _single(entry: SiteEntry, ctx: MessageContext, v: Vocabulary, kind: MessageKind, named: bool) -> str:
    head = f"{_cap(conditions_text(entry, v))}: {_name(entry, named)}"
    if kind is MessageKind.RESOLVED and ctx.outage is not None:
        start, end = resolved_span(entry, ctx.now)
        return f"{head} {_span(entry, ctx)}, {v.phrase('lasted_short', duration=compact_duration(end - start))}."
    if kind is MessageKind.RESOLVED:
        start, end = resolved_span(entry, ctx.now)
        return (f"{head} {v.phrase('resolved_short', at=clock_time(end, ctx.timezone, ctx.now))}, "
                f"{v.phrase('lasted_short', duration=compact_duration(end - start))}.")
    text = f"{head} {v.phrase('since_short', at=clock_time(entry.since, ctx.timezone, ctx.now))}"
    if battery := _battery(entry, ctx, v):
        text += f", {battery}"
    if kind is not MessageKind.ACKNOWLEDGED and all(i.state is IncidentState.ACKNOWLEDGED for i in entry.incidents):
        text += f". {_cap(v.phrase('acked_short', who=', '.join(acknowledgers([entry]))))}"
    return text + "."


def _group_head(entries: Sequence[SiteEntry], ctx: MessageContext, v: Vocabulary, kind: MessageKind,
                common: str | None) -> str:
    where = group_text(ctx, entries, v)
    if kind is MessageKind.UPDATE:
        new = [e for e in entries if set(e.ids) & ctx.new_incident_ids]
        return v.phrase("update_short", new=sites_text(len(new), v), count=sites_text(len(entries), v), group=where)
    if kind is MessageKind.RESOLVED:
        done = sum(1 for e in entries if not e.unresolved)
        return v.phrase("resolved_group_short", resolved=done, count=sites_text(len(entries), v), group=where)
    head = v.phrase("group_head", count=sites_text(len(entries), v), group=where)
    return f"{head} {common}" if common else head


def _common_conditions(entries: Sequence[SiteEntry], v: Vocabulary, kind: MessageKind) -> str | None:
    """What every site of a page has, said once in the head instead of at each site."""
    if kind in (MessageKind.UPDATE, MessageKind.RESOLVED):
        return None
    found = {conditions_text(e, v) for e in entries}
    return found.pop() if len(found) == 1 else None


def _bodies(entries: Sequence[SiteEntry], ctx: MessageContext, v: Vocabulary, kind: MessageKind) -> Iterator[str]:
    """Candidate bodies, richest first."""
    if len(entries) == 1:
        for named in (True, False):
            yield _single(entries[0], ctx, v, kind, named)
        return
    common = _common_conditions(entries, v, kind)
    head = _group_head(entries, ctx, v, kind, common)
    listed = [e for e in entries if set(e.ids) & ctx.new_incident_ids] if kind is MessageKind.UPDATE else entries
    listed = listed or list(entries)
    for named in (True, False):  # names people know first, even if fewer sites fit
        for shown in range(len(listed), 0, -1):
            items = [_entry(e, ctx, v, kind, named, common is None) for e in listed[:shown]]
            if shown < len(listed):
                items.append(v.phrase("more_sites", n=len(listed) - shown))
            yield f"{head}: {'; '.join(items)}."


def short_text(ctx: MessageContext, entries: Sequence[SiteEntry], v: Vocabulary, kind: MessageKind,
               footer: str = "") -> str:
    """The SMS text: GSM-7 only, the richest candidate within ``MAX_SEGMENTS`` (else the leanest)."""
    tag = f"[{v.tags[kind].upper()}]"
    if kind is MessageKind.SHIFT:
        bodies: Iterator[str] = iter([v.phrase("shift_short", roster=ctx.roster,
                                               start=clock_time(ctx.shift_start or ctx.now, ctx.timezone, ctx.now),
                                               end=clock_time(ctx.shift_end or ctx.now, ctx.timezone, ctx.now))])
    elif kind is MessageKind.TEST:
        bodies = iter([v.phrase("test")])
    elif kind is MessageKind.ACKNOWLEDGED:
        who = ctx.acknowledged_by or ", ".join(acknowledgers(entries))
        bodies = (f"{_cap(v.phrase('acked_short', who=who))}: {b}" for b in _bodies(entries, ctx, v, kind))
    else:
        bodies = _bodies(entries, ctx, v, kind)
    text = ""
    for body in bodies:
        text = to_gsm7(" ".join(p for p in (tag, body, footer) if p))
        if sms_segments(text) <= MAX_SEGMENTS:
            break
    return text
