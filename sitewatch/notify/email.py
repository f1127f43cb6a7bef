"""Email over SMTP (aiosmtplib: the send stays on the event loop, cancellable, with a timeout).

STARTTLS on 587 by default, implicit TLS (``security: tls``, 465) or none (a relay on the
same host); AUTH when ``username`` is set, with ``secrets.password``. The certificate is
verified unless ``tls_verify: false``; ``ca_file`` trusts a private CA. The message is plain
text with an optional HTML alternative (escaped where it is laid out); headers are UTF-8 (RFC
2047: Vietnamese subjects survive any relay), and the subject stays on one line whatever it
holds (a line break in it would start another header). ``Message-ID`` derives from the
delivery key, so a retry after a lost answer carries the same id and mail systems can drop the
duplicate.

SMTP replies classify themselves: 4xx retryable, 5xx permanent; connection failures and
timeouts retryable; a server without STARTTLS or AUTH, or an untrusted certificate, is an
operator's problem (permanent).
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Annotated, Literal

import aiosmtplib
from pydantic import Field, model_validator

from sitewatch.core.errors import PermanentSendError, RetryableSendError, SendError
from sitewatch.notify.channel import Address, ChannelSettings, ChannelType, Problem, Secrets
from sitewatch.notify.http import excerpt, untrusted_certificate
from sitewatch.notify.model import Delivery
from sitewatch.notify.redact import Redactor
from sitewatch.notify.template import header_value

__all__ = ["CHANNEL", "EmailNotifier", "EmailSettings", "build_message"]

_DEFAULT_PORT = {"starttls": 587, "tls": 465, "none": 25}


class EmailSettings(ChannelSettings):
    #: SMTP server
    host: str
    #: SMTP port (default 587 for starttls, 465 for tls, 25 for none)
    port: Annotated[int, Field(gt=0, lt=65536)] | None = None
    #: ``starttls``, implicit ``tls``, or ``none`` (a relay on the same host)
    security: Literal["starttls", "tls", "none"] = "starttls"
    #: SMTP AUTH user (with ``secrets.password``)
    username: str | None = None
    #: the From address
    sender: str = Field(alias="from")
    #: Reply-To address
    reply_to: str | None = None
    #: verify the server's certificate
    tls_verify: bool = True
    #: a private CA's certificate file to trust
    ca_file: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> EmailSettings:
        if "@" not in parseaddr(self.sender)[1]:
            raise ValueError(f"from: {self.sender!r} is not an email address")
        if self.security == "none" and (self.ca_file is not None or not self.tls_verify):
            raise ValueError("ca_file and tls_verify apply only with security starttls or tls")
        return self


def build_message(delivery: Delivery, sender: str, reply_to: str | None = None) -> EmailMessage:
    """The email for one delivery (no network)."""
    m = delivery.message
    domain = parseaddr(sender)[1].rpartition("@")[2]
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = delivery.contact.address
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = header_value(m.subject)
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = f"<{hashlib.sha256(delivery.key.encode()).hexdigest()[:32]}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to the daemon
    msg.set_content(m.text)
    if m.html:
        msg.add_alternative(m.html, subtype="html")
    msg["Content-Language"] = m.language  # after the body: set_content drops Content-* headers
    return msg


class EmailNotifier:
    def __init__(self, name: str, settings: EmailSettings, secrets: Secrets) -> None:
        self.name = name
        self._s = settings
        self._password = secrets.get("password")
        self._redact = Redactor(secrets.values())
        self._port = settings.port or _DEFAULT_PORT[settings.security]
        self._tls: ssl.SSLContext | None = None
        if settings.security != "none":
            self._tls = ssl.create_default_context(cafile=settings.ca_file)
            if not settings.tls_verify:
                self._tls.check_hostname = False
                self._tls.verify_mode = ssl.CERT_NONE

    def __repr__(self) -> str:
        return f"EmailNotifier(name={self.name!r})"

    async def close(self) -> None:
        """Nothing to release: each send has its own SMTP session."""

    async def send(self, delivery: Delivery) -> None:
        if "@" not in delivery.contact.address:
            raise PermanentSendError(f"{self.name}: the contact has no email address")
        s = self._s
        msg = build_message(delivery, s.sender, s.reply_to)
        try:
            async with asyncio.timeout(s.timeout):  # aiosmtplib's timeout is per command; this is the whole session
                await aiosmtplib.send(
                    msg, hostname=s.host, port=self._port, username=s.username, password=self._password,
                    use_tls=s.security == "tls", start_tls=s.security == "starttls", tls_context=self._tls,
                    timeout=s.timeout,
                )
        except Exception as e:  # aiosmtplib and ssl raise many kinds; each is classified below
            raise self._classify(e) from None

    def _classify(self, e: Exception) -> SendError:
        where = f"{self._s.host}:{self._port}"
        cls: type[SendError] = RetryableSendError
        if isinstance(e, aiosmtplib.SMTPRecipientsRefused) and e.recipients:
            e = e.recipients[0]
        if isinstance(e, aiosmtplib.SMTPResponseException):
            cls = PermanentSendError if e.code >= 500 else RetryableSendError
            what = f"SMTP {e.code} {e.message}"
        elif untrusted_certificate(e):
            cls, what = PermanentSendError, "TLS certificate not trusted"
        elif isinstance(e, aiosmtplib.SMTPNotSupported) or (
                type(e) is aiosmtplib.SMTPException and "not supported" in str(e)):  # no STARTTLS, no AUTH
            cls, what = PermanentSendError, f"server does not support it: {e}"
        elif isinstance(e, TimeoutError):
            what = f"no answer within {self._s.timeout:g}s"
        else:
            what = f"{type(e).__name__}: {e}"
        return cls(self._redact(f"{self.name}: {excerpt(what)} ({where})"))


def _check(settings: EmailSettings, secret_names: frozenset[str]) -> list[Problem]:
    if (settings.username is None) == ("password" in secret_names):
        return [(("settings", "username"), "SMTP AUTH needs both settings.username and secrets.password")]
    return []


def email_problem(address: str) -> str | None:
    """The check the notifier makes before sending (a page to a bad address would be dead-lettered)."""
    return None if "@" in parseaddr(address)[1] else "it has no @"


CHANNEL = ChannelType(name="email", settings=EmailSettings, build=EmailNotifier, secrets=frozenset({"password"}),
                      check=_check, address=Address(what="an email address", check=email_problem))
