"""Every registered channel type, against a real receiver on 127.0.0.1, behaves the same way:
it delivers what the on-call must read, classifies each kind of failure so the outbox knows
whether to retry (and when), and never lets a secret out through an error, a repr or a log.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from sitewatch.core.errors import PermanentSendError, RetryableSendError, SendError
from sitewatch.messages.layout import Document, Fact, to_html, to_text
from sitewatch.notify.model import Delivery, Notifier
from sitewatch.notify.registry import CHANNELS, build_notifier
from tests.notify.cases import (
    ACK_URL,
    CASES,
    SITE,
    SMTP_PASSWORD,
    SMTP_USER,
    VIETNAMESE,
    Case,
    Endpoint,
    channel_config,
    page,
    seen_text,
)
from tests.notify.receivers import CapturedMail, CapturedRequest, CaptureServer, SmtpCapture, TlsFiles, closed_port

#: receivers' own loggers: they see the credentials a client sends, by design
SERVER_LOGGERS = ("mail.log", "uvicorn")


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]


@pytest.mark.parametrize("channel_type", sorted(CHANNELS))
def test_every_channel_type_has_a_case(channel_type: str) -> None:
    assert any(c.type == channel_type for c in CASES.values()), \
        f"channel type {channel_type!r} has no conformance case: add one to tests/notify/cases.py"


@dataclass
class Receiver:
    """The case's receiver, whichever protocol it speaks."""

    endpoint: Endpoint
    http: CaptureServer | None = None
    smtp: SmtpCapture | None = None

    def fail(self, status: int | str, retry_after: str | None = None) -> None:
        if self.http is not None:
            headers = {"Retry-After": retry_after} if retry_after else {}
            self.http.fail_with(status, count=1, headers=headers, body="upstream says no")  # type: ignore[arg-type]
        else:
            assert self.smtp is not None
            self.smtp.fail_with(status, count=1)  # type: ignore[arg-type]

    def delivered(self) -> list[CapturedRequest] | list[CapturedMail]:
        return self.http.delivered() if self.http is not None else self.smtp.messages  # type: ignore[union-attr]


@pytest.fixture
async def receiver(case: Case, tls: TlsFiles) -> AsyncIterator[Receiver]:
    if case.smtp:
        async with SmtpCapture(tls=tls, users={SMTP_USER: SMTP_PASSWORD}) as smtp:
            yield Receiver(Endpoint(url=f"smtp://127.0.0.1:{smtp.port}", port=smtp.port, ca=str(tls.ca)), smtp=smtp)
        return
    async with CaptureServer() as http:
        if case.ok_json is not None:
            http.reply(json=case.ok_json)
        yield Receiver(Endpoint(url=http.url, port=http.port), http=http)


@pytest.fixture
async def notifier(case: Case, receiver: Receiver) -> AsyncIterator[Notifier]:
    n = build_notifier("chan", channel_config(case, receiver.endpoint))
    yield n
    await n.close()


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def assert_no_secret(case: Case, caplog: pytest.LogCaptureFixture, notifier: Notifier,
                     error: BaseException | None = None) -> None:
    client_logs = [r.getMessage() for r in caplog.records if not r.name.startswith(SERVER_LOGGERS)]
    places = {"repr(notifier)": repr(notifier), "logs": "\n".join(client_logs)}
    if error is not None:
        places["error"] = "".join(traceback.format_exception(error)) + repr(error)
    for where, text in places.items():
        for secret in case.leak_markers():
            assert secret not in text, f"{case.type}: a secret leaks into {where}"


async def send_failing(notifier: Notifier, case: Case) -> SendError:
    with pytest.raises(SendError) as info:
        await notifier.send(page(case.address))
    return info.value


async def test_delivers_what_the_on_call_must_read(case: Case, receiver: Receiver, notifier: Notifier,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    await notifier.send(page(case.address))
    [got] = receiver.delivered()
    text = case.reads(seen_text(got))
    assert VIETNAMESE in text and SITE in text
    assert ACK_URL in text
    assert case.address in text  # the number, the mailbox, the chat: the receiver knows whom to tell
    assert any(r.name == "httpx" for r in caplog.records) or case.smtp  # the log check below saw real lines
    assert_no_secret(case, caplog, notifier)


async def test_server_error_is_retryable_and_the_next_attempt_delivers(
        case: Case, receiver: Receiver, notifier: Notifier, caplog: pytest.LogCaptureFixture) -> None:
    receiver.fail(case.server_error)
    error = await send_failing(notifier, case)
    assert isinstance(error, RetryableSendError), error
    assert str(case.server_error) in str(error) and "chan" in str(error)
    assert not receiver.delivered()
    await notifier.send(page(case.address))
    assert len(receiver.delivered()) == 1
    assert_no_secret(case, caplog, notifier, error)


async def test_rate_limited_is_retryable_with_the_delay_asked_for(
        case: Case, receiver: Receiver, notifier: Notifier, caplog: pytest.LogCaptureFixture) -> None:
    receiver.fail(case.rate_limited, retry_after="7")
    error = await send_failing(notifier, case)
    assert isinstance(error, RetryableSendError), error
    assert error.retry_after == (7.0 if case.honours_retry_after else None)
    assert_no_secret(case, caplog, notifier, error)


async def test_refusals_are_permanent(case: Case, receiver: Receiver, notifier: Notifier,
                                      caplog: pytest.LogCaptureFixture) -> None:
    for status in case.permanent:
        receiver.fail(status)
        error = await send_failing(notifier, case)
        assert isinstance(error, PermanentSendError), (status, error)
        assert str(status) in str(error)
        assert_no_secret(case, caplog, notifier, error)
    assert not receiver.delivered()


async def test_no_answer_is_retryable_within_the_timeout(case: Case, receiver: Receiver, notifier: Notifier,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    receiver.fail("timeout")
    started = time.monotonic()
    error = await send_failing(notifier, case)
    assert isinstance(error, RetryableSendError), error
    assert time.monotonic() - started < 2.0  # the channel's 0.5 s, not the receiver's 30 s hold
    assert_no_secret(case, caplog, notifier, error)


async def test_connection_refused_is_retryable(case: Case, caplog: pytest.LogCaptureFixture) -> None:
    port = closed_port()
    notifier = build_notifier("chan", channel_config(case, Endpoint(url=f"http://127.0.0.1:{port}", port=port)))
    try:
        error = await send_failing(notifier, case)
        assert isinstance(error, RetryableSendError), error
        assert_no_secret(case, caplog, notifier, error)
    finally:
        await notifier.close()


def test_config_and_validation_messages_hide_secrets(case: Case) -> None:
    cfg = channel_config(case, Endpoint(url="http://127.0.0.1:9", port=9, ca="/nonexistent/ca.pem"))
    shown = repr(cfg) + str(cfg.model_dump()) + cfg.model_dump_json()
    for secret in case.leak_markers():
        assert secret not in shown


#: an interface name as a hostile v2c sender could set it: a Slack mention and a fake acknowledge
#: link, Mattermost's Markdown forms of both, HTML for Telegram, query parameters for an SMS URL,
#: and a mail header (the edge cleans device text; a channel must still be safe on its own)
HOSTILE = ('eth9 <!channel> <https://evil.example/ack|Acknowledge> @here [Acknowledge](https://evil.example/ack) '
           '<a href="https://evil.example/ack">Acknowledge</a> &to=+84999999999&text=x# \r\nBcc: x@evil.example')
#: pieces of ``HOSTILE`` the on-call must read as written, whatever a channel does with line breaks
HOSTILE_SHOWN = ("eth9 <!channel> <https://evil.example/ack|Acknowledge> @here [Acknowledge](https://evil.example/ack)",
                 '<a href="https://evil.example/ack">Acknowledge</a> &to=+84999999999&text=x#', "Bcc: x@evil.example")


def hostile_page(address: str) -> Delivery:
    d = page(address)
    subject = f"[SỰ CỐ] {SITE}: mất kết nối truyền dẫn ({HOSTILE})"
    doc = Document(subject=subject, intro=(f"Giao diện {HOSTILE}",), footer=(Fact(label="Xác nhận", url=ACK_URL),))
    message = dataclasses.replace(d.message, subject=subject, short=f"{SITE}: {HOSTILE}. Xác nhận: {ACK_URL}",
                                  text=to_text(doc), html=to_html(doc))
    return dataclasses.replace(d, message=message)


def obeyed_markup(case: Case, got: CapturedRequest | CapturedMail, sent: Delivery) -> list[str]:
    """What the receiving client would act on instead of showing: mentions, links, tags,
    extra recipients or parameters."""
    if isinstance(got, CapturedMail):
        found = [f"header {h}" for h in got.message if h.lower() in ("bcc", "cc")]
        found += [f"recipients {got.rcpt_tos}"] if list(got.rcpt_tos) != [case.address] else []
        found += ["a line break in the subject"] if "\n" in str(got.message["Subject"]) else []
        html_part = got.message.get_body(("html",))
        found += ["a link in the HTML part"] if html_part and "evil.example/ack\"" in html_part.get_content() else []
        return found
    if case.type == "slack":
        texts = [got.json()["text"], *(a[k] for a in got.json()["attachments"] for k in ("title", "text", "fallback"))]
        return [m for t in texts for m in re.findall(r"<[^>]*>|@(?:channel|here|all)\b|\]\(", t)]
    if case.type == "telegram":
        return [tag for tag in re.findall(r"<[^>]*>", got.json()["text"]) if tag not in ("<b>", "</b>")]
    if case.type == "sms_gateway":
        numbers = [v for k, v in got.query if k == "to"] + ([got.json()["to"]] if got.body else [])
        return [f"numbers {numbers}"] if numbers != [case.address] else []
    doc = got.json()  # JSON is inert by construction: the text arrives exactly as it was
    subject = doc["subject"] if case.type == "webhook" else doc[0]["annotations"]["summary"]
    return [] if subject == sent.message.subject else [f"subject {subject!r}"]


async def test_hostile_device_text_arrives_inert_and_delivered(
        case: Case, receiver: Receiver, notifier: Notifier, caplog: pytest.LogCaptureFixture) -> None:
    sent = hostile_page(case.address)
    await notifier.send(sent)
    [got] = receiver.delivered()
    assert obeyed_markup(case, got, sent) == []
    shown = case.reads(seen_text(got))
    for piece in HOSTILE_SHOWN:
        assert piece in shown, f"{case.name or case.type}: the on-call cannot read {piece!r}"
    assert ACK_URL in shown and case.address in shown
    assert_no_secret(case, caplog, notifier)
