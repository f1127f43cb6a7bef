"""The small interface every SNMP client implements, and what it is asked to fetch.

The poller hands a client a resolved ``Target`` and a ``FetchPlan`` compiled from the site's
device profiles; the client returns the raw values by OID. Clients may cache whatever they
like per (target, plan) — encoded requests, security setup — since both are immutable and
hashable. Failures raise ``PollError`` with a ``PollErrorKind``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from sitewatch.core.model import SnmpValue

__all__ = ["FetchPlan", "SnmpClient", "Target", "UsmAuth"]


@dataclass(frozen=True, slots=True, kw_only=True)
class UsmAuth:
    """SNMPv3 USM security, secrets resolved. ``repr`` hides the keys."""

    username: str
    auth_protocol: str | None = None  #: md5, sha, sha224, sha256, sha384, sha512
    auth_key: str | None = None
    priv_protocol: str | None = None  #: des, aes, aes192, aes256
    priv_key: str | None = None
    context_name: str = ""

    def __repr__(self) -> str:
        return (f"UsmAuth(username={self.username!r}, auth={self.auth_protocol}, "
                f"priv={self.priv_protocol}, context_name={self.context_name!r})")


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """Where and how to ask: one SNMP agent, with secrets already resolved."""

    host: str
    port: int = 161
    version: Literal["1", "2c", "3"] = "2c"
    community: bytes = b""
    usm: UsmAuth | None = None
    timeout: float = 2.0
    retries: int = 1

    def __repr__(self) -> str:  # never print the community
        return f"Target({self.host}:{self.port}, v{self.version})"


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchPlan:
    """What to fetch from one target in one poll.

    ``scalars``: OIDs fetched with GET (many per PDU; split when the agent says tooBig).
    ``columns``: table column OIDs walked with GETBULK (v2c/v3) or GETNEXT (v1); every
    returned OID strictly under a column root is included.
    """

    scalars: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    max_repetitions: int = 25
    max_varbinds_per_get: int = 40


class SnmpClient(Protocol):
    """Fetches a plan from a target. One instance serves the whole fleet."""

    async def fetch(self, target: Target, plan: FetchPlan) -> Mapping[str, SnmpValue]:
        """Raw values by dotted OID (no leading dot). Raises ``PollError`` on failure."""
        ...

    async def close(self) -> None:
        """Release sockets and engines."""
        ...
