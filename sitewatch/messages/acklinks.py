"""Signed acknowledge links: ``https://noc.example/ack/<token>``, short enough for an SMS.

The token is ``base64url(payload ‖ tag)`` without padding, where ``tag`` is HMAC-SHA256 over a
domain label and the payload, truncated to 16 bytes (128 bits, as HMAC-SHA-256-128 in RFC 4868;
RFC 2104 §5 allows truncation to half the output). The payload is compact binary, so a link
for one incident costs about 45 characters of token:

    version (1) | expires (uint32, unix s) | language (len+ascii) | person (len+utf8)
    | group key (len+utf8, empty = none) | incident ids (LEB128 varints, to the end)

Links are signed when they are sent, not when the message is written. The stored message (the
outbox, which anyone able to read the database can see) holds a *draft* token instead: the same
payload and length, version 0 and an all-zero tag, which ``verify`` refuses. Right before each
attempt the sender swaps it for a signed token valid for ``ttl`` from then (``sign_draft``),
so nothing in the database can be replayed, and the text laid out around the draft (SMS
segments) fits the signed link exactly.

A token is bound to the person and to the incidents (or to a group key, which the escalation
engine resolves to the group's incidents when the link is used: a 40-site group does not put
40 ids in an SMS), and it expires. ``verify`` checks the tag in constant time before it reads
anything, so a forged or altered token never reaches the parser's details.

    AckLinkError (SitewatchError)       the link cannot be used
    ├── MalformedAckLink                not a token we could have made (400)
    ├── BadAckSignature                 altered, or signed with another key (400)
    └── ExpiredAckLink                  authentic but too old; ``grant`` says what it was for (410)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from sitewatch.config.oncall_schema import AckLinks
from sitewatch.core.errors import SitewatchError

__all__ = [
    "AckGrant",
    "AckLinkError",
    "AckSigner",
    "BadAckSignature",
    "ExpiredAckLink",
    "MalformedAckLink",
    "signer_from_config",
]

_VERSION = 1
_DRAFT = 0
_TAG_BYTES = 16
_DOMAIN = b"sitewatch-ack\x00"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,1024}")
_HEAD = struct.Struct(">BI")
MIN_KEY_BYTES = 16


class AckLinkError(SitewatchError):
    """This acknowledge link cannot be used."""


class MalformedAckLink(AckLinkError):
    """Not a token sitewatch could have made (cut off, wrong characters, unknown version)."""


class BadAckSignature(AckLinkError):
    """The token was altered, or signed with another key."""


class ExpiredAckLink(AckLinkError):
    """Authentic, but expired. ``grant`` is what it was for (to answer in the person's language)."""

    def __init__(self, grant: AckGrant) -> None:
        self.grant = grant
        super().__init__(f"this acknowledge link expired at unix time {grant.expires_at:.0f}")


@dataclass(frozen=True, slots=True, kw_only=True)
class AckGrant:
    """What a verified token allows: ``person`` may acknowledge these incidents (and, with a
    ``group`` key, every incident of that group) until ``expires_at``."""

    incident_ids: tuple[int, ...]
    group: str | None
    person: str
    expires_at: float
    language: str | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _short_field(text: str, what: str) -> bytes:
    raw = text.encode("utf-8")
    if len(raw) > 255:
        raise ValueError(f"{what} is too long for an ack link ({len(raw)} bytes, at most 255)")
    return bytes([len(raw)]) + raw


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


class _Reader:
    def __init__(self, data: bytes, offset: int) -> None:
        self.data, self.pos = data, offset

    def field(self) -> str:
        if self.pos >= len(self.data):
            raise MalformedAckLink("the acknowledge link is cut off")
        n = self.data[self.pos]
        raw = self.data[self.pos + 1:self.pos + 1 + n]
        if len(raw) != n:
            raise MalformedAckLink("the acknowledge link is cut off")
        self.pos += 1 + n
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedAckLink("the acknowledge link is not valid text") from None

    def varints(self) -> tuple[int, ...]:
        ids: list[int] = []
        value = shift = 0
        for byte in self.data[self.pos:]:
            value |= (byte & 0x7F) << shift
            shift += 7
            if shift > 63:
                raise MalformedAckLink("an incident id in the acknowledge link is out of range")
            if not byte & 0x80:
                ids.append(value)
                value = shift = 0
        if shift:
            raise MalformedAckLink("the acknowledge link is cut off")
        return tuple(ids)


class AckSigner:
    """Makes and checks ack links with one HMAC key (``notifications.ack_links.secret``)."""

    def __init__(self, key: bytes, ttl: float) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"the ack link secret must be at least {MIN_KEY_BYTES} bytes "
                             "(for example the output of `openssl rand -base64 32`)")
        if not ttl > 0:
            raise ValueError("the ack link lifetime (ttl) must be positive")
        self._key = key
        self.ttl = ttl

    def __repr__(self) -> str:  # never the key
        return f"AckSigner(ttl={self.ttl:g})"

    def _tag(self, payload: bytes) -> bytes:
        return hmac.new(self._key, _DOMAIN + payload, hashlib.sha256).digest()[:_TAG_BYTES]

    def token(self, *, incident_ids: Iterable[int] = (), person: str, group: str | None = None, now: float,
              language: str | None = None) -> str:
        """A token for ``person`` to acknowledge ``incident_ids`` and/or the ``group``, valid for ``ttl``.
        For a group give the key alone: its incidents are looked up when the link is used."""
        payload = self._payload(_VERSION, incident_ids=incident_ids, person=person, group=group, now=now,
                                language=language)
        return _b64(payload + self._tag(payload))

    def link(self, base_url: str, *, incident_ids: Iterable[int] = (), person: str, group: str | None = None,
             now: float, language: str | None = None) -> str:
        """``{base_url}/ack/{token}``: the page behind it asks to confirm (see ``sitewatch.web.ack``)."""
        token = self.token(incident_ids=incident_ids, person=person, group=group, now=now, language=language)
        return f"{base_url.rstrip('/')}/ack/{token}"

    def draft_link(self, base_url: str, *, incident_ids: Iterable[int] = (), person: str,
                   group: str | None = None, now: float, language: str | None = None) -> str:
        """What ``link`` would give, with an unsigned draft token (see the module docs): for
        messages that are stored before they are sent."""
        payload = self._payload(_DRAFT, incident_ids=incident_ids, person=person, group=group, now=now,
                                language=language)
        return f"{base_url.rstrip('/')}/ack/{_b64(payload + bytes(_TAG_BYTES))}"

    def sign_draft(self, draft: str, now: float) -> str:
        """The signed token for a draft token, valid for ``ttl`` from ``now``; ``MalformedAckLink``
        if ``draft`` is not a draft."""
        raw = _decode(draft)
        if raw[0] != _DRAFT or raw[-_TAG_BYTES:] != bytes(_TAG_BYTES):
            raise MalformedAckLink("not a draft acknowledge link")
        payload = _HEAD.pack(_VERSION, _expiry(now + self.ttl)) + raw[_HEAD.size:-_TAG_BYTES]
        return _b64(payload + self._tag(payload))

    def _payload(self, version: int, *, incident_ids: Iterable[int], person: str, group: str | None, now: float,
                 language: str | None) -> bytes:
        incident_ids = tuple(incident_ids)
        if not incident_ids and not group:
            raise ValueError("an ack link needs incident ids or a group key")
        if not person:
            raise ValueError("an ack link is bound to a person: give their id")
        if any(i < 0 for i in incident_ids):
            raise ValueError("incident ids are never negative")
        return (_HEAD.pack(version, _expiry(now + self.ttl)) + _short_field(language or "", "the language")
                + _short_field(person, "the person id") + _short_field(group or "", "the group key")
                + b"".join(_varint(i) for i in incident_ids))

    def verify(self, token: str, now: float) -> AckGrant:
        """The grant of an authentic, unexpired token; else ``MalformedAckLink``,
        ``BadAckSignature`` or ``ExpiredAckLink``."""
        raw = _decode(token)
        payload, tag = raw[:-_TAG_BYTES], raw[-_TAG_BYTES:]
        if not hmac.compare_digest(tag, self._tag(payload)):
            raise BadAckSignature("the acknowledge link was altered or was not made by this sitewatch")
        version, expires = _HEAD.unpack_from(payload)
        if version != _VERSION:
            raise MalformedAckLink(f"unknown acknowledge link version {version}")
        reader = _Reader(payload, _HEAD.size)
        language, person, group = reader.field(), reader.field(), reader.field()
        grant = AckGrant(incident_ids=reader.varints(), group=group or None, person=person,
                         expires_at=float(expires), language=language or None)
        if now >= grant.expires_at:
            raise ExpiredAckLink(grant)
        return grant


def _decode(token: str) -> bytes:
    if not _TOKEN.fullmatch(token):
        raise MalformedAckLink("this is not an acknowledge link (unexpected characters or length)")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise MalformedAckLink("the acknowledge link is cut off or mistyped") from None
    if _b64(raw) != token or len(raw) < _HEAD.size + 3 + _TAG_BYTES:
        raise MalformedAckLink("the acknowledge link is cut off or mistyped")
    return raw


def _expiry(at: float) -> int:
    expires = int(at)
    if not 0 < expires < 2**32:
        raise ValueError("the expiry does not fit an ack link (unix time 1..2^32)")
    return expires


def signer_from_config(config: AckLinks) -> AckSigner | None:
    """The signer for ``notifications.ack_links``; None when no secret is configured."""
    if config.secret is None:
        return None
    return AckSigner(config.secret.reveal().encode("utf-8"), config.ttl)
