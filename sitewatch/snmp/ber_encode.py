"""BER encoding of SNMP v1/v2c messages: requests encoded once, and any message for tests.

Requests are built once as a ``RequestTemplate`` (or a community-independent ``request_body``
plus a ``request_prefix``); only the 4-byte request-id is filled in per request. Request-ids in
``ber.REQUEST_ID_RANGE`` make that fixed width also the minimal encoding. ``encode_message``
builds any message (responses for simulators and tests, traps).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sitewatch.core.model import SnmpException, SnmpValue
from sitewatch.snmp.ber import EXCEPTIONS, MAX_ARCS, UNSIGNED_MAX, Tag

__all__ = [
    "RequestTemplate",
    "build_request",
    "encode_message",
    "encode_oid",
    "encode_oid_tlv",
    "encode_value",
    "oid_tlv",
    "request_body",
    "request_prefix",
]

_EXCEPTION_TAGS: dict[SnmpException, int] = {e: t for t, e in EXCEPTIONS.items()}
_U32 = 0xFFFF_FFFF


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes((tag,)) + _length(len(content)) + content


def _int_content(v: int) -> bytes:
    return v.to_bytes(((v if v >= 0 else ~v).bit_length() // 8) + 1, "big", signed=True)


def encode_oid(oid: str) -> bytes:
    """The BER content octets of a dotted OID (a leading dot is allowed). ``ValueError`` if invalid."""
    try:
        arcs = [int(a) for a in oid.removeprefix(".").split(".")]
    except ValueError:
        raise ValueError(f"not a dotted OID: {oid!r}") from None
    if (len(arcs) < 2 or len(arcs) > MAX_ARCS or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40)
            or min(arcs) < 0 or max(arcs) > _U32):
        raise ValueError(f"not a valid OID: {oid!r}")
    out = bytearray()
    for arc in (arcs[0] * 40 + arcs[1], *arcs[2:]):
        if arc < 0x80:
            out.append(arc)
            continue
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return bytes(out)


def encode_oid_tlv(oid: str) -> bytes:
    """The whole BER TLV (tag, length, content) of a dotted OID."""
    return _tlv(0x06, encode_oid(oid))


def oid_tlv(content: bytes) -> bytes:
    """The whole BER TLV of an OID given its content octets (as ``ber.parse_varbinds`` yields them)."""
    return _tlv(0x06, content)


def encode_value(tag: int, value: SnmpValue) -> bytes:
    """One value as a TLV. ``ValueError`` when the value does not fit the tag."""
    if tag in EXCEPTIONS or tag == Tag.NULL:
        return bytes((tag, 0))
    if isinstance(value, SnmpException):
        return bytes((_EXCEPTION_TAGS[value], 0))
    if tag == Tag.INTEGER and isinstance(value, int):
        if not -0x8000_0000 <= value <= 0x7FFF_FFFF:
            raise ValueError(f"INTEGER out of range: {value}")
        return _tlv(tag, _int_content(value))
    if tag in UNSIGNED_MAX and isinstance(value, int):
        if not 0 <= value <= UNSIGNED_MAX[tag]:
            raise ValueError(f"{Tag(tag).name} out of range: {value}")
        return _tlv(tag, _int_content(value))
    if tag in (Tag.OCTET_STRING, Tag.OPAQUE, Tag.IP_ADDRESS) and isinstance(value, bytes):
        if tag == Tag.IP_ADDRESS and len(value) != 4:
            raise ValueError("IpAddress must be 4 bytes")
        return _tlv(tag, value)
    if tag == Tag.OBJECT_IDENTIFIER and isinstance(value, str):
        return _tlv(tag, encode_oid(value))
    raise ValueError(f"cannot encode {value!r} as tag 0x{tag:02x}")


def encode_message(*, version: int, community: bytes, pdu: int, request_id: int,
                   error_status: int = 0, error_index: int = 0,
                   varbinds: Iterable[tuple[str, int, SnmpValue]] = ()) -> bytes:
    """A whole message; varbinds are (oid, tag, value). For tests, simulators and traps."""
    vbl = b"".join(_tlv(0x30, _tlv(0x06, encode_oid(o)) + encode_value(t, v)) for o, t, v in varbinds)
    body = (_tlv(0x02, _int_content(request_id)) + _tlv(0x02, _int_content(error_status))
            + _tlv(0x02, _int_content(error_index)) + _tlv(0x30, vbl))
    return _tlv(0x30, _tlv(0x02, _int_content(version)) + _tlv(0x04, community) + _tlv(pdu, body))


@dataclass(frozen=True, slots=True)
class RequestTemplate:
    """A request encoded once; ``prefix + request_id.to_bytes(4, "big") + suffix`` is the message."""

    prefix: bytes
    suffix: bytes

    def render(self, request_id: int) -> bytes:
        return self.prefix + request_id.to_bytes(4, "big") + self.suffix


def build_request(version: int, community: bytes, pdu: int, oids: Sequence[bytes],
                  error_status: int = 0, error_index: int = 0) -> RequestTemplate:
    """A request template over OID content octets (from ``encode_oid``), every value NULL.

    For GetBulk pass non-repeaters and max-repetitions as ``error_status``/``error_index``.
    """
    body = request_body(oids, error_status, error_index)
    return RequestTemplate(request_prefix(version, community, pdu, len(body)), body)


def request_body(oids: Sequence[bytes], error_status: int = 0, error_index: int = 0) -> bytes:
    """What follows the request-id: the same for every community (a template's ``suffix``)."""
    vbl = b"".join(_tlv(0x30, _tlv(0x06, o) + b"\x05\x00") for o in oids)
    return _tlv(0x02, _int_content(error_status)) + _tlv(0x02, _int_content(error_index)) + _tlv(0x30, vbl)


def request_prefix(version: int, community: bytes, pdu: int, body_length: int) -> bytes:
    """What precedes the request-id's 4 bytes, for a ``request_body`` of ``body_length`` bytes."""
    pdu_head = bytes((pdu,)) + _length(6 + body_length)
    head = _tlv(0x02, _int_content(version)) + _tlv(0x04, community) + pdu_head
    return b"\x30" + _length(len(head) + 6 + body_length) + head + b"\x02\x04"
