"""A small, strict BER decoder for SNMP v1/v2c messages, written for the poll hot path.

Why not pyasn1: decoding one 36-varbind response costs ~2 ms with pyasn1 and tens of µs with a
plain walk over the bytes. Values come out as the cheap ``SnmpValue`` of ``sitewatch.core.model``.

Strict: a malformed, truncated, overlong or trailing-garbage input raises ``DecodeError`` (a
``ValueError`` with a ``reason`` code) and nothing else. Every loop advances, so nothing hangs.
Two pieces of leniency, shared with net-snmp and pyasn1: non-minimal INTEGER encodings and
non-minimal long-form lengths are accepted.

Encoding (requests built once as templates, responses for tests and simulators) lives in
``ber_encode``; this module holds the types, the decoder and the limits both share.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sitewatch.core.model import SnmpException, SnmpValue

__all__ = [
    "EXCEPTIONS",
    "MAX_ARCS",
    "REQUEST_ID_RANGE",
    "UNSIGNED_MAX",
    "DecodeError",
    "Message",
    "Pdu",
    "Tag",
    "decode_message",
    "decode_oid",
    "decode_oid_arcs",
    "parse_envelope",
    "parse_expected_varbinds",
    "parse_named_varbinds",
    "parse_pdu",
    "parse_varbinds",
]


class Tag(enum.IntEnum):
    """BER tags of the SMI value types and of the SNMP PDUs."""

    INTEGER = 0x02
    OCTET_STRING = 0x04
    NULL = 0x05
    OBJECT_IDENTIFIER = 0x06
    SEQUENCE = 0x30
    IP_ADDRESS = 0x40
    COUNTER32 = 0x41
    GAUGE32 = 0x42
    TIMETICKS = 0x43
    OPAQUE = 0x44
    COUNTER64 = 0x46
    NO_SUCH_OBJECT = 0x80
    NO_SUCH_INSTANCE = 0x81
    END_OF_MIB_VIEW = 0x82


class Pdu(enum.IntEnum):
    """PDU tags (context-specific, constructed)."""

    GET = 0xA0
    GET_NEXT = 0xA1
    RESPONSE = 0xA2
    SET = 0xA3
    GET_BULK = 0xA5
    INFORM = 0xA6
    TRAP_V2 = 0xA7
    REPORT = 0xA8


#: Request-ids drawn from here encode minimally in exactly 4 bytes (2**23 .. 2**31 - 1).
REQUEST_ID_RANGE = (0x0080_0000, 0x7FFF_FFFF)

_PDU_TAGS = frozenset(range(0xA0, 0xA9))  # with the v1 Trap (0xA4), whose layout differs
_TRAP_V1 = 0xA4
#: BER tag of each SNMPv2 exception value
EXCEPTIONS = {0x80: SnmpException.NO_SUCH_OBJECT, 0x81: SnmpException.NO_SUCH_INSTANCE,
               0x82: SnmpException.END_OF_MIB_VIEW}
_U32 = 0xFFFF_FFFF
_U64 = 0xFFFF_FFFF_FFFF_FFFF
#: the largest value of each unsigned type, by BER tag
UNSIGNED_MAX = {0x41: _U32, 0x42: _U32, 0x43: _U32, 0x46: _U64}
MAX_ARCS = 128  # RFC 2578 §3.5: at most 128 sub-identifiers, each at most 2**32 - 1
# one OID: sub-identifiers of at most 5 bytes (35 bits: no quadratic big-int growth), each ending
# in a byte < 0x80, none starting with the padding byte 0x80
_OID_SHAPE = re.compile(rb"(?:[\x81-\xff][\x80-\xff]{0,3}[\x00-\x7f]|[\x00-\x7f])+")


class DecodeError(ValueError):
    """Input that is not a well-formed SNMP v1/v2c message. ``reason`` is a short code."""

    def __init__(self, reason: str, offset: int = -1) -> None:
        self.reason = reason
        self.offset = offset
        super().__init__(f"{reason} at byte {offset}" if offset >= 0 else reason)


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """A fully decoded message. For GetBulk, ``error_status``/``error_index`` hold
    non-repeaters/max-repetitions, as on the wire."""

    version: int  #: 0 for SNMPv1, 1 for SNMPv2c
    community: bytes
    pdu: int  #: a ``Pdu`` tag
    request_id: int
    error_status: int
    error_index: int
    varbinds: tuple[tuple[str, SnmpValue], ...]


# ---------------------------------------------------------------- decoding


def _long_length(data: bytes, i: int, end: int) -> tuple[int, int]:
    """Long-form length whose first byte is at ``i``: (length, content start)."""
    k = data[i] & 0x7F
    if k == 0:
        raise DecodeError("indefinite_length", i)
    if k > 4:
        raise DecodeError("length_too_long", i)
    j = i + 1 + k
    if j > end:
        raise DecodeError("truncated", i)
    return int.from_bytes(data[i + 1:j], "big"), j


def _header(data: bytes, i: int, end: int, tag: int) -> tuple[int, int]:
    """Expect ``tag`` at ``i``: (content start, content end), both within ``end``."""
    if i + 2 > end:
        raise DecodeError("truncated", i)
    if data[i] != tag:
        raise DecodeError("unexpected_tag", i)
    n = data[i + 1]
    if n & 0x80:
        n, j = _long_length(data, i + 1, end)
    else:
        j = i + 2
    if j + n > end:
        raise DecodeError("truncated", i)
    return j, j + n


def _integer(data: bytes, i: int, end: int) -> tuple[int, int]:
    """An INTEGER in Integer32 range at ``i``: (value, next offset)."""
    j, k = _header(data, i, end, 0x02)
    if not 0 < k - j <= 9:
        raise DecodeError("bad_integer", i)
    v = int.from_bytes(data[j:k], "big", signed=True)
    if not -0x8000_0000 <= v <= 0x7FFF_FFFF:
        raise DecodeError("integer_range", i)
    return v, k


def parse_envelope(data: bytes) -> tuple[int, bytes, int, int, int]:
    """The outer layers: (version, community, pdu tag, pdu content start, pdu content end).

    The message must fill ``data`` exactly. Versions other than v1/v2c raise
    ``DecodeError("unsupported_version")`` before anything else of theirs is read. The PDU is
    only delimited here (any of 0xA0..0xA8, the v1 Trap included): ``parse_pdu`` reads it.
    """
    end = len(data)
    start, stop = _header(data, 0, end, 0x30)
    if stop != end:
        raise DecodeError("trailing_bytes", stop)
    version, i = _integer(data, start, end)
    if version not in (0, 1):
        raise DecodeError("unsupported_version", start)
    j, k = _header(data, i, end, 0x04)
    community = data[j:k]
    if k + 2 > end:
        raise DecodeError("truncated", k)
    tag = data[k]
    if tag not in _PDU_TAGS:
        raise DecodeError("unsupported_pdu", k)
    p, q = _header(data, k, end, tag)
    if q != end:
        raise DecodeError("trailing_bytes", q)
    return version, community, tag, p, q


def parse_pdu(data: bytes, start: int, end: int) -> tuple[int, int, int, int, int]:
    """A PDU's fields: (request-id, error-status, error-index, varbinds start, varbinds end)."""
    request_id, i = _integer(data, start, end)
    status, i = _integer(data, i, end)
    index, i = _integer(data, i, end)
    j, k = _header(data, i, end, 0x30)
    if k != end:
        raise DecodeError("trailing_bytes", k)
    return request_id, status, index, j, k


def parse_varbinds(data: bytes, i: int, end: int) -> list[tuple[bytes, SnmpValue]]:
    """The varbind list between ``i`` and ``end`` as (OID content octets, value).

    OIDs are returned raw so a caller can compare them as bytes; they are checked only for
    being non-empty here: ``decode_oid`` validates one fully.
    """
    return cast(list[tuple[bytes, SnmpValue]], _varbinds(data, i, end, (), (), False))


def parse_named_varbinds(data: bytes, i: int, end: int, names: Sequence[str],
                         oid_tlvs: Sequence[bytes]) -> list[tuple[str, SnmpValue]]:
    """The varbind list as (dotted OID, value), for a reply whose k-th OID is expected to be
    ``oid_tlvs[k]`` (the OID's whole TLV) named ``names[k]``, as in a GET response.

    An expected OID is recognised by a byte comparison in place; any other is decoded (and so
    validated). The pairs can go straight into a dict.
    """
    return cast(list[tuple[str, SnmpValue]], _varbinds(data, i, end, names, oid_tlvs, False))


def parse_expected_varbinds(data: bytes, i: int, end: int, names: Sequence[str],
                            oid_tlvs: Sequence[bytes]) -> list[tuple[str, SnmpValue]] | None:
    """As ``parse_named_varbinds``, for a reply expected to carry exactly the OIDs ``oid_tlvs``
    in that order (a walk whose layout is known from the previous poll): ``None`` as soon as
    one differs or the count does, without decoding it. Malformed input still raises."""
    return cast("list[tuple[str, SnmpValue]] | None", _varbinds(data, i, end, names, oid_tlvs, True))


def _varbinds(data: bytes, i: int, end: int, names: Sequence[str], oid_tlvs: Sequence[bytes],
              strict: bool) -> list[tuple[str | bytes, SnmpValue]] | None:
    # The hot loop of the client: TLV headers are read inline, not through _header, because a
    # call per TLV would cost about as much as everything else here; one-byte INTEGERs (states,
    # small numbers) are read without slicing.
    out: list[tuple[str | bytes, SnmpValue]] = []
    add = out.append
    from_bytes = int.from_bytes
    unsigned_max = UNSIGNED_MAX
    expected = len(oid_tlvs)
    pos = 0
    while i < end:
        # the varbind SEQUENCE
        if i + 2 > end:
            raise DecodeError("truncated", i)
        if data[i] != 0x30:
            raise DecodeError("unexpected_tag", i)
        n = data[i + 1]
        if n & 0x80:
            n, j = _long_length(data, i + 1, end)
        else:
            j = i + 2
        vb_end = j + n
        if vb_end > end:
            raise DecodeError("truncated", i)
        # its OID: the one asked for at this position, or any other
        key: str | bytes
        if pos < expected and data.startswith(tlv := oid_tlvs[pos], j):
            key = names[pos]
            oid_end = j + len(tlv)
            if oid_end > vb_end:
                raise DecodeError("truncated", j)
        else:
            if strict:
                return None
            if j + 2 > vb_end:
                raise DecodeError("truncated", j)
            if data[j] != 0x06:
                raise DecodeError("unexpected_tag", j)
            n = data[j + 1]
            if n & 0x80:
                n, k = _long_length(data, j + 1, vb_end)
            else:
                k = j + 2
            oid_end = k + n
            if n == 0 or oid_end > vb_end:
                raise DecodeError("bad_oid", j)
            key = decode_oid(data[k:oid_end]) if names else data[k:oid_end]
        pos += 1
        # its value, which must end the varbind exactly
        if oid_end + 2 > vb_end:
            raise DecodeError("truncated", oid_end)
        tag = data[oid_end]
        n = data[oid_end + 1]
        if n & 0x80:
            n, k = _long_length(data, oid_end + 1, vb_end)
        else:
            k = oid_end + 2
        if k + n != vb_end:
            raise DecodeError("truncated" if k + n > vb_end else "trailing_bytes", oid_end)
        if tag == 0x02:
            if n == 1:
                v = data[k]
                add((key, v - 0x100 if v & 0x80 else v))
            else:
                if not 0 < n <= 9:
                    raise DecodeError("bad_integer", oid_end)
                v = from_bytes(data[k:vb_end], "big", signed=True)
                if n > 4 and not -0x8000_0000 <= v <= 0x7FFF_FFFF:
                    raise DecodeError("integer_range", oid_end)
                add((key, v))
        elif tag == 0x04 or tag == 0x44:
            add((key, data[k:vb_end]))
        elif tag in unsigned_max:
            if n == 1 and not data[k] & 0x80:
                add((key, data[k]))
            else:
                if not 0 < n <= 9:
                    raise DecodeError("bad_integer", oid_end)
                v = from_bytes(data[k:vb_end], "big", signed=True)
                if not 0 <= v <= unsigned_max[tag]:
                    raise DecodeError("integer_range", oid_end)
                add((key, v))
        elif tag in EXCEPTIONS:
            if n:
                raise DecodeError("bad_exception", oid_end)
            add((key, EXCEPTIONS[tag]))
        elif tag == 0x40:
            if n != 4:
                raise DecodeError("bad_ip_address", oid_end)
            add((key, data[k:vb_end]))
        elif tag == 0x05:
            if n:
                raise DecodeError("bad_null", oid_end)
            add((key, None))
        elif tag == 0x06:
            add((key, decode_oid(data[k:vb_end])))
        else:
            raise DecodeError("unknown_type", oid_end)
        i = vb_end
    if strict and pos != expected:
        return None
    return out


def decode_oid_arcs(content: bytes) -> tuple[int, ...]:
    """The arcs of an OID from its content octets. ``DecodeError("bad_oid")`` if invalid."""
    if not content or _OID_SHAPE.fullmatch(content) is None:
        raise DecodeError("bad_oid")
    if max(content) < 0x80:  # every sub-identifier fits one byte: the common case, at C speed
        subids: list[int] | bytes = content
    else:
        subids = []
        v = 0
        for b in content:
            v = (v << 7) | (b & 0x7F)
            if b < 0x80:
                subids.append(v)
                v = 0
    first = subids[0]
    arcs = (first // 40, first % 40, *subids[1:]) if first < 80 else (2, first - 80, *subids[1:])
    if len(arcs) > MAX_ARCS or max(arcs) > _U32:
        raise DecodeError("bad_oid")
    return arcs


def decode_oid(content: bytes) -> str:
    """The dotted form (no leading dot) of an OID from its content octets."""
    return ".".join(map(str, decode_oid_arcs(content)))


def decode_message(data: bytes) -> Message:
    """Decode and validate a whole v1/v2c message (every OID included)."""
    version, community, pdu, start, end = parse_envelope(data)
    if pdu == _TRAP_V1:
        raise DecodeError("unsupported_pdu")
    request_id, status, index, i, j = parse_pdu(data, start, end)
    varbinds = tuple((decode_oid(o), v) for o, v in parse_varbinds(data, i, j))
    return Message(version=version, community=community, pdu=pdu, request_id=request_id,
                   error_status=status, error_index=index, varbinds=varbinds)
