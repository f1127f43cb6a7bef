"""The messages people read, in Vietnamese and English, and the signed links they answer with.

    MessageContext ──render(ctx, language, kind)──▶ Message (short SMS, subject/text/html, data)
    AckSigner.link(...) ──▶ https://…/ack/<token> ──web.ack: GET describes, POST acknowledges──▶ IncidentService

``render`` is pure; the escalation engine builds one context per recipient. The ack page goes
through ``sitewatch.incidents.acks.IncidentAcks`` into ``IncidentService.acknowledge``: the one command path for acks.
"""

from sitewatch.messages.acklinks import (
    AckGrant,
    AckLinkError,
    AckSigner,
    BadAckSignature,
    ExpiredAckLink,
    MalformedAckLink,
    signer_from_config,
)
from sitewatch.messages.context import MessageContext, SiteEntry, SiteIncident, by_urgency, site_entries
from sitewatch.messages.render import render
from sitewatch.messages.sms import sms_encoding, sms_segments, to_gsm7

__all__ = [
    "AckGrant",
    "AckLinkError",
    "AckSigner",
    "BadAckSignature",
    "ExpiredAckLink",
    "MalformedAckLink",
    "MessageContext",
    "SiteEntry",
    "SiteIncident",
    "by_urgency",
    "render",
    "signer_from_config",
    "site_entries",
    "sms_encoding",
    "sms_segments",
    "to_gsm7",
]
