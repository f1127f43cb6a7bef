"""Words for one recipient: the escalation's facts in a ``MessageContext``, rendered in the
person's language with their own acknowledge link.

The link is written as a draft (unsigned, the signed one's length) because the message is
stored in the outbox; ``seal`` signs it right before each send attempt, so the database holds
no link anyone could use (see ``sitewatch.messages.acklinks``).

Rendering is ``sitewatch.messages.render`` unless another renderer is injected. A page must go
out even if rendering fails (a bug, or every site of a group removed from the config): then a
bare message naming the sites and conditions is sent, and the failure is logged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Protocol

from sitewatch.config.schema import Config
from sitewatch.core.incident import Incident
from sitewatch.messages.acklinks import AckLinkError
from sitewatch.messages.context import ChannelOutage, MessageContext, SiteIncident
from sitewatch.messages.render import render
from sitewatch.notify.model import Message, MessageKind

__all__ = ["AckLinkSigner", "Composer", "MessageRequest", "Renderer", "seal"]

log = logging.getLogger(__name__)

Renderer = Callable[[MessageContext, str, MessageKind], Message]
#: kinds whose recipients get an acknowledge link (the renderer shows it while something is open)
_WITH_LINK = frozenset({MessageKind.PAGE, MessageKind.UPDATE, MessageKind.REMINDER})


class AckLinkSigner(Protocol):
    """``sitewatch.messages`` ``AckSigner``: an expiring link bound to incidents and a person,
    drafted when the message is written and signed when it is sent."""

    def draft_link(self, base_url: str, *, incident_ids: Iterable[int] = (), person: str,
                   group: str | None = None, now: float, language: str | None = None) -> str:
        ...

    def sign_draft(self, draft: str, now: float) -> str:
        ...


def seal(message: Message, signer: AckLinkSigner | None, now: float) -> Message:
    """``message`` with its draft acknowledge link signed (valid from ``now``) wherever it
    appears: the link, the SMS, the text, the HTML and the structured data."""
    if signer is None or not message.ack_url:
        return message
    draft = message.ack_url.rsplit("/", 1)[-1]
    try:
        token = signer.sign_draft(draft, now)
    except AckLinkError:  # not a draft: a message written before links were drafted
        return message
    return replace(message, subject=message.subject.replace(draft, token), short=message.short.replace(draft, token),
                   text=message.text.replace(draft, token),
                   html=message.html.replace(draft, token) if message.html is not None else None,
                   ack_url=message.ack_url.replace(draft, token),
                   data=json.loads(json.dumps(message.data, default=str).replace(draft, token)))


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageRequest:
    kind: MessageKind
    person: str  #: person id (the link is bound to it)
    now: float
    incidents: tuple[Incident, ...] = ()
    group_key: str | None = None  #: the escalation's public key ("g42")
    new_incident_ids: frozenset[int] = frozenset()
    level: int | None = None  #: 0 = first level
    also_paged: tuple[str, ...] = ()  #: person ids
    acknowledged_by: str | None = None
    roster: str | None = None
    shift_start: float | None = None
    shift_end: float | None = None
    #: a channel that failed: this message goes instead of it (fallback) or late because of it
    outage: ChannelOutage | None = None


class Composer:
    """Builds the context for a request and renders it."""

    def __init__(self, config: Config, *, renderer: Renderer = render, signer: AckLinkSigner | None = None) -> None:
        self.config = config
        self.renderer = renderer
        self.signer = signer

    def _name(self, person_id: str) -> str:
        p = self.config.people.get(person_id)
        return p.name if p is not None else person_id

    def compose(self, r: MessageRequest) -> Message:
        person = self.config.people.get(r.person)
        language = person.language if person is not None else "vi"
        sites = {s.id: s for s in self.config.sites}
        members = tuple(SiteIncident(incident=i, site=sites[i.site_id]) for i in r.incidents if i.site_id in sites)
        ack_url = None
        if self.signer is not None and r.kind in _WITH_LINK and r.incidents:
            # the group key alone: short enough for an SMS, and it covers sites that join later
            ack_url = self.signer.draft_link(self.config.notifications.ack_links.base_url, person=r.person,
                                             group=r.group_key, now=r.now, language=language) if r.group_key else \
                self.signer.draft_link(self.config.notifications.ack_links.base_url, person=r.person, now=r.now,
                                       incident_ids=tuple(i.id for i in r.incidents), language=language)
        acked_by = self._name(r.acknowledged_by) if r.acknowledged_by is not None else None
        try:
            ctx = MessageContext(now=r.now, incidents=members, group_key=r.group_key,
                                 new_incident_ids=r.new_incident_ids,
                                 escalation_level=None if r.level is None else r.level + 1,
                                 also_paged=tuple(self._name(p) for p in r.also_paged), ack_url=ack_url,
                                 acknowledged_by=acked_by, roster=r.roster, shift_start=r.shift_start,
                                 shift_end=r.shift_end, utilities=self.config.utilities,
                                 timezone=self.config.daemon.timezone, outage=r.outage)
            return self.renderer(ctx, language, r.kind)
        except Exception:
            log.exception("rendering a %s message for %s failed; sending a bare one", r.kind.value, r.person,
                          extra={"escalation": r.group_key} if r.group_key else None)
            return _bare(r, language, ack_url)


def _bare(r: MessageRequest, language: str, ack_url: str | None) -> Message:
    what = ", ".join(f"{i.site_id} {i.condition.value} ({i.state.value})" for i in r.incidents[:10])
    more = f" +{len(r.incidents) - 10}" if len(r.incidents) > 10 else ""
    if r.kind is MessageKind.SHIFT:
        what = f"shift on {r.roster}"
    text = f"sitewatch {r.kind.value}: {what}{more}" + (f" {ack_url}" if ack_url else "")
    return Message(kind=r.kind, language=language, subject=f"sitewatch {r.kind.value}", short=text, text=text,
                   ack_url=ack_url, data={"group_key": r.group_key, "incident_ids": [i.id for i in r.incidents]})
