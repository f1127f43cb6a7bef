"""What a responder needs to know about one site, as labelled facts.

Where it is and what it is; what is wrong and since when; how long the battery lasts; why it
matters (the facility it serves); whether it lies in a restricted or quarantine area (bring the
permit and protective equipment); for a mains loss, what the power company needs to find the
supply (customer id, feeder, transformer, meter); and a map link (OpenStreetMap, no API key).
"""

from __future__ import annotations

from sitewatch.config.schema import Criticality, Site
from sitewatch.core.conditions import Condition
from sitewatch.core.incident import Incident, IncidentState
from sitewatch.messages.context import MessageContext, SiteEntry
from sitewatch.messages.layout import Fact
from sitewatch.messages.readings import summary_text
from sitewatch.messages.summary import span
from sitewatch.messages.timefmt import clock_time, duration, full_time
from sitewatch.messages.vocabulary import Vocabulary

__all__ = ["MAINS_CONDITIONS", "condition_text", "conditions_text", "kind_text", "location_text", "map_url",
           "site_facts", "site_label"]

#: the grid supply is gone: the power company's details belong in the message
MAINS_CONDITIONS = frozenset({Condition.MAINS_LOST, Condition.ON_BATTERY, Condition.GENERATOR_FAILED})


def site_label(site: Site) -> str:
    return f"{site.name} ({site.id})"


def kind_text(site: Site, v: Vocabulary) -> str:
    if site.level is not None:
        return v.station_with_level.format(level=v.station_levels[site.level])
    return v.kinds[site.kind]


def location_text(site: Site) -> str:
    return ", ".join(p for p in (site.commune, site.district, site.province) if p)


def map_url(site: Site) -> str | None:
    if site.latitude is None or site.longitude is None:
        return None
    lat, lon = f"{site.latitude:.5f}", f"{site.longitude:.5f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=15/{lat}/{lon}"


def condition_text(incident: Incident, v: Vocabulary, *, detail: bool = True) -> str:
    """``mất kết nối truyền dẫn (eth1)``; with ``detail`` the measured value and flapping too.
    Without it, a link says where it goes when the operator described it (ifAlias): ``Radio1
    (to GL-BTS-0042)``."""
    text = v.conditions[incident.condition]
    extra = [incident.subject] if incident.subject else []
    to = next((value for p in incident.summary.parts for name, value in p.params if name == "to"), None)
    if extra and to and not detail:
        extra = [v.phrase("subject_to", subject=incident.subject, to=to)]
    if detail:
        extra += [summary_text(incident.summary, v)] if incident.summary else []
        extra += [v.phrase("flapping")] if incident.flapping else []
    return f"{text} ({', '.join(extra)})" if extra else text


def conditions_text(entry: SiteEntry, v: Vocabulary) -> str:
    """Every condition at the site, most severe first, without details: ``mất điện lưới, đang chạy ắc quy``."""
    seen: list[str] = []
    for i in entry.incidents:
        text = condition_text(i, v, detail=False)
        if text not in seen:
            seen.append(text)
    return ", ".join(seen)


def _incident_facts(i: Incident, ctx: MessageContext, v: Vocabulary, *, compact: bool) -> list[Fact]:
    tz = ctx.timezone
    over = i.state is IncidentState.RESOLVED and i.resolved_at is not None
    # once resolved, the one duration said is how long it lasted (``span``), not how long ago it began
    since = full_time(i.opened_at, tz, v) if over else v.phrase(
        "ago", at=full_time(i.opened_at, tz, v), duration=duration(ctx.now - i.opened_at, v))
    acked = (v.phrase("at_by", who=i.acknowledged_by or "?", at=full_time(i.acknowledged_at, tz, v))
             if i.acknowledged_at is not None else None)
    start, end = span((i,), ctx.now)
    resolved = (v.phrase("resolved_after", at=full_time(end, tz, v), duration=duration(end - start, v))
                if over else None)
    condition = f"{condition_text(i, v)} — {v.severity[i.severity]}"
    if not compact:
        facts = [Fact(label=v.label("condition"), value=condition), Fact(label=v.label("since"), value=since)]
        facts += [Fact(label=v.label("acknowledged"), value=acked)] if acked else []
        facts += [Fact(label=v.label("resolved"), value=resolved)] if resolved else []
        return facts
    when = v.phrase("since_short", at=clock_time(i.opened_at, tz, ctx.now))
    parts = [f"{condition}, {when}" if over else f"{condition}, {when} ({duration(ctx.now - i.opened_at, v)})"]
    parts += [f"{v.label('acknowledged')}: {acked}"] if acked else []
    parts += [f"{v.label('resolved')}: {resolved}"] if resolved else []
    return [Fact(label=v.label("condition"), value="; ".join(parts))]


def _battery(entry: SiteEntry, ctx: MessageContext, v: Vocabulary) -> str | None:
    runtimes = [i.runtime for i in entry.unresolved if i.runtime is not None]
    if not runtimes:
        return None
    r = min(runtimes, key=lambda r: r.depletion_at)
    method = v.runtime_methods.get(r.method, r.method)
    at = full_time(r.depletion_at, ctx.timezone, v)
    left = r.depletion_at - ctx.now
    if left < 60:
        return v.phrase("battery_gone", at=at, method=method)
    return v.phrase("battery_left", left=duration(left, v), at=at, method=method)


def _criticality(site: Site, v: Vocabulary) -> str | None:
    if site.criticality is Criticality.NORMAL and not site.criticality_reasons:
        return None
    return " — ".join([v.criticality[site.criticality], *(["; ".join(site.criticality_reasons)]
                                                          if site.criticality_reasons else [])])


def _power(entry: SiteEntry, ctx: MessageContext, v: Vocabulary) -> str | None:
    power = entry.site.power
    if power is None or not any(i.condition in MAINS_CONDITIONS for i in entry.unresolved):
        return None
    utility = ctx.utilities.get(power.utility)
    who = utility.name if utility is not None else power.utility
    if utility is not None and utility.phone:
        who += f" ({v.phrase('phone', value=utility.phone)})"
    details = [v.phrase(name, value=value) for name, value in (
        ("customer_id", power.customer_id), ("feeder", power.feeder), ("transformer", power.transformer),
        ("meter", power.meter)) if value]
    return " — ".join([who, ", ".join(details)]) if details else who


def site_facts(entry: SiteEntry, ctx: MessageContext, v: Vocabulary, *, compact: bool) -> tuple[Fact, ...]:
    """The facts of one site. ``compact`` (grouped messages): the site's name goes in the
    block heading and each incident takes one line."""
    site = entry.site
    facts = [] if compact else [Fact(label=v.label("site"), value=site_label(site))]
    facts.append(Fact(label=v.label("kind"), value=kind_text(site, v)))
    if location := location_text(site):
        facts.append(Fact(label=v.label("location"), value=location))
    if site.address:
        facts.append(Fact(label=v.label("address"), value=site.address))
    for i in entry.incidents:  # several incidents at one site: one line each, as in a group
        facts += _incident_facts(i, ctx, v, compact=compact or len(entry.incidents) > 1)
    if battery := _battery(entry, ctx, v):
        facts.append(Fact(label=v.label("battery"), value=battery))
    if criticality := _criticality(site, v):
        facts.append(Fact(label=v.label("criticality"), value=criticality))
    if site.restricted_area and entry.unresolved:
        facts.append(Fact(label=v.label("restricted"), value=v.phrase("restricted_note",
                                                                     note=site.restricted_area.rstrip(". "))))
    if power := _power(entry, ctx, v):
        facts.append(Fact(label=v.label("power"), value=power))
    if url := map_url(site):
        facts.append(Fact(label=v.label("map"), url=url))
    return tuple(facts)
