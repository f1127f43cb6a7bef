"""The lean BER codec on hand-made bytes: every SMI type, the edge encodings, every refusal.

The vectors are written out byte by byte (X.690 and RFC 3416 layouts) so a bug shared by the
encoder and the decoder cannot hide; ``test_ber_pysnmp.py`` checks both against pysnmp.
"""

from __future__ import annotations

import contextlib
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitewatch.core.model import SnmpException
from sitewatch.snmp.ber import REQUEST_ID_RANGE, DecodeError, Pdu, Tag, decode_message, decode_oid
from sitewatch.snmp.ber_encode import build_request, encode_message, encode_oid, encode_value


def tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    length = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes(
        (n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + length + content


SYSDESCR = bytes.fromhex("2b06010201010100")  # 1.3.6.1.2.1.1.1.0


def response(varbind_list: bytes, *, version: int = 1, community: bytes = b"public", rid: bytes = b"\x01",
             pdu: int = 0xA2) -> bytes:
    """A Response message around raw varbind-list content (so tests can put anything inside)."""
    body = tlv(2, rid) + tlv(2, b"\x00") + tlv(2, b"\x00") + tlv(0x30, varbind_list)
    return tlv(0x30, tlv(2, bytes([version])) + tlv(4, community) + tlv(pdu, body))


def one(value_tlv: bytes, oid: bytes = SYSDESCR) -> bytes:
    return response(tlv(0x30, tlv(6, oid) + value_tlv))


@pytest.mark.parametrize(("value_tlv", "expected"), [
    (bytes.fromhex("020100"), 0),
    (bytes.fromhex("0201ff"), -1),
    (bytes.fromhex("0202ff7f"), -129),
    (bytes.fromhex("020480000000"), -2**31),
    (bytes.fromhex("02047fffffff"), 2**31 - 1),
    (bytes.fromhex("0205000000002a"), 42),  # non-minimal, accepted like net-snmp and pyasn1 do
    (bytes.fromhex("0403616263"), b"abc"),
    (bytes.fromhex("0400"), b""),
    (bytes.fromhex("0500"), None),
    (bytes.fromhex("06062b0601040100"), "1.3.6.1.4.1.0"),
    (bytes.fromhex("0407") + b"\x00eth0\x00\x00", b"\x00eth0\x00\x00"),
    (bytes.fromhex("40047f000001"), b"\x7f\x00\x00\x01"),
    (bytes.fromhex("410500ffffffff"), 2**32 - 1),
    (bytes.fromhex("420500ffffffff"), 4294967295),  # the Huawei 'unknown' sentinel as Gauge32
    (bytes.fromhex("4303010000"), 65536),
    (bytes.fromhex("440401020304"), b"\x01\x02\x03\x04"),
    (bytes.fromhex("460900ffffffffffffffff"), 2**64 - 1),
    (bytes.fromhex("460105"), 5),
    (bytes.fromhex("8000"), SnmpException.NO_SUCH_OBJECT),
    (bytes.fromhex("8100"), SnmpException.NO_SUCH_INSTANCE),
    (bytes.fromhex("8200"), SnmpException.END_OF_MIB_VIEW),
])
def test_each_smi_type_decodes_to_the_cheap_value(value_tlv: bytes, expected: object) -> None:
    msg = decode_message(one(value_tlv))
    assert msg.varbinds == (("1.3.6.1.2.1.1.1.0", expected),)
    assert type(msg.varbinds[0][1]) is type(expected)


def test_envelope_fields_and_long_form_lengths() -> None:
    big = b"x" * 300  # needs a two-byte long-form length at every level
    data = response(tlv(0x30, tlv(6, SYSDESCR) + tlv(4, big)), version=0, community=b"c0mm",
                    rid=(0x01234567).to_bytes(4, "big"))
    assert data[1] == 0x82  # the outer SEQUENCE itself uses the long form
    msg = decode_message(data)
    assert (msg.version, msg.community, msg.pdu, msg.request_id) == (0, b"c0mm", Pdu.RESPONSE, 0x01234567)
    assert msg.varbinds == (("1.3.6.1.2.1.1.1.0", big),)


def test_non_minimal_long_form_length_is_accepted() -> None:
    # 0x84 00 00 00 03: legal BER for a length of 3
    assert decode_message(one(b"\x04\x84\x00\x00\x00\x03abc")).varbinds[0][1] == b"abc"


@pytest.mark.parametrize(("oid", "content"), [
    ("1.3.6.1.4.1.4294967295", bytes.fromhex("2b06010401") + bytes.fromhex("8fffffff7f")),
    ("1.3.6.1.4.1.128", bytes.fromhex("2b060104018100")),
    ("2.999.3", bytes.fromhex("883703")),
    ("0.0", b"\x00"),
    ("1.39", b"\x4f"),
])
def test_oids_with_large_and_multi_byte_sub_identifiers(oid: str, content: bytes) -> None:
    assert encode_oid(oid) == content
    assert decode_oid(content) == oid
    assert encode_oid("." + oid) == content


@pytest.mark.parametrize("bad", ["", "1", "3.1", "1.40", "1.3.x", "1.3.-1", "1.3.4294967296",
                                 ".".join(["1"] * 129)])
def test_encode_oid_refuses_what_cannot_be_encoded(bad: str) -> None:
    with pytest.raises(ValueError):
        encode_oid(bad)


def test_encode_value_refuses_values_outside_their_type() -> None:
    for tag, value in [(Tag.INTEGER, 2**31), (Tag.COUNTER32, -1), (Tag.COUNTER64, 2**64),
                       (Tag.IP_ADDRESS, b"\x01\x02\x03"), (Tag.OCTET_STRING, 5)]:
        with pytest.raises(ValueError):
            encode_value(tag, value)


@pytest.mark.parametrize("pdu", [Pdu.GET, Pdu.GET_NEXT, Pdu.GET_BULK])
@pytest.mark.parametrize("rid", [REQUEST_ID_RANGE[0], 0x12345678, REQUEST_ID_RANGE[1]])
def test_request_template_equals_a_fully_encoded_request(pdu: Pdu, rid: int) -> None:
    oids = ["1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.2.2.1.8.4294967295", "1.3.6.1.2.1.33.1.2.1.0"] * 20
    template = build_request(1, b"c" * 200, pdu, [encode_oid(o) for o in oids], 0, 25)
    whole = encode_message(version=1, community=b"c" * 200, pdu=pdu, request_id=rid, error_status=0,
                           error_index=25, varbinds=[(o, Tag.NULL, None) for o in oids])
    assert template.render(rid) == whole
    assert len(template.prefix) + 4 + len(template.suffix) == len(whole)


def test_message_round_trip_with_every_type() -> None:
    varbinds = [("1.3.6.1.2.1.1.1.0", Tag.OCTET_STRING, b"Minuteman"), ("1.3.6.1.2.1.33.1.2.5.0", Tag.INTEGER, -412),
                ("1.3.6.1.2.1.1.2.0", Tag.OBJECT_IDENTIFIER, "1.3.6.1.4.1.2254.2.4"),
                ("1.3.6.1.2.1.4.20.1.1.127.0.0.1", Tag.IP_ADDRESS, b"\x7f\x00\x00\x01"),
                ("1.3.6.1.2.1.2.2.1.10.1", Tag.COUNTER32, 2**32 - 1), ("1.3.6.1.2.1.2.2.1.5.1", Tag.GAUGE32, 10**9),
                ("1.3.6.1.2.1.1.3.0", Tag.TIMETICKS, 123456), ("1.3.6.1.4.1.1.1", Tag.OPAQUE, b"\x9f\x78\x04"),
                ("1.3.6.1.2.1.31.1.1.1.6.1", Tag.COUNTER64, 2**64 - 1), ("1.3.6.1.2.1.33.1.2.6.0", Tag.NULL, None),
                ("1.3.6.1.2.1.99.0", Tag.NO_SUCH_OBJECT, None), ("1.3.6.1.2.1.1.1", Tag.NO_SUCH_INSTANCE, None),
                ("1.3.6.1.2.1.200", Tag.END_OF_MIB_VIEW, None)]
    data = encode_message(version=1, community=b"public", pdu=Pdu.RESPONSE, request_id=-7, varbinds=varbinds)
    msg = decode_message(data)
    assert msg.request_id == -7
    exceptions = {Tag.NO_SUCH_OBJECT: SnmpException.NO_SUCH_OBJECT,
                  Tag.NO_SUCH_INSTANCE: SnmpException.NO_SUCH_INSTANCE,
                  Tag.END_OF_MIB_VIEW: SnmpException.END_OF_MIB_VIEW}
    assert msg.varbinds == tuple((o, exceptions.get(t, v)) for o, t, v in varbinds)


VALID = one(bytes.fromhex("0403616263"))


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "truncated"),
    (VALID + b"\x00", "trailing_bytes"),
    (b"\x30\x80" + VALID[2:] + b"\x00\x00", "indefinite_length"),
    (b"\x30\x85\x00\x00\x00\x00" + bytes([len(VALID) - 2]) + VALID[2:], "length_too_long"),
    (response(b"", version=3), "unsupported_version"),
    (response(b"", pdu=0xA4), "unsupported_pdu"),
    (response(b"", pdu=0x30), "unsupported_pdu"),
    (one(bytes.fromhex("4003010203")), "bad_ip_address"),
    (one(bytes.fromhex("050100")), "bad_null"),
    (one(bytes.fromhex("800100")), "bad_exception"),
    (one(bytes.fromhex("0200")), "bad_integer"),
    (one(bytes.fromhex("02050080000000")), "integer_range"),
    (one(bytes.fromhex("4101ff")), "integer_range"),  # a negative Counter32
    (one(bytes.fromhex("4300")), "bad_integer"),
    (one(bytes.fromhex("460a01ffffffffffffffffff")), "bad_integer"),
    (one(bytes.fromhex("4700")), "unknown_type"),
    (one(bytes.fromhex("2403040161")), "unknown_type"),  # constructed OCTET STRING: not in SNMP
    (one(bytes.fromhex("0500"), oid=b""), "bad_oid"),
    (one(bytes.fromhex("0500"), oid=b"\x2b\x80\x01"), "bad_oid"),  # padded sub-identifier
    (one(bytes.fromhex("0500"), oid=b"\x2b\x86"), "bad_oid"),  # unterminated
    (one(bytes.fromhex("0500"), oid=b"\x2b\x90\x80\x80\x80\x00"), "bad_oid"),  # 2**32: too large
    (one(bytes.fromhex("0500"), oid=b"\x2b" + b"\x01" * 127), "bad_oid"),  # 129 arcs
    (response(tlv(0x30, tlv(6, SYSDESCR) + b"\x05\x00\x05\x00")), "trailing_bytes"),
    (response(tlv(0x31, tlv(6, SYSDESCR) + b"\x05\x00")), "unexpected_tag"),
    (response(tlv(0x30, tlv(4, SYSDESCR) + b"\x05\x00")), "unexpected_tag"),
])
def test_malformed_input_raises_decode_error_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as e:
        decode_message(data)
    assert e.value.reason == reason
    assert isinstance(e.value, ValueError)


def test_every_truncation_of_a_valid_message_is_refused() -> None:
    data = encode_message(version=1, community=b"public", pdu=Pdu.RESPONSE, request_id=99, varbinds=[
        ("1.3.6.1.2.1.1.1.0", Tag.OCTET_STRING, b"x" * 200), ("1.3.6.1.2.1.1.3.0", Tag.TIMETICKS, 5),
        ("1.3.6.1.2.1.31.1.1.1.6.1", Tag.COUNTER64, 2**40)])
    for cut in range(len(data)):
        with pytest.raises(DecodeError):
            decode_message(data[:cut])


def test_huge_sub_identifier_is_refused_quickly() -> None:
    # 60,000 continuation bytes would make a naive decoder build a 420,000-bit integer byte by byte
    data = one(bytes.fromhex("0500"), oid=b"\x2b" + b"\xff" * 60_000 + b"\x01")
    started = time.process_time()
    with pytest.raises(DecodeError):
        decode_message(data)
    assert time.process_time() - started < 0.5


_SAMPLE = encode_message(version=1, community=b"public", pdu=Pdu.RESPONSE, request_id=0x00ABCDEF, varbinds=[
    ("1.3.6.1.2.1.1.1.0", Tag.OCTET_STRING, b"UPS"), ("1.3.6.1.2.1.33.1.2.5.0", Tag.INTEGER, -412),
    ("1.3.6.1.2.1.1.2.0", Tag.OBJECT_IDENTIFIER, "1.3.6.1.4.1.2254.2.4"),
    ("1.3.6.1.2.1.4.20.1.1.10.0.0.1", Tag.IP_ADDRESS, b"\x0a\x00\x00\x01"),
    ("1.3.6.1.2.1.31.1.1.1.6.1", Tag.COUNTER64, 2**63), ("1.3.6.1.2.1.99.0", Tag.NO_SUCH_OBJECT, None)])


def _decodes_or_refuses(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        decode_message(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_random_bytes_only_decode_error(data: bytes) -> None:
    _decodes_or_refuses(data)
    _decodes_or_refuses(b"\x30" + bytes([len(data)]) + data if len(data) < 128 else data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(_SAMPLE) - 1), st.integers(0, 255), st.sampled_from("rid")),
                min_size=1, max_size=6))
def test_fuzz_mutated_valid_messages_only_decode_error(edits: list[tuple[int, int, str]]) -> None:
    data = bytearray(_SAMPLE)
    for pos, byte, how in edits:
        pos = min(pos, len(data) - 1) if data else 0
        if how == "r" and data:
            data[pos] = byte
        elif how == "i":
            data.insert(pos, byte)
        elif data:
            del data[pos]
    _decodes_or_refuses(bytes(data))
