"""Translate what pysnmp hands back into sitewatch terms: cheap values and classified errors.

pysnmp answers with pyasn1 objects, an ``errorIndication`` object and an integer error-status.
The rest of sitewatch wants ``SnmpValue`` (plain ``int`` / ``bytes`` / ``str`` / ``None`` /
``SnmpException``) and a ``PollError`` whose kind says what an operator should check. Keeping
the translation in one place keeps the client about the protocol exchange only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pysnmp.proto import errind, rfc1902, rfc1905
from pysnmp.proto.api import v2c

from sitewatch.core.errors import PollError
from sitewatch.core.model import PollErrorKind, SnmpException, SnmpValue

__all__ = [
    "STATUS_NO_SUCH_NAME",
    "STATUS_TOO_BIG",
    "indication_error",
    "is_too_big_indication",
    "status_name",
    "to_snmp_value",
]

#: RFC 3416 error-status values, by number.
_STATUS_NAMES = (
    "noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess", "wrongType",
    "wrongLength", "wrongEncoding", "wrongValue", "noCreation", "inconsistentValue",
    "resourceUnavailable", "commitFailed", "undoFailed", "authorizationError", "notWritable",
    "inconsistentName",
)
STATUS_TOO_BIG = 1
STATUS_NO_SUCH_NAME = 2


def status_name(status: int) -> str:
    """The RFC name of an error-status (``genErr``), or ``errorStatus=N`` for unknown numbers."""
    return _STATUS_NAMES[status] if 0 <= status < len(_STATUS_NAMES) else f"errorStatus={status}"


def _octets(v: Any) -> bytes:
    return bytes(v.asOctets())


def _integer(v: Any) -> int:
    return int(v)


def _oid(v: Any) -> str:
    return str(v)


def _null(v: Any) -> None:
    return None


def _exception(member: SnmpException) -> Callable[[Any], SnmpException]:
    return lambda v: member


# Dispatch on the BER tag: responses decoded with lookupMib=False carry the base rfc1902 classes,
# and the tag is what the wire said (Gauge32 and Unsigned32 share one).
_CONVERT: dict[Any, Callable[[Any], SnmpValue]] = {
    rfc1902.Integer32.tagSet: _integer,
    rfc1902.Counter32.tagSet: _integer,
    rfc1902.Gauge32.tagSet: _integer,
    rfc1902.TimeTicks.tagSet: _integer,
    rfc1902.Counter64.tagSet: _integer,
    rfc1902.OctetString.tagSet: _octets,
    rfc1902.IpAddress.tagSet: _octets,
    rfc1902.Opaque.tagSet: _octets,
    rfc1902.ObjectIdentifier.tagSet: _oid,
    v2c.Null.tagSet: _null,
    rfc1905.NoSuchObject.tagSet: _exception(SnmpException.NO_SUCH_OBJECT),
    rfc1905.NoSuchInstance.tagSet: _exception(SnmpException.NO_SUCH_INSTANCE),
    rfc1905.EndOfMibView.tagSet: _exception(SnmpException.END_OF_MIB_VIEW),
}


def to_snmp_value(value: Any, oid: str) -> SnmpValue:
    """Convert one pyasn1 varbind value; ``PollError(DECODE)`` for a type SNMP does not define."""
    convert = _CONVERT.get(value.tagSet)
    if convert is None:
        raise PollError(PollErrorKind.DECODE, f"unexpected value type {type(value).__name__} at {oid}")
    return convert(value)


_AUTH_INDICATIONS = (
    errind.WrongDigest, errind.UnknownUserName, errind.UnknownEngineID, errind.NotInTimeWindow,
    errind.DecryptionError, errind.EncryptionError, errind.AuthenticationError,
    errind.AuthenticationFailure, errind.UnknownSecurityName, errind.UnsupportedSecurityLevel,
    errind.UnsupportedSecurityModel, errind.UnsupportedAuthProtocol, errind.UnsupportedPrivProtocol,
    errind.UnknownCommunityName, errind.NoEncryption, errind.NoAuthentication,
    errind.EngineIDMismatch, errind.ReportPduReceived, errind.NoSuchView, errind.NoAccessEntry,
    errind.NoGroupName, errind.NoSuchContext, errind.NotInView,
)
_DECODE_INDICATIONS = (
    errind.ParseError, errind.DeserializationError, errind.SerializationError, errind.InvalidMsg,
    errind.EmptyResponse, errind.DataMismatch, errind.UnsupportedPDUtype, errind.OidNotIncreasing,
    errind.UnsupportedMsgProcessingModel,
)


def is_too_big_indication(indication: object) -> bool:
    """True when pysnmp refused to send or receive a message for its size."""
    return isinstance(indication, errind.TooBig)


def indication_error(indication: object, where: str, *, timeout_hint: str) -> PollError:
    """Classify a pysnmp ``errorIndication``.

    ``where`` names the agent (``host:port``); ``timeout_hint`` says what a silent agent may
    mean for this target's SNMP version. pysnmp's indication texts are fixed English phrases
    (``Wrong SNMP PDU digest``) and never carry message contents, so they are safe to show.
    """
    text = str(indication)
    if isinstance(indication, errind.RequestTimedOut):
        return PollError(PollErrorKind.TIMEOUT, f"{where}: no response ({timeout_hint})")
    if isinstance(indication, _AUTH_INDICATIONS):
        return PollError(PollErrorKind.AUTH, f"{where}: {text}")
    if isinstance(indication, _DECODE_INDICATIONS):
        return PollError(PollErrorKind.DECODE, f"{where}: {text}")
    return PollError(PollErrorKind.AGENT_ERROR, f"{where}: {text or type(indication).__name__}")
