"""The decoder's paths for answers whose OIDs are known in advance (GET answers, and walk answers
laid out as the previous poll's), checked against the full decoder on random messages."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitewatch.core.model import SnmpException, SnmpValue
from sitewatch.snmp.ber import (
    DecodeError,
    Pdu,
    Tag,
    decode_message,
    parse_envelope,
    parse_expected_varbinds,
    parse_named_varbinds,
    parse_pdu,
)
from sitewatch.snmp.ber_encode import encode_message, encode_oid, encode_oid_tlv, oid_tlv

oids = st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=12).map(
    lambda arcs: "1.3.6." + ".".join(map(str, arcs)))
values: st.SearchStrategy[tuple[int, SnmpValue]] = st.one_of(
    st.integers(-2**31, 2**31 - 1).map(lambda v: (Tag.INTEGER, v)),
    st.binary(max_size=300).map(lambda v: (Tag.OCTET_STRING, v)),
    st.integers(0, 2**32 - 1).map(lambda v: (Tag.GAUGE32, v)),
    st.integers(0, 2**32 - 1).map(lambda v: (Tag.TIMETICKS, v)),
    st.integers(0, 2**64 - 1).map(lambda v: (Tag.COUNTER64, v)),
    oids.map(lambda v: (Tag.OBJECT_IDENTIFIER, v)),
    st.sampled_from([(Tag.NULL, None), (Tag.END_OF_MIB_VIEW, SnmpException.END_OF_MIB_VIEW),
                     (Tag.NO_SUCH_INSTANCE, SnmpException.NO_SUCH_INSTANCE)]),
)
varbind_lists = st.lists(st.tuples(oids, values), min_size=1, max_size=40)


def message(varbinds: list[tuple[str, tuple[int, SnmpValue]]]) -> bytes:
    return encode_message(version=1, community=b"public", pdu=Pdu.RESPONSE, request_id=0x00ABCDEF,
                          varbinds=[(o, t, v) for o, (t, v) in varbinds])


def varbind_range(data: bytes) -> tuple[int, int]:
    _, _, _, start, end = parse_envelope(data)
    _, _, _, i, j = parse_pdu(data, start, end)
    return i, j


@settings(max_examples=200, deadline=None)
@given(varbind_lists)
def test_an_answer_laid_out_as_expected_decodes_as_the_full_decoder_does(vbs: list[tuple[str, tuple[int, SnmpValue]]]
                                                                          ) -> None:
    data = message(vbs)
    i, j = varbind_range(data)
    names = [o for o, _ in vbs]
    tlvs = [encode_oid_tlv(o) for o in names]
    full = list(decode_message(data).varbinds)
    assert parse_named_varbinds(data, i, j, names, tlvs) == full
    got = parse_expected_varbinds(data, i, j, names, tlvs)
    assert got == full
    assert got is not None and all(k is n for (k, _), n in zip(got, names, strict=True))  # no OID decoded


@settings(max_examples=200, deadline=None)
@given(varbind_lists, st.data())
def test_an_answer_laid_out_otherwise_is_not_taken_for_the_expected_one(
        vbs: list[tuple[str, tuple[int, SnmpValue]]], data_: st.DataObject) -> None:
    data = message(vbs)
    i, j = varbind_range(data)
    names = [o for o, _ in vbs]
    how = data_.draw(st.sampled_from(["other_oid", "one_more", "one_less"]))
    if how == "other_oid":
        k = data_.draw(st.integers(0, len(names) - 1))
        names[k] = names[k] + ".0"
    elif how == "one_more":
        names.append("1.3.6.1.2.1.1.1.0")
    else:
        names.pop()
    tlvs = [oid_tlv(encode_oid(o)) for o in names]
    assert parse_expected_varbinds(data, i, j, names, tlvs) is None
    if names:  # the named decoder decodes what it did not expect: the full decoder's answer all the same
        assert parse_named_varbinds(data, i, j, names, tlvs) == list(decode_message(data).varbinds)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(varbind_lists, st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), min_size=1, max_size=4))
def test_mutated_answers_give_a_decode_error_or_a_well_formed_result(
        vbs: list[tuple[str, tuple[int, SnmpValue]]], edits: list[tuple[int, int]]) -> None:
    good = message(vbs)
    names = [o for o, _ in vbs]
    tlvs = [encode_oid_tlv(o) for o in names]
    data = bytearray(good)
    for pos, byte in edits:
        data[pos % len(data)] = byte
    with contextlib.suppress(DecodeError):
        i, j = varbind_range(bytes(data))
        for parse in (parse_named_varbinds, parse_expected_varbinds):
            got = parse(bytes(data), i, j, names, tlvs)
            assert got is None or all(isinstance(k, str) for k, _ in got)
