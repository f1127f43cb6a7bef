"""The acknowledge page behind a signed link: ``GET /ack/{token}`` and ``POST /ack/{token}``.

A GET only *describes* what the link would acknowledge and shows a confirm button: mail and
chat link scanners prefetch every URL, and a prefetch must never take an incident away from
the on-call. The button POSTs a form that echoes the token; the POST verifies the token again
(signature and expiry, now), checks the echo, and acknowledges. Bad or expired tokens get an
error page (400 / 410) and acknowledge nothing. Pages are small, mobile-friendly, in the
person's language (carried in the token), never cached, indexed or sent as a referrer.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from html import escape
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from sitewatch.core.incident import Incident, IncidentState
from sitewatch.incidents.acks import AckOutcome, AckResult
from sitewatch.messages.acklinks import AckGrant, AckLinkError, AckSigner, ExpiredAckLink
from sitewatch.messages.context import SiteIncident
from sitewatch.messages.facts import condition_text, site_label
from sitewatch.messages.timefmt import clock_time, duration, full_time, utc_offset
from sitewatch.messages.vocabulary import EN, VI, Vocabulary, vocabulary

__all__ = ["AckRoutes", "ack_routes"]

_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "X-Robots-Tag": "noindex, nofollow",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'",
}
_STYLE = ("body{font-family:sans-serif;margin:1em auto;max-width:36em;padding:0 1em;line-height:1.4}"
          "li{margin:.4em 0}button{font-size:1.2em;padding:.7em 1.4em;width:100%;margin-top:1em}"
          ".ok{color:#075e07}.warn{color:#8a4b00}.err{color:#a00}")
_MAX_FORM = 4096


def _page(title: str, body: str, status: int = 200, language: str = "vi") -> HTMLResponse:
    html = (f'<!DOCTYPE html><html lang="{escape(language)}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body><h1>{escape(title)}</h1>{body}</body></html>\n")
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _error(message_key: str, status: int, v: Vocabulary | None, **values: str) -> HTMLResponse:
    """In the person's language when we know it, else Vietnamese then English."""
    langs = [v] if v is not None else [VI, EN]
    body = "".join(f'<p class="err" lang="{x.language}">{escape(x.ack_page[message_key].format(**values))}</p>'
                   for x in langs)
    return _page(" / ".join(x.ack_page["error_title"] for x in langs), body, status, langs[0].language)


def _state(i: Incident, v: Vocabulary, tz: str) -> str:
    if i.state is IncidentState.RESOLVED and i.resolved_at is not None:
        return f'<span class="warn">{escape(v.ack_page["resolved"].format(at=full_time(i.resolved_at, tz, v)))}</span>'
    if i.state is IncidentState.ACKNOWLEDGED and i.acknowledged_at is not None:
        text = v.ack_page["acked_before"].format(who=i.acknowledged_by or "?", at=full_time(i.acknowledged_at, tz, v))
        return f'<span class="warn">{escape(text)}</span>'
    return ""


def _item(si: SiteIncident, v: Vocabulary, tz: str, now: float, status: str) -> str:
    i = si.incident
    since = f"{v.phrase('since_short', at=clock_time(i.opened_at, tz, now))} ({duration(now - i.opened_at, v)})"
    return (f"<li><b>{escape(site_label(si.site))}</b>: {escape(condition_text(i, v))}, {escape(since)}"
            f"{'<br>' + status if status else ''}</li>")


class AckRoutes:
    """The ack page route. ``signer()`` is the current signer (None: links not configured, 503);
    ``describe`` and ``acknowledge`` are usually ``IncidentAcks``'s; ``actor_for(grant)`` is what
    the timeline records as the acknowledger; ``timezone`` the zone times are shown in."""

    def __init__(self, *, signer: Callable[[], AckSigner | None],
                 acknowledge: Callable[[AckGrant, str], Sequence[AckOutcome]],
                 describe: Callable[[AckGrant], Sequence[SiteIncident]], now: Callable[[], float],
                 timezone: str, actor_for: Callable[[AckGrant], str]) -> None:
        self.signer = signer
        self.acknowledge = acknowledge
        self.describe = describe
        self.now = now
        self.timezone = timezone
        self.actor_for = actor_for

    def routes(self) -> list[Route]:
        return [Route("/ack/{token}", self.endpoint, methods=["GET", "POST"], name="ack")]

    def zone_line(self, v: Vocabulary, t: float) -> str:
        """The zone of every time on the page, said once (``daemon.timezone``)."""
        return f"<p>{escape(v.label('time_zone'))}: {utc_offset(t, self.timezone)}</p>"

    def grant_of(self, token: str) -> AckGrant | HTMLResponse:
        signer = self.signer()
        if signer is None:
            return _error("not_configured", 503, None)
        try:
            return signer.verify(token, self.now())
        except ExpiredAckLink as e:
            v = vocabulary(e.grant.language)
            return _error("expired", 410, v, at=full_time(e.grant.expires_at, self.timezone, v))
        except AckLinkError:
            return _error("invalid", 400, None)

    async def show(self, request: Request, token: str, grant: AckGrant) -> Response:
        v = vocabulary(grant.language)
        t = self.now()
        items = list(self.describe(grant))
        listed = "".join(_item(si, v, self.timezone, t, _state(si.incident, v, self.timezone)) for si in items)
        intro = escape(v.ack_page["intro"].format(person=grant.person))
        body = f"<p>{intro}</p><ul>{listed}</ul>{self.zone_line(v, t)}"
        if grant.group:
            body += f"<p>{escape(v.ack_page['group'])}</p>"
        if any(si.incident.state is IncidentState.OPEN for si in items):
            body += (f"<p>{escape(v.ack_page['note'])}</p>"
                     f'<form method="post" action="{escape(request.url.path)}">'
                     f'<input type="hidden" name="token" value="{escape(token)}">'
                     f'<button type="submit">{escape(v.ack_page["button"])}</button></form>')
        elif not items:
            body += f"<p>{escape(v.ack_page['nothing'])}</p>"
        return _page(v.ack_page["title"], body, language=v.language)

    def outcome_html(self, o: AckOutcome, v: Vocabulary, t: float) -> str:
        if o.incident is None or o.site is None:
            return f'<li class="err">{escape(v.ack_page["not_found"].format(id=o.incident_id))}</li>'
        status = (f'<span class="ok">{escape(v.ack_page["acked_now"])}</span>'
                  if o.result is AckResult.ACKNOWLEDGED else _state(o.incident, v, self.timezone))
        return _item(SiteIncident(incident=o.incident, site=o.site), v, self.timezone, t, status)

    async def confirm(self, request: Request, token: str, grant: AckGrant) -> Response:
        v = vocabulary(grant.language)
        raw = await request.body()
        try:
            form = parse_qs(raw.decode("utf-8", "replace"), max_num_fields=8) if len(raw) <= _MAX_FORM else {}
        except ValueError:  # more fields than any form of ours has
            form = {}
        echoed = form.get("token", [""])[0]
        if not hmac.compare_digest(echoed.encode(), token.encode()):
            return _error("form_mismatch", 400, v)
        outcomes = self.acknowledge(grant, self.actor_for(grant))
        t = self.now()
        listed = "".join(self.outcome_html(o, v, t) for o in outcomes)
        body = f"<ul>{listed}</ul>{self.zone_line(v, t)}" if outcomes else f"<p>{escape(v.ack_page['nothing'])}</p>"
        return _page(v.ack_page["done_title"], body, language=v.language)

    async def endpoint(self, request: Request) -> Response:
        token = request.path_params["token"]
        grant = self.grant_of(token)
        if isinstance(grant, HTMLResponse):
            return grant
        if request.method == "POST":
            return await self.confirm(request, token, grant)
        return await self.show(request, token, grant)


def _acked_by_link(grant: AckGrant) -> str:
    return f"{grant.person} (ack link)"


def ack_routes(*, signer_getter: Callable[[], AckSigner | None],
               acknowledge: Callable[[AckGrant, str], Sequence[AckOutcome]],
               describe: Callable[[AckGrant], Sequence[SiteIncident]],
               now: Callable[[], float], timezone: str = "Asia/Ho_Chi_Minh",
               actor_for: Callable[[AckGrant], str] = _acked_by_link) -> list[Route]:
    """The ack page routes (``AckRoutes``) as a list for the daemon's app."""
    return AckRoutes(signer=signer_getter, acknowledge=acknowledge, describe=describe, now=now, timezone=timezone,
                     actor_for=actor_for).routes()
