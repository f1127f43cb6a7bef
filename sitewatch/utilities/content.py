"""A request to a utility as its contact reads it: email (plain text, HTML and a CSV of the
sites), a short SMS, and the JSON a webhook or API contact receives.

Every site carries what a dispatcher needs to pick the feeder to restore and to find the
supply: name and id, kind, address, commune/district, GPS with a map link, customer id,
meter, feeder and transformer, since when mains is lost, battery state and predicted
depletion, generator state, why the site matters (criticality reasons, what it serves),
subscribers, and how to get into a restricted area. The operator's duty callback closes it.
The SMS is unaccented GSM-7 (``messages.sms.to_gsm7``) and at most two segments: the most
urgent site's name is shortened first, then the link dropped.
"""

from __future__ import annotations

import csv
import enum
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sitewatch.config.schema import Site, Utility
from sitewatch.config.utility_schema import SenderIdentity, UtilityContact
from sitewatch.messages.facts import kind_text, location_text, map_url
from sitewatch.messages.sms import sms_segments, to_gsm7
from sitewatch.messages.timefmt import clock_time, duration, full_time, iso_time, utc_offset
from sitewatch.messages.vocabulary import vocabulary
from sitewatch.utilities.model import SiteState, Supply
from sitewatch.utilities.wording import Words, words

__all__ = ["SMS_SEGMENTS", "Callback", "RequestContent", "RequestKind", "RequestMessage", "render_request"]

#: the SMS never costs more than this many segments
SMS_SEGMENTS = 2


class RequestKind(enum.Enum):
    NEW = "new"  #: the first request for these sites
    UPDATE = "update"  #: more sites joined the open request
    RESTORED = "restored"  #: supply returned at some sites (partial restoration, or all: closed)


@dataclass(frozen=True, slots=True, kw_only=True)
class Callback:
    """Whom the utility calls back: the person on duty (from the roster) or the duty desk."""

    name: str
    phone: str
    email: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestMessage:
    reference: str
    kind: RequestKind
    supply: Supply
    utility_id: str
    utility: Utility
    contact: UtilityContact
    sender: SenderIdentity
    callback: Callback
    #: the sites still waiting, most urgent first, with their state at ``at``
    sites: Sequence[tuple[Site, SiteState]]
    #: sites whose supply returned since the last message (for ``RESTORED``)
    restored: Sequence[Site] = ()
    #: the line of supply the request covers (feeder, transformer or district)
    line: str
    at: float
    tz: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestContent:
    subject: str
    text: str
    html: str
    csv: str
    sms: str
    payload: dict[str, Any]


#: CSV columns, in order: machine names, the same in both languages
CSV_COLUMNS = ("reference", "rank", "site_id", "site_name", "kind", "address", "commune", "district", "province",
               "latitude", "longitude", "map", "customer_id", "meter", "feeder", "transformer", "mains_lost_since",
               "battery_percent", "depletion_at", "generator", "reasons", "subscribers", "restricted_area")


def render_request(m: RequestMessage) -> RequestContent:
    w = words(m.utility.language.value)
    link = m.sender.link.format(reference=m.reference) if m.sender.link else ""
    rows = [_row(m, w, rank, site, state) for rank, (site, state) in enumerate(m.sites, 1)]
    return RequestContent(
        subject=_subject(m, w),
        text=_text(m, w, rows, link),
        html=_html(m, w, rows, link),
        csv=_csv(m, rows),
        sms=_sms(m, w, link),
        payload=_payload(m, rows, link),
    )


def _supply(m: RequestMessage, w: Words) -> str:
    return w.supply(m.supply)


def _subject(m: RequestMessage, w: Words) -> str:
    name = {RequestKind.NEW: "subject_new", RequestKind.UPDATE: "subject_update",
            RequestKind.RESTORED: "subject_restored"}[m.kind]
    return w.say(name, reference=m.reference, supply=_supply(m, w), count=len(m.sites), line=m.line,
                 restored=len(m.restored))


@dataclass(frozen=True, slots=True)
class _Row:
    site: Site
    state: SiteState
    rank: int
    fields: tuple[tuple[str, str], ...]  #: (label, text) as people read them


def _when(t: float, m: RequestMessage, w: Words) -> str:
    return full_time(t, m.tz, vocabulary(w.language))


def _row(m: RequestMessage, w: Words, rank: int, site: Site, state: SiteState) -> _Row:
    v = vocabulary(w.language)
    power = site.power
    f: list[tuple[str, str]] = [
        (w["site"], site.name), (w["id"], site.id), (w["kind"], kind_text(site, v)),
        (w["address"], site.address or w["unknown"]), (w["location"], location_text(site)),
    ]
    url = map_url(site)
    if url is not None:
        f += [(w["gps"], f"{site.latitude:.5f}, {site.longitude:.5f}"), (w["map"], url)]
    if power is not None and m.supply is Supply.POWER:
        f += [(w[k], getattr(power, k)) for k in ("customer_id", "meter", "feeder", "transformer")
              if getattr(power, k)]
    if m.supply is Supply.WATER and site.water is not None and site.water.account:
        f.append((w["customer_id"], site.water.account))
    if state.mains_lost_since is not None:
        f.append((w.say("since", supply=_supply(m, w)), _when(state.mains_lost_since, m, w)))
    if state.battery_percent is not None:
        f.append((w["battery"], w.say("battery_percent", percent=f"{state.battery_percent:.0f}")))
    if state.depletion_at is not None:
        left = state.depletion_at - m.at
        text = (w.say("in", at=_when(state.depletion_at, m, w), left=duration(left, v)) if left > 0
                else w["depleted"])
        f.append((w["depletion"], text))
    f.append((w["generator"], w.generator(state.generator)))
    reasons = _reasons(site, v.criticality[site.criticality])
    if reasons:
        f.append((w["reason"], reasons))
    if site.subscribers is not None:
        f.append((w["subscribers"], f"{site.subscribers:,}".replace(",", ".")))
    if site.restricted_area:
        f.append((w["restricted"], site.restricted_area))
    return _Row(site, state, rank, tuple(f))


def _reasons(site: Site, level: str) -> str:
    parts = [*site.criticality_reasons, *site.serves]
    return "; ".join(parts) if not parts or site.criticality.value == "normal" else f"{level}: {'; '.join(parts)}"


def _heading(m: RequestMessage, w: Words) -> list[str]:
    sender = ", ".join(p for p in (m.sender.unit, m.sender.company) if p)
    lines = [f"{w['reference']}: {m.reference}", w.say("to", contact=m.contact.name, utility=m.utility.name),
             w.say("from", sender=sender)]
    if m.sender.basis:
        lines.append(w.say("basis", basis=m.sender.basis))
    return lines


def _ask(m: RequestMessage, w: Words) -> str:
    supply, count = _supply(m, w), len(m.sites)
    if m.kind is RequestKind.NEW:
        return w.say("ask_new", supply=supply, count=count, line=m.line)
    if m.kind is RequestKind.UPDATE:
        return w.say("ask_update", reference=m.reference, supply=supply, count=count)
    if not m.sites:
        return w.say("closed", reference=m.reference, supply=supply)
    restored = ", ".join(f"{s.name} ({s.id})" for s in m.restored)
    return w.say("ask_restored", reference=m.reference, supply=supply, restored=restored, count=count)


def _closing(m: RequestMessage, w: Words, link: str) -> list[str]:
    lines = [w.say("callback", name=m.callback.name, phone=m.callback.phone)]
    if m.callback.email:
        lines.append(w.say("callback_email", email=m.callback.email))
    if link:
        lines.append(w.say("details", link=link))
    lines.append(w.say("zone", offset=utc_offset(m.at, m.tz)))
    return lines


def _text(m: RequestMessage, w: Words, rows: Sequence[_Row], link: str) -> str:
    out = [*_heading(m, w), "", _ask(m, w), ""]
    for row in rows:
        out.append(f"{row.rank}. {row.site.name} ({row.site.id})")
        out += [f"   {label}: {text}" for label, text in row.fields[2:]]
        out.append("")
    out += _closing(m, w, link)
    return "\n".join(out) + "\n"


def _html(m: RequestMessage, w: Words, rows: Sequence[_Row], link: str) -> str:
    e = html.escape
    out = [f"<p>{'<br>'.join(e(x) for x in _heading(m, w))}</p>", f"<p>{e(_ask(m, w))}</p>"]
    for row in rows:
        out.append(f"<h3>{row.rank}. {e(row.site.name)} ({e(row.site.id)})</h3><table>")
        for label, text in row.fields[2:]:
            cell = f'<a href="{e(text)}">{e(text)}</a>' if text.startswith("https://") else e(text)
            out.append(f"<tr><th align=\"left\">{e(label)}</th><td>{cell}</td></tr>")
        out.append("</table>")
    closing = [e(x) for x in _closing(m, w, "")]
    if link:
        closing.insert(-1, f'<a href="{e(link)}">{e(w.say("details", link=link))}</a>')
    out.append(f"<p>{'<br>'.join(closing)}</p>")
    return f'<html lang="{w.language}"><body>\n' + "\n".join(out) + "\n</body></html>\n"


def _machine(m: RequestMessage, rank: int, site: Site, state: SiteState) -> dict[str, Any]:
    power = site.power
    return {
        "reference": m.reference, "rank": rank, "site_id": site.id, "site_name": site.name, "kind": site.kind.value,
        "address": site.address, "commune": site.commune, "district": site.district, "province": site.province,
        "latitude": site.latitude, "longitude": site.longitude, "map": map_url(site) or "",
        "customer_id": (power.customer_id if power else "") if m.supply is Supply.POWER
        else (site.water.account if site.water else ""),
        "meter": power.meter if power else "", "feeder": power.feeder if power else "",
        "transformer": power.transformer if power else "",
        "mains_lost_since": iso_time(state.mains_lost_since, m.tz), "battery_percent": state.battery_percent,
        "depletion_at": iso_time(state.depletion_at, m.tz), "generator": state.generator.value,
        "reasons": [*site.criticality_reasons, *site.serves], "subscribers": site.subscribers,
        "restricted_area": site.restricted_area or "",
    }


def _csv(m: RequestMessage, rows: Sequence[_Row]) -> str:
    buf = io.StringIO()
    out = csv.DictWriter(buf, CSV_COLUMNS, lineterminator="\r\n")
    out.writeheader()
    for row in rows:
        record = _machine(m, row.rank, row.site, row.state)
        record["reasons"] = "; ".join(record["reasons"])
        out.writerow({k: "" if x is None else x for k, x in record.items()})
    return buf.getvalue()


def _payload(m: RequestMessage, rows: Sequence[_Row], link: str) -> dict[str, Any]:
    return {
        "reference": m.reference, "kind": m.kind.value, "supply": m.supply.value, "utility": m.utility_id,
        "line": m.line, "sent_at": iso_time(m.at, m.tz),
        "sender": {"company": m.sender.company, "unit": m.sender.unit, "basis": m.sender.basis},
        "callback": {"name": m.callback.name, "phone": m.callback.phone, "email": m.callback.email},
        "link": link or None,
        "sites": [_machine(m, row.rank, row.site, row.state) for row in rows],
        "restored": [s.id for s in m.restored],
    }


def _sms(m: RequestMessage, w: Words, link: str) -> str:
    supply = _supply(m, w)
    if m.kind is RequestKind.RESTORED:
        texts = [w.say("sms_restored", reference=m.reference, supply=supply, restored=len(m.restored),
                       count=len(m.sites), link=link)]
    elif not m.sites:
        return ""
    else:
        site, state = m.sites[0]
        names = [site.name, site.id]
        texts = []
        for name in names:
            for with_link in (link, ""):
                if state.depletion_at is not None:
                    texts.append(w.say("sms", reference=m.reference, supply=supply, count=len(m.sites), site=name,
                                       at=clock_time(state.depletion_at, m.tz, m.at), phone=m.callback.phone,
                                       link=with_link))
                else:
                    texts.append(w.say("sms_no_depletion", reference=m.reference, supply=supply,
                                       count=len(m.sites), site=name, phone=m.callback.phone, link=with_link))
        texts.sort(key=lambda t: 0 if link and link in t else 1)  # keep the link if any version fits
    plain = [to_gsm7(t).strip() for t in texts]
    return next((t for t in plain if sms_segments(t) <= SMS_SEGMENTS), plain[-1])
