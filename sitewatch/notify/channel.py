"""What one channel module hands to the registry.

A channel is its type name (``channels.<name>.type``), a strict settings model (unknown keys
fail at load, with the key named), the names of the secrets it takes, optional cross-checks
between the two, what a contact on it must give as an address (if anything), and a
constructor. The registry validates ``ChannelConfig.settings`` against the model, reveals the
secrets, and calls ``build``; the configuration's ``type`` values and the on-call checks of
contact addresses come from the registry too. So a new channel is one module exposing one
``ChannelType`` plus one line in ``registry.py`` (and its conformance case in the tests).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from pydantic import Field, field_validator

from sitewatch.config.base import Strict, parse_duration
from sitewatch.config.locations import ConfigPath
from sitewatch.notify.model import Notifier

__all__ = [
    "ACK_LABELS", "Address", "ChannelSettings", "ChannelType", "Problem", "Secrets", "ack_label", "url_from",
    "url_problems",
]

#: the acknowledge button or link label, in the recipient's language
ACK_LABELS = {"vi": "Xác nhận", "en": "Acknowledge"}

#: secret name → revealed secret
Secrets = Mapping[str, str]
#: a problem found by a channel's cross-check: path inside the channel (("settings", "url")), reason
Problem = tuple[ConfigPath, str]


class ChannelSettings(Strict):
    """Settings every channel has."""

    #: seconds for one delivery attempt (connect, send, answer); "10s", "1m" also accepted
    timeout: Annotated[float, Field(gt=0, le=300)] = 10.0

    @field_validator("timeout", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> Any:
        return parse_duration(v)


S = TypeVar("S", bound=ChannelSettings)


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    """What a contact on a channel that reaches people one by one gives as ``address``."""

    #: what it is, for the error when it is missing or wrong: "a phone number"
    what: str
    #: ``address`` → why it is not one (None: it is); checked when the configuration loads
    check: Callable[[str], str | None] | None = None

    def problem(self, address: str) -> str | None:
        """Why ``address`` will not do, or None."""
        if not address:
            return f"needs an address ({self.what})"
        reason = self.check(address) if self.check is not None else None
        return None if reason is None else f"has address {address!r}, which is not {self.what}: {reason}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelType(Generic[S]):
    """One kind of channel, as the registry knows it."""

    #: the ``type`` value in the configuration
    name: str
    settings: type[S]
    build: Callable[[str, S, Secrets], Notifier]
    #: names of the secrets this channel accepts; None = any name (the check decides)
    secrets: frozenset[str] | None = frozenset()
    required_secrets: frozenset[str] = frozenset()
    #: cross-checks between settings and the names of the given secrets
    check: Callable[[S, frozenset[str]], list[Problem]] | None = None
    #: a contact's address on this channel; None: the channel's settings say where (a URL)
    address: Address | None = None


def url_problems(url: str | None, secret_names: frozenset[str]) -> list[Problem]:
    """Channels whose URL may itself be the secret (a Slack or Mattermost hook URL carries its
    token) take it from ``settings.url`` or ``secrets.url``: exactly one."""
    if url is None and "url" not in secret_names:
        return [(("settings", "url"), "give the URL in settings.url, or in secrets.url if it carries a token")]
    if url is not None and "url" in secret_names:
        return [(("secrets", "url"), "the URL is given twice: keep settings.url or secrets.url")]
    return []


def url_from(url: str | None, secrets: Secrets) -> str:
    """The URL chosen by ``url_problems``."""
    return url if url is not None else secrets["url"]


def ack_label(language: str) -> str:
    return ACK_LABELS.get(language, ACK_LABELS["en"])
