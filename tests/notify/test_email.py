"""Email over SMTP against aiosmtpd on 127.0.0.1 with a CA made for the test."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from sitewatch.core.errors import PermanentSendError
from tests.notify.cases import ACK_URL, SITE, SMTP_PASSWORD, SMTP_USER, VIETNAMESE, open_notifier, page
from tests.notify.receivers import SmtpCapture, TlsFiles

TO = "an.nguyen@vnpt-gialai.vn"


def settings(server: SmtpCapture, tls: TlsFiles | None = None, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"host": "127.0.0.1", "port": server.port, "from": "Trực ban Sitewatch <noc@vnpt-gialai.vn>",
                            "username": SMTP_USER, "timeout": 2}
    if tls is not None:
        base["ca_file"] = str(tls.ca)
    return base | extra


async def test_starttls_auth_and_a_vietnamese_message(smtp: SmtpCapture, tls: TlsFiles) -> None:
    d = page(TO, key="inc-17/L1/an/email/page")
    rich = f"<p><a href='{ACK_URL}'>Xác nhận</a></p>"
    html = dataclasses.replace(d, message=dataclasses.replace(d.message, html=rich))
    async with open_notifier("email", settings(smtp, tls, reply_to="noc@vnpt-gialai.vn"),
                             {"password": SMTP_PASSWORD}) as n:
        await n.send(html)
        await n.send(html)  # a retry after a lost answer
    first, again = smtp.messages
    assert first.tls and first.login == SMTP_USER
    assert first.mail_from == "noc@vnpt-gialai.vn" and first.rcpt_tos == (TO,)
    m = first.message
    assert m["Subject"] == f"[SỰ CỐ] {SITE}: {VIETNAMESE}"
    assert m["From"].addresses[0].display_name == "Trực ban Sitewatch" and m["To"] == TO
    assert m["Reply-To"] == "noc@vnpt-gialai.vn" and m["Content-Language"] == "vi"
    assert m["Date"].datetime is not None
    assert m["Message-ID"].endswith("@vnpt-gialai.vn>") and m["Message-ID"] == again.message["Message-ID"]
    headers = first.raw.split(b"\r\n\r\n", 1)[0]
    assert headers.isascii()  # RFC 2047 words: any relay keeps the subject
    assert m.get_content_type() == "multipart/alternative"
    plain, rich = (p.get_content() for p in m.iter_parts())
    assert VIETNAMESE in plain and ACK_URL in plain and ACK_URL in rich


async def test_implicit_tls(tls: TlsFiles) -> None:
    async with SmtpCapture(tls=tls, implicit_tls=True, users={SMTP_USER: SMTP_PASSWORD}) as server:
        async with open_notifier("email", settings(server, tls, security="tls"), {"password": SMTP_PASSWORD}) as n:
            await n.send(page(TO))
        [got] = server.messages
        assert got.tls and got.login == SMTP_USER


async def test_a_wrong_password_is_permanent_and_not_shown(smtp: SmtpCapture, tls: TlsFiles) -> None:
    async with open_notifier("email", settings(smtp, tls), {"password": "wr0ng-passw0rd"}) as n:
        with pytest.raises(PermanentSendError, match="SMTP 535") as info:
            await n.send(page(TO))
    assert "wr0ng-passw0rd" not in str(info.value) and smtp.messages == []


async def test_an_untrusted_certificate_is_permanent_unless_verification_is_off(smtp: SmtpCapture) -> None:
    async with open_notifier("email", settings(smtp), {"password": SMTP_PASSWORD}) as n:
        with pytest.raises(PermanentSendError, match="TLS certificate not trusted"):
            await n.send(page(TO))
    assert smtp.messages == []
    async with open_notifier("email", settings(smtp, tls_verify=False), {"password": SMTP_PASSWORD}) as n:
        await n.send(page(TO))
    assert len(smtp.messages) == 1


async def test_a_server_without_starttls_is_refused_not_used_in_clear() -> None:
    async with SmtpCapture() as plain:
        async with open_notifier("email", settings(plain), {"password": SMTP_PASSWORD}) as n:
            with pytest.raises(PermanentSendError, match="STARTTLS"):
                await n.send(page(TO))
        assert plain.messages == []


async def test_a_relay_without_tls_or_auth(tls: TlsFiles) -> None:
    async with SmtpCapture() as relay:
        s = settings(relay, security="none")
        del s["username"]
        async with open_notifier("email", s) as n:
            await n.send(page(TO))
        [got] = relay.messages
        assert not got.tls and got.login is None


async def test_a_contact_without_an_address_is_permanent(smtp: SmtpCapture, tls: TlsFiles) -> None:
    async with open_notifier("email", settings(smtp, tls), {"password": SMTP_PASSWORD}) as n:
        with pytest.raises(PermanentSendError, match="no email address"):
            await n.send(page("an"))
