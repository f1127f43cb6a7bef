"""What the HTTP channels share: one client per notifier, and one way to classify an outcome.

    timeout, connection refused/reset, 5xx, 408, 429  → RetryableSendError (429/503: Retry-After)
    other 4xx, 3xx (redirects are not followed)        → PermanentSendError
    TLS certificate not trusted, bad URL               → PermanentSendError (needs an operator)

Reasons name the channel, the server's origin (never the path or query: a Slack hook path or
a Telegram bot path is a credential) and a short excerpt of the answer, all redacted.
"""

from __future__ import annotations

import asyncio
import enum
import json
import ssl
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from sitewatch.core.errors import PermanentSendError, RetryableSendError, SendError
from sitewatch.notify.redact import Redactor, register, unregister

__all__ = ["HttpNotifier", "excerpt", "json_bytes", "retry_after", "status_error", "untrusted_certificate"]

_USER_AGENT = "sitewatch-notify/1"
_EXCERPT = 200


class HttpNotifier:
    """Base of the channels that make one HTTP request per delivery. Subclasses implement
    ``send`` with ``request`` and ``raise_for_status``."""

    def __init__(
        self,
        name: str,
        *,
        timeout: float,
        secrets: Iterable[str] = (),
        auth: tuple[str, str] | None = None,
    ) -> None:
        self.name = name
        self.timeout = timeout
        self.redact = Redactor(secrets)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), auth=auth, follow_redirects=False,
            headers={"User-Agent": _USER_AGENT},
        )
        register(self.redact)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    async def close(self) -> None:
        unregister(self.redact)
        await self._client.aclose()

    def fail(
        self, cls: type[SendError], url: httpx.URL | str, what: str, *, retry_after: float | None = None
    ) -> SendError:
        """An error whose reason names this channel and the server's origin, redacted."""
        return cls(self.redact(f"{self.name}: {what} ({_origin(url)})"), retry_after=retry_after)

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request within ``timeout`` overall; transport failures raised classified.
        ``from None``: httpx's own exception may carry the full URL, and with it a token."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self._client.request(method, url, **kwargs)
        except (TimeoutError, httpx.TimeoutException):
            raise self.fail(RetryableSendError, url, f"no answer within {self.timeout:g}s") from None
        except httpx.ConnectError as e:
            if untrusted_certificate(e):
                raise self.fail(PermanentSendError, url, "TLS certificate not trusted") from None
            raise self.fail(RetryableSendError, url, f"cannot connect: {e or type(e).__name__}") from None
        except httpx.UnsupportedProtocol:
            raise self.fail(PermanentSendError, url, "unsupported URL scheme") from None
        except httpx.InvalidURL:
            raise self.fail(PermanentSendError, url, "invalid URL") from None
        except httpx.TransportError as e:
            raise self.fail(RetryableSendError, url, f"{type(e).__name__}: {e}") from None

    def raise_for_status(self, response: httpx.Response) -> None:
        """Raise the classified error for a non-2xx answer, quoting the start of the body."""
        if response.is_success:
            return
        text = excerpt(response.text)
        cls, after = status_error(response.status_code, retry_after(response))
        what = f"HTTP {response.status_code} {response.reason_phrase}" + (f": {text}" if text else "")
        raise self.fail(cls, response.request.url, what, retry_after=after)


def status_error(status: int, after: float | None = None) -> tuple[type[SendError], float | None]:
    """The class of error a non-success HTTP status means, and the retry delay to keep."""
    if status in (408, 429) or 500 <= status <= 599:
        return RetryableSendError, after
    return PermanentSendError, None


def retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP date (measured against the
    server's own ``Date`` header when it sends one, so clock skew does not matter)."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    when = _http_date(value)
    if when is None:
        return None
    now = _http_date(response.headers.get("Date", "")) or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def json_bytes(value: Any) -> bytes:
    """UTF-8 JSON (Vietnamese stays readable), with datetimes as ISO 8601 and enums as values."""
    return json.dumps(value, ensure_ascii=False, default=_jsonable, separators=(",", ":")).encode()


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def _http_date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _origin(url: httpx.URL | str) -> str:
    try:
        u = httpx.URL(url)
    except httpx.InvalidURL:
        return "invalid URL"
    port = f":{u.port}" if u.port else ""
    return f"{u.scheme}://{u.host}{port}" if u.host else "no host"


def excerpt(text: str) -> str:
    """One line of at most 200 characters, for a reason."""
    flat = " ".join(text.split())
    return flat if len(flat) <= _EXCERPT else flat[:_EXCERPT] + "…"


def untrusted_certificate(error: BaseException) -> bool:
    """Whether a TLS certificate check failed somewhere in the chain of causes."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
