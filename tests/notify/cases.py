"""How to point each channel type at a loopback receiver, for the conformance suite.

The suite runs every entry of ``sitewatch.notify.registry.CHANNELS``; a type without a case
here fails there, so a new channel is one module, one registry line and one case below.
Each case uses every kind of secret its channel takes, so the leak checks mean something.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

from sitewatch.config.base import SecretRef
from sitewatch.config.oncall_schema import ChannelConfig
from sitewatch.notify.model import Contact, Delivery, Message, MessageKind
from sitewatch.notify.registry import build_notifier
from tests.notify.receivers import CapturedMail, CapturedRequest

__all__ = ["CASES", "SMTP_PASSWORD", "SMTP_USER", "Case", "Endpoint", "channel_config", "open_notifier", "page",
           "seen_text"]

SITE = "Trạm BTS Pleiku 3 (GL-BTS-0042)"
ACK_URL = "http://127.0.0.1:9641/ack/inc-17?p=an&sig=0f3c9a"
VIETNAMESE = "mất điện lưới, ắc quy còn 2 giờ 15 phút"
#: the SMTP capture's account (the ``smtp`` fixture), used by the email case
SMTP_USER, SMTP_PASSWORD = "noc", "smtp-Passw0rd-never-shown"


def page(address: str = "", key: str = "inc-17/L1/an/chan/page") -> Delivery:
    """A page for one on-call engineer, in Vietnamese, with an acknowledge link."""
    message = Message(
        kind=MessageKind.PAGE, language="vi",
        subject=f"[SỰ CỐ] {SITE}: {VIETNAMESE}",
        short=f"{SITE}: {VIETNAMESE}. Xác nhận: {ACK_URL}",
        text=f"Trạm: {SITE}\nTình trạng: {VIETNAMESE}\nHuyện: Pleiku, tỉnh Gia Lai\nXác nhận: {ACK_URL}",
        ack_url=ACK_URL,
        data={"incident": "inc-17", "site": "GL-BTS-0042", "site_name": SITE, "condition": "on_battery",
              "province": "Gia Lai", "district": "Pleiku", "severity": "critical",
              "since": "2025-03-01T02:14:00+07:00", "battery_runtime_seconds": 8100},
    )
    return Delivery(key=key, contact=Contact(channel="chan", address=address, person="an"), message=message)


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """Where the receiver listens: ``url`` (HTTP base URL) and ``port``; ``ca`` trusts its TLS."""

    url: str
    port: int
    ca: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """One channel type against a receiver: ``settings`` points the channel at an endpoint;
    a secret may say ``{endpoint}`` for the receiver's base URL. A type may have several cases
    (``name``: an SMS gateway with placeholders in its body, another in its URL)."""

    type: str
    name: str = ""
    settings: Callable[[Endpoint], dict[str, Any]]
    secrets: Mapping[str, str]
    address: str = ""
    smtp: bool = False
    #: what the receiver answers when all is well (Telegram wants {"ok": true})
    ok_json: Any = None
    #: receiver answers meaning "try later", "slow down (with a delay)", and "never"
    server_error: int = 500
    rate_limited: int = 429
    honours_retry_after: bool = True
    permanent: tuple[int, ...] = (400, 401, 404)
    #: fragments of secrets that must not appear either (a hook URL's token part)
    fragments: tuple[str, ...] = field(default=())
    #: the receiving client's markup, undone: what a person reads (Slack entities, Telegram HTML)
    reads: Callable[[str], str] = str

    def leak_markers(self) -> list[str]:
        """Each secret as written and as it would look inside a URL."""
        plain = [*self.secrets.values(), *self.fragments]
        return sorted({form for s in plain for form in (s, quote(s, safe=""), quote_plus(s), quote(s, safe="/+&"))})


def channel_config(case: Case, endpoint: Endpoint) -> ChannelConfig:
    secrets = {k: SecretRef.model_validate({"value": v.replace("{endpoint}", endpoint.url)})
               for k, v in case.secrets.items()}
    return ChannelConfig(type=case.type, settings=case.settings(endpoint), secrets=secrets)


@asynccontextmanager
async def open_notifier(type_: str, settings: dict[str, Any], secrets: Mapping[str, str] | None = None,
                        name: str = "chan") -> AsyncIterator[Any]:
    """A notifier built through the registry, closed afterwards."""
    refs = {k: SecretRef.model_validate({"value": v}) for k, v in (secrets or {}).items()}
    notifier = build_notifier(name, ChannelConfig(type=type_, settings=settings, secrets=refs))
    try:
        yield notifier
    finally:
        await notifier.close()


def seen_text(item: CapturedRequest | CapturedMail) -> str:
    """Every piece of text a receiver got, decoded: JSON strings, form and query values, or the
    recipients, subject and text parts of an email."""
    if isinstance(item, CapturedMail):
        parts = [*item.rcpt_tos, str(item.message["Subject"])]
        parts += [p.get_content() for p in item.message.walk() if p.get_content_maintype() == "text"]
        return "\n".join(parts)
    texts = [v for _, v in item.query]
    ctype = item.headers.get("content-type", "")
    if "json" in ctype:
        texts += list(_strings(json.loads(item.body)))
    elif "form" in ctype:
        texts += list(item.form().values())
    return "\n".join(texts)


def _strings(doc: Any) -> Any:
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for v in doc.values():
            yield from _strings(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from _strings(v)


CASES: dict[str, Case] = {c.name or c.type: c for c in [
    Case(type="webhook", settings=lambda e: {"url": f"{e.url}/hook", "timeout": 0.5,
                                               "headers": {"Authorization": "Bearer {secret:token}"}},
         secrets={"hmac_secret": "hmac-K3y-never-shown", "token": "webhook-B3arer-never-shown"}),
    Case(type="sms_gateway",
         settings=lambda e: {"url": f"{e.url}/sms/send", "timeout": 0.5, "params": {"key": "{secret:api_key}"},
                               "body": {"to": "{to}", "text": "{text}"}},
         secrets={"api_key": "sms+Api/K3y never&shown"}, address="+84905123456"),
    Case(type="sms_gateway", name="sms_gateway_url",
         settings=lambda e: {"url": f"{e.url}/sms?to={{to}}&text={{text}}&key={{secret:api_key}}", "method": "GET",
                             "timeout": 0.5, "params": {"ref": "{key}"}},
         secrets={"api_key": "sms+Api/K3y never&shown"}, address="+84905123456"),
    Case(type="telegram", settings=lambda e: {"api_url": e.url, "timeout": 0.5},
         secrets={"bot_token": "123456789:AAF-t0ken_never-shown"}, address="-1001234567890",
         ok_json={"ok": True, "result": {"message_id": 1}}, reads=lambda t: html.unescape(re.sub(r"</?b>", "", t))),
    Case(type="slack", settings=lambda e: {"timeout": 0.5},
         secrets={"url": "{endpoint}/hooks/T0001/B0002/XoxbSl4ckPathT0ken"}, fragments=("XoxbSl4ckPathT0ken",),
         reads=lambda t: html.unescape(t).replace("\u2060", "")),
    Case(type="alertmanager", settings=lambda e: {"url": e.url, "timeout": 0.5, "username": "sitewatch"},
         secrets={"password": "am-Basic-passw0rd"}),
    Case(type="email", smtp=True, address="an.nguyen@vnpt-gialai.vn",
         settings=lambda e: {"host": "127.0.0.1", "port": e.port, "from": "Sitewatch <noc@vnpt-gialai.vn>",
                             "username": SMTP_USER, "timeout": 0.5, "ca_file": e.ca},
         secrets={"password": SMTP_PASSWORD},
         server_error=451, rate_limited=421, honours_retry_after=False, permanent=(550, 554)),
]}
