"""One error hierarchy for sitewatch.

    SitewatchError
    ├── ConfigError          bad configuration; carries a list of ConfigIssue (file, line, field, reason)
    ├── ProfileError         a device profile that cannot be loaded or compiled
    ├── PollError            an SNMP request failed; ``kind`` is a PollErrorKind
    └── SendError            a notification could not be delivered
        ├── RetryableSendError   try again later (timeout, 5xx, 429)
        └── PermanentSendError   do not retry (4xx, bad address)

Error text never contains a secret (community, password, token).
"""

from __future__ import annotations

from dataclasses import dataclass

from sitewatch.core.model import PollErrorKind

__all__ = [
    "ConfigError",
    "ConfigIssue",
    "PermanentSendError",
    "PollError",
    "ProfileError",
    "RetryableSendError",
    "SendError",
    "SitewatchError",
]


class SitewatchError(Exception):
    """Base of every error sitewatch raises on purpose."""


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem in the configuration, located as precisely as we can."""

    file: str
    line: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


class ConfigError(SitewatchError):
    """The configuration is invalid. ``issues`` lists every problem found, not only the first."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


class ProfileError(SitewatchError):
    """A device profile is invalid."""


class PollError(SitewatchError):
    """An SNMP exchange failed."""

    def __init__(self, kind: PollErrorKind, detail: str = "") -> None:
        self.kind = kind
        self.detail = detail
        super().__init__(f"{kind.value}: {detail}" if detail else kind.value)


class SendError(SitewatchError):
    """A notification could not be delivered."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        self.reason = reason
        self.retry_after = retry_after
        super().__init__(reason)


class RetryableSendError(SendError):
    """Delivery may succeed later."""


class PermanentSendError(SendError):
    """Delivery will not succeed by retrying."""
