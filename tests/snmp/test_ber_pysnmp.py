"""pysnmp/pyasn1 is the reference: random varbind lists must mean the same to both codecs.

pysnmp-encoded responses decode with the lean codec to the same values; lean-encoded requests
and responses decode with pyasn1 to what was asked.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pyasn1.type import univ
from pysnmp.proto.api import v1, v2c

from sitewatch.core.model import SnmpException, SnmpValue
from sitewatch.snmp.ber import Pdu, Tag, decode_message
from sitewatch.snmp.ber_encode import build_request, encode_message, encode_oid

U32 = st.integers(0, 2**32 - 1)
ARC = st.one_of(st.integers(0, 200), U32)
OID = st.builds(lambda head, rest: (*head, *rest),
                st.one_of(st.tuples(st.integers(0, 1), st.integers(0, 39)),
                          st.tuples(st.just(2), st.integers(0, 2**32 - 81))),
                st.lists(ARC, max_size=30))
COMMUNITY = st.binary(max_size=40)
EXCEPTIONS = [(v2c.NoSuchObject, SnmpException.NO_SUCH_OBJECT, Tag.NO_SUCH_OBJECT),
              (v2c.NoSuchInstance, SnmpException.NO_SUCH_INSTANCE, Tag.NO_SUCH_INSTANCE),
              (v2c.EndOfMibView, SnmpException.END_OF_MIB_VIEW, Tag.END_OF_MIB_VIEW)]


def dotted(oid: tuple[int, ...]) -> str:
    return ".".join(map(str, oid))


def typed(api: Any, *, v2: bool) -> st.SearchStrategy[tuple[Any, SnmpValue, int]]:
    """(pysnmp value, the lean value expected, BER tag) for every SMI type the version allows."""
    kinds = [
        st.integers(-2**31, 2**31 - 1).map(lambda v: (api.Integer(v), v, Tag.INTEGER)),
        st.binary(max_size=300).map(lambda b: (api.OctetString(b), b, Tag.OCTET_STRING)),
        st.just((api.Null(""), None, Tag.NULL)),
        OID.map(lambda o: (api.ObjectIdentifier(o), dotted(o), Tag.OBJECT_IDENTIFIER)),
        st.binary(min_size=4, max_size=4).map(lambda b: (api.IpAddress(b), b, Tag.IP_ADDRESS)),
        U32.map(lambda v: (api.Counter(v) if not v2 else api.Counter32(v), v, Tag.COUNTER32)),
        U32.map(lambda v: (api.Gauge(v) if not v2 else api.Gauge32(v), v, Tag.GAUGE32)),
        U32.map(lambda v: (api.TimeTicks(v), v, Tag.TIMETICKS)),
        st.binary(max_size=40).map(lambda b: (api.Opaque(b), b, Tag.OPAQUE)),
    ]
    if v2:
        kinds.append(st.integers(0, 2**64 - 1).map(lambda v: (api.Counter64(v), v, Tag.COUNTER64)))
        kinds.append(st.sampled_from(EXCEPTIONS).map(lambda e: (e[0](""), e[1], e[2])))
    return st.one_of(kinds)


def plain(value: Any) -> SnmpValue:
    """A pysnmp value as the lean codec's ``SnmpValue``."""
    for cls, exc, _ in EXCEPTIONS:
        if isinstance(value, cls):
            return exc
    if isinstance(value, univ.Null):
        return None
    if isinstance(value, univ.ObjectIdentifier):
        return str(value)
    if isinstance(value, univ.OctetString):
        return bytes(value)
    return int(value)


def pysnmp_response(api: Any, version_community: tuple[int, bytes], request_id: int,
                    varbinds: list[tuple[tuple[int, ...], Any]]) -> bytes:
    msg = api.Message()
    api.apiMessage.set_defaults(msg)
    api.apiMessage.set_community(msg, version_community[1])
    pdu = api.GetResponsePDU()
    api.apiPDU.set_defaults(pdu)
    api.apiPDU.set_request_id(pdu, request_id)
    api.apiPDU.set_varbinds(pdu, varbinds)
    api.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


@settings(max_examples=200, deadline=None)
@given(COMMUNITY, st.integers(-2**31, 2**31 - 1), st.lists(st.tuples(OID, typed(v2c, v2=True)), max_size=40))
def test_pysnmp_v2c_responses_decode_to_the_same_values(community: bytes, rid: int,
                                                        vbs: list[tuple[tuple[int, ...], Any]]) -> None:
    data = pysnmp_response(v2c, (1, community), rid, [(oid, t[0]) for oid, t in vbs])
    msg = decode_message(data)
    assert (msg.version, msg.community, msg.pdu, msg.request_id) == (1, community, Pdu.RESPONSE, rid)
    assert msg.varbinds == tuple((dotted(oid), t[1]) for oid, t in vbs)


@settings(max_examples=150, deadline=None)
@given(COMMUNITY, st.integers(0, 2**31 - 1), st.lists(st.tuples(OID, typed(v1, v2=False)), max_size=40))
def test_pysnmp_v1_responses_decode_to_the_same_values(community: bytes, rid: int,
                                                       vbs: list[tuple[tuple[int, ...], Any]]) -> None:
    data = pysnmp_response(v1, (0, community), rid, [(oid, t[0]) for oid, t in vbs])
    msg = decode_message(data)
    assert (msg.version, msg.community, msg.request_id) == (0, community, rid)
    assert msg.varbinds == tuple((dotted(oid), t[1]) for oid, t in vbs)


def pyasn1_decode(data: bytes) -> tuple[int, bytes, Any]:
    msg, rest = decoder.decode(data, asn1Spec=v2c.Message())
    assert rest == b""
    return int(msg["version"]), bytes(v2c.apiMessage.get_community(msg)), v2c.apiMessage.get_pdu(msg)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([0, 1]), COMMUNITY, st.sampled_from([Pdu.GET, Pdu.GET_NEXT, Pdu.GET_BULK]),
       st.integers(0x0080_0000, 0x7FFF_FFFF), st.integers(0, 10), st.integers(0, 100),
       st.lists(OID, min_size=1, max_size=40))
def test_lean_requests_decode_with_pyasn1_to_what_was_asked(version: int, community: bytes, pdu: Pdu, rid: int,
                                                           non_repeaters: int, max_repetitions: int,
                                                           oids: list[tuple[int, ...]]) -> None:
    template = build_request(version, community, pdu, [encode_oid(dotted(o)) for o in oids],
                             non_repeaters, max_repetitions)
    got_version, got_community, got = pyasn1_decode(template.render(rid))
    assert (got_version, got_community) == (version, community)
    expected_type = {Pdu.GET: v2c.GetRequestPDU, Pdu.GET_NEXT: v2c.GetNextRequestPDU,
                     Pdu.GET_BULK: v2c.GetBulkRequestPDU}[pdu]
    assert got.tagSet == expected_type.tagSet
    assert int(v2c.apiPDU.get_request_id(got)) == rid
    if pdu == Pdu.GET_BULK:
        assert int(v2c.apiBulkPDU.get_non_repeaters(got)) == non_repeaters
        assert int(v2c.apiBulkPDU.get_max_repetitions(got)) == max_repetitions
    varbinds = v2c.apiPDU.get_varbinds(got)
    assert [tuple(o) for o, _ in varbinds] == oids
    assert all(plain(v) is None for _, v in varbinds)


@settings(max_examples=200, deadline=None)
@given(COMMUNITY, st.integers(-2**31, 2**31 - 1), st.lists(st.tuples(OID, typed(v2c, v2=True)), max_size=40))
def test_lean_responses_decode_with_pyasn1_to_the_same_values(community: bytes, rid: int,
                                                              vbs: list[tuple[tuple[int, ...], Any]]) -> None:
    data = encode_message(version=1, community=community, pdu=Pdu.RESPONSE, request_id=rid,
                          varbinds=[(dotted(oid), t[2], t[1]) for oid, t in vbs])
    # not compared byte for byte: pyasn1 encodes e.g. -128 in two bytes (02 02 ff 80), the lean
    # codec in the one X.690 asks for (02 01 80); both decode to the same value
    _, _, pdu = pyasn1_decode(data)
    got = v2c.apiPDU.get_varbinds(pdu)
    assert [(tuple(o), plain(v)) for o, v in got] == [(oid, t[1]) for oid, t in vbs]
