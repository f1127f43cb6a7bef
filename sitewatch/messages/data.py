"""``Message.data``: the same message for machines (webhook JSON, Alertmanager).

Plain JSON types only. Times are ISO 8601 with the offset of the context's time zone.
Each incident carries ``labels`` and ``annotations`` shaped for Alertmanager's
``POST /api/v2/alerts`` (label names match ``[a-zA-Z_][a-zA-Z0-9_]*``; ``alertname`` is the
condition in CamelCase, ``incident`` keeps a reopened outage a new alert).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sitewatch.config.schema import Site
from sitewatch.core.conditions import Severity
from sitewatch.core.incident import Incident
from sitewatch.messages.context import MessageContext, SiteEntry
from sitewatch.messages.facts import condition_text, map_url
from sitewatch.messages.readings import summary_text
from sitewatch.messages.timefmt import iso_time
from sitewatch.messages.vocabulary import EN
from sitewatch.notify.model import MessageKind

__all__ = ["alert_labels", "message_data"]


def alert_labels(incident: Incident, site: Site) -> dict[str, str]:
    """Alertmanager labels: identity and routing keys, no values that change while it lasts."""
    labels = {
        "alertname": "".join(w.capitalize() for w in incident.condition.value.split("_")),
        "incident": str(incident.id),
        "site": site.id,
        "site_kind": site.kind.value,
        "province": site.province,
        "district": site.district,
        "condition": incident.condition.value,
        "severity": Severity(incident.severity).label,
        "criticality": site.criticality.value,
        "source": "sitewatch",
    }
    if incident.subject:
        labels["subject"] = incident.subject
    if site.team:
        labels["team"] = site.team
    return {k: v for k, v in labels.items() if v}


def _incident(i: Incident, site: Site, ctx: MessageContext) -> dict[str, Any]:
    tz = ctx.timezone
    d: dict[str, Any] = {
        "id": i.id, "site_id": site.id, "site_name": site.name, "site_kind": site.kind.value,
        "province": site.province, "district": site.district, "commune": site.commune,
        "condition": i.condition.value, "subject": i.subject, "summary": summary_text(i.summary, EN),
        "severity": Severity(i.severity).label, "state": i.state.value, "flapping": i.flapping,
        "criticality": site.criticality.value, "criticality_reasons": list(site.criticality_reasons),
        "restricted_area": site.restricted_area,
        "opened_at": iso_time(i.opened_at, tz), "acknowledged_at": iso_time(i.acknowledged_at, tz),
        "acknowledged_by": i.acknowledged_by, "resolved_at": iso_time(i.resolved_at, tz),
        "resolved_by": i.resolved_by,
        "battery_runtime_seconds": None, "runtime_method": None, "predicted_depletion_at": None,
        "latitude": site.latitude, "longitude": site.longitude, "map_url": map_url(site),
        "labels": alert_labels(i, site),
    }
    if i.runtime is not None:
        d["battery_runtime_seconds"] = round(max(i.runtime.depletion_at - ctx.now, 0.0))
        d["runtime_method"] = i.runtime.method
        d["predicted_depletion_at"] = iso_time(i.runtime.depletion_at, tz)
    summary = f"{condition_text(i, EN, detail=False)} at {site.name} ({site.id})"
    d["annotations"] = {"summary": summary, "description": summary_text(i.summary, EN) or summary}
    if site.power is not None:
        d["power"] = {"utility": site.power.utility, "customer_id": site.power.customer_id,
                      "feeder": site.power.feeder, "transformer": site.power.transformer, "meter": site.power.meter}
    return d


def message_data(ctx: MessageContext, entries: Sequence[SiteEntry], kind: MessageKind, language: str,
                 ack_url: str | None) -> dict[str, Any]:
    """The structured twin of the rendered message (sites in the same order as the text)."""
    incidents = [_incident(i, e.site, ctx) for e in entries for i in e.incidents]
    data: dict[str, Any] = {
        "kind": kind.value, "language": language, "generated_at": iso_time(ctx.now, ctx.timezone),
        "group_key": ctx.group_key, "group": ctx.group,
        "escalation_level": ctx.escalation_level, "also_paged": list(ctx.also_paged), "ack_url": ack_url,
        "incident_ids": [d["id"] for d in incidents], "site_ids": [e.site.id for e in entries],
        "new_incident_ids": sorted(ctx.new_incident_ids), "incidents": incidents,
    }
    if kind is MessageKind.ACKNOWLEDGED:
        data["acknowledged_by"] = ctx.acknowledged_by
    if ctx.outage is not None:  # a fallback (``instead``) or a late notice: which channel failed, since when
        data["channel_outage"] = {"channel": ctx.outage.channel, "since": iso_time(ctx.outage.since, ctx.timezone),
                                  "instead": ctx.outage.instead}
    if kind is MessageKind.SHIFT:
        data["shift"] = {"roster": ctx.roster, "start": iso_time(ctx.shift_start, ctx.timezone),
                         "end": iso_time(ctx.shift_end, ctx.timezone)}
    return data
