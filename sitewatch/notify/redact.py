"""Keep secrets out of error text and log lines.

A Telegram bot token travels in the request path, an SMS gateway key often in the query
string, and httpx logs every request URL at INFO. So each notifier holds a ``Redactor`` over
its secrets, runs every reason it raises through it, and registers it with a logging filter
on the HTTP client's loggers while the notifier is open. URL-encoded forms are redacted too:
a key substituted into a query parameter appears percent-encoded in the logged URL.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

import httpx

__all__ = ["MASK", "Redactor", "encodings", "register", "unregister"]

MASK = "***"

#: loggers of the HTTP stack that may print a request URL (filters do not inherit: list each)
_LOGGERS = ("httpx", "httpcore", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy")


class Redactor:
    """Replaces each secret, raw or URL-encoded, with ``***``."""

    __slots__ = ("_forms",)

    def __init__(self, secrets: Iterable[str]) -> None:
        forms = {form for s in secrets if s for form in encodings(s)}
        self._forms = sorted(forms, key=len, reverse=True)  # longest first: a form may contain another

    def __call__(self, text: str) -> str:
        for form in self._forms:
            text = text.replace(form, MASK)
        return text

    def __bool__(self) -> bool:
        return bool(self._forms)

    def __repr__(self) -> str:
        return f"Redactor({len(self._forms)} forms)"


def encodings(secret: str) -> set[str]:
    """The forms a secret can take in a logged URL: as is, percent-encoded (path and query
    styles, ours and httpx's)."""
    forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret),
             str(httpx.QueryParams({"k": secret}))[2:]}
    with contextlib.suppress(httpx.InvalidURL):  # else it cannot be part of a URL path at all
        forms.add(httpx.URL("http://h/" + secret).raw_path.decode()[1:])
    return forms


class _LogRedaction(logging.Filter):
    """Rewrites records of the HTTP stack's loggers through every registered redactor."""

    def __init__(self) -> None:
        super().__init__()
        self.active: list[Redactor] = []
        self.attached = False

    def filter(self, record: logging.LogRecord) -> bool:
        if self.active:
            try:
                message = record.getMessage()
            except (TypeError, ValueError):
                return True  # a malformed record: logging reports it; never break the caller
            clean = message
            for redact in self.active:
                clean = redact(clean)
            if clean != message:
                record.msg, record.args = clean, None
        return True


_FILTER = _LogRedaction()


def register(redactor: Redactor) -> None:
    """Redact this notifier's secrets from the HTTP stack's log records until ``unregister``."""
    if not redactor:
        return
    if not _FILTER.attached:
        for name in _LOGGERS:
            logging.getLogger(name).addFilter(_FILTER)
        _FILTER.attached = True
    _FILTER.active.append(redactor)


def unregister(redactor: Redactor) -> None:
    """Stop redacting for a closed notifier (no-op if it was never registered)."""
    if redactor in _FILTER.active:
        _FILTER.active.remove(redactor)
