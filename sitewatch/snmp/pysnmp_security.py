"""SNMP security for the pysnmp client: per-site communities without quadratic start-up, and USM.

Why the community index: pysnmp's v1/v2c security model (``pysnmp/proto/secmod/rfc2576.py``)
maps securityName -> community for every request and community -> securityName for every
response by walking the *whole* SNMP-COMMUNITY-MIB table (and the target tables) again
whenever any row changed. Every new ``CommunityData`` adds a row, so the first poll of N sites
with per-site communities costs O(N²): measured here, +44 CPU-s for 1000 communities. The
models below answer both lookups from dicts that ``CommunityRegistry`` fills as it registers
each community, and fall back to pysnmp's own walk only for rows they did not register.

Why the direct USM lookup: pysnmp's USM model maps (engine ID, securityName) -> userName the
same way, rebuilding a map of the whole usmUserTable after any change, and it adds a row for
every agent engine it discovers: a v3 fleet of N devices walks ~N²/2 rows (measured here: one
rebuild at 1000 rows costs 14 ms). ``install_direct_usm`` reads the one row instead.

Why the protocol table: it maps pysnmp's protocol identifiers to the names used in the config
(``sha256``, ``aes256``). net-snmp's ``AES-192``/``AES-256`` (and most agents built on it)
localise the longer keys the Blumenthal draft way, checked against snmpd 5.9.3 here: with
SHA-1 keys only pysnmp's ``usmAesBlumenthalCfb192/256`` protocols get an answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pysnmp.entity.engine import SnmpEngine
from pysnmp.proto.secmod.rfc2576 import SnmpV1SecurityModel, SnmpV2cSecurityModel
from pysnmp.proto.secmod.rfc3414.service import SnmpUSMSecurityModel

from sitewatch.core.errors import PollError
from sitewatch.core.model import PollErrorKind
from sitewatch.snmp import pysnmp_hlapi as hlapi
from sitewatch.snmp.client import UsmAuth

__all__ = ["AUTH_PROTOCOLS", "PRIV_PROTOCOLS", "CommunityRegistry", "install_direct_usm", "usm_fingerprint",
           "usm_user_data"]

AUTH_PROTOCOLS: dict[str, Any] = {
    "md5": hlapi.USM_AUTH_HMAC96_MD5,
    "sha": hlapi.USM_AUTH_HMAC96_SHA,
    "sha224": hlapi.USM_AUTH_HMAC128_SHA224,
    "sha256": hlapi.USM_AUTH_HMAC192_SHA256,
    "sha384": hlapi.USM_AUTH_HMAC256_SHA384,
    "sha512": hlapi.USM_AUTH_HMAC384_SHA512,
}
PRIV_PROTOCOLS: dict[str, Any] = {
    "des": hlapi.USM_PRIV_CBC56_DES,
    "aes": hlapi.USM_PRIV_CFB128_AES,
    "aes192": hlapi.USM_PRIV_CFB192_AES_BLUMENTHAL,
    "aes256": hlapi.USM_PRIV_CFB256_AES_BLUMENTHAL,
}
#: RFC 3414 §11.2: pass phrases shorter than this are refused (pysnmp would fail later, less clearly).
_MIN_PASSPHRASE = 8


def usm_user_data(usm: UsmAuth) -> hlapi.UsmUserData:
    """The pysnmp USM user for ``usm``. Unknown protocols or short keys raise ``PollError(AUTH)``."""
    auth = priv = None
    if usm.auth_protocol is not None:
        auth = AUTH_PROTOCOLS.get(usm.auth_protocol.lower())
        if auth is None:
            raise PollError(PollErrorKind.AUTH, f"unsupported SNMPv3 auth protocol {usm.auth_protocol!r}")
        if len(usm.auth_key or "") < _MIN_PASSPHRASE:
            raise PollError(PollErrorKind.AUTH, f"SNMPv3 auth key shorter than {_MIN_PASSPHRASE} characters")
    if usm.priv_protocol is not None:
        priv = PRIV_PROTOCOLS.get(usm.priv_protocol.lower())
        if priv is None:
            raise PollError(PollErrorKind.AUTH, f"unsupported SNMPv3 privacy protocol {usm.priv_protocol!r}")
        if auth is None:
            raise PollError(PollErrorKind.AUTH, "SNMPv3 privacy needs an auth protocol")
        if len(usm.priv_key or "") < _MIN_PASSPHRASE:
            raise PollError(PollErrorKind.AUTH, f"SNMPv3 privacy key shorter than {_MIN_PASSPHRASE} characters")
    return hlapi.UsmUserData(
        usm.username,
        authKey=usm.auth_key if auth is not None else None,
        privKey=usm.priv_key if priv is not None else None,
        authProtocol=auth,
        privProtocol=priv,
    )


def usm_fingerprint(usm: UsmAuth) -> tuple[str | None, ...]:
    """What must match for two targets to share one pysnmp USM user entry.

    pysnmp keeps one key set per user name and engine, so the same user name with other keys
    (per-region passwords) needs an engine of its own (see ``PysnmpClient``).
    """
    return (usm.auth_protocol, usm.auth_key, usm.priv_protocol, usm.priv_key)


@dataclass(frozen=True, slots=True)
class _Row:
    community: Any  #: as SNMP-COMMUNITY-MIB types it (what pysnmp's own lookup returns)
    security: tuple[Any, Any, Any]  #: (securityName, contextEngineId, contextName)


class _IndexedV1SecurityModel(SnmpV1SecurityModel):  # type: ignore[misc]
    """pysnmp's SNMPv1 model with the community lookups answered from ``CommunityRegistry``."""

    def __init__(self, registry: CommunityRegistry) -> None:
        super().__init__()
        self._registry = registry

    def _sec2com(self, snmpEngine: Any, securityName: Any, contextEngineId: Any, contextName: Any) -> Any:
        row = self._registry.by_security_name(self.SECURITY_MODEL_ID, securityName)
        if row is None:
            return super()._sec2com(snmpEngine, securityName, contextEngineId, contextName)
        return row.community

    def _com2sec(self, snmpEngine: Any, communityName: Any, transportInformation: Any) -> Any:
        row = self._registry.by_community(self.SECURITY_MODEL_ID, communityName)
        if row is None:
            return super()._com2sec(snmpEngine, communityName, transportInformation)
        return row.security


class _IndexedV2cSecurityModel(_IndexedV1SecurityModel):
    SECURITY_MODEL_ID = SnmpV2cSecurityModel.SECURITY_MODEL_ID


class CommunityRegistry:
    """One ``CommunityData`` per (community, SNMP version) on one engine, found in O(1).

    Installing the registry replaces the engine's v1 and v2c security models with indexed ones.
    Security names are generated (``sw1-v2c``...) so they never contain the community.
    """

    def __init__(self, engine: SnmpEngine) -> None:
        self._engine = engine
        self._data: dict[tuple[bytes, int], hlapi.CommunityData] = {}
        self._by_name: dict[tuple[int, bytes], _Row] = {}
        self._by_community: dict[tuple[int, bytes], _Row] = {}
        builder = engine.get_mib_builder()
        self._name_col, self._secname_col, self._ctxname_col = builder.import_symbols(
            "SNMP-COMMUNITY-MIB", "snmpCommunityName", "snmpCommunitySecurityName", "snmpCommunityContextName")
        (self._engine_id,) = builder.import_symbols("__SNMP-FRAMEWORK-MIB", "snmpEngineID")
        engine.security_models[1] = _IndexedV1SecurityModel(self)
        engine.security_models[2] = _IndexedV2cSecurityModel(self)

    def __len__(self) -> int:
        return len(self._data)

    def community_data(self, community: bytes, mp_model: int) -> hlapi.CommunityData:
        """The ``CommunityData`` to hand to pysnmp for ``community`` (mp_model 0 = v1, 1 = v2c)."""
        key = (community, mp_model)
        data = self._data.get(key)
        if data is None:
            index = f"sw{len(self._data) + 1}-{'v1' if mp_model == 0 else 'v2c'}"
            data = hlapi.CommunityData(index, community, mpModel=mp_model)
            # Same values and types pysnmp's table walk would return: its response check
            # compares them with the request's securityName and context.
            row = _Row(
                community=self._name_col.syntax.clone(community),
                security=(self._secname_col.syntax.clone(index), self._engine_id.syntax,
                          self._ctxname_col.syntax.clone(b"")),
            )
            model = mp_model + 1
            self._by_name[(model, index.encode())] = row
            self._by_community[(model, community)] = row
            self._data[key] = data
        return data

    def by_security_name(self, model: int, security_name: Any) -> _Row | None:
        return self._by_name.get((model, _octets(security_name)))

    def by_community(self, model: int, community: Any) -> _Row | None:
        return self._by_community.get((model, _octets(community)))


def _octets(value: Any) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


class _DirectUsmSecurityModel(SnmpUSMSecurityModel):  # type: ignore[misc]
    """pysnmp's USM with securityName -> userName read from the one row that can hold it.

    Rows are indexed by (engine ID, securityName) when added, and discovery clones them under
    the user name; hlapi users have securityName == userName, so the row found by index is the
    row the stock table walk would pick. A row whose securityName differs (not one of ours)
    goes to the stock walk.
    """

    def _SnmpUSMSecurityModel__sec2usr(self, snmpEngine: Any, securityName: Any, securityEngineID: Any = None
                                       ) -> Any:
        builder = snmpEngine.get_mib_builder()
        entry, user_name, security_name = builder.import_symbols(
            "SNMP-USER-BASED-SM-MIB", "usmUserEntry", "usmUserName", "usmUserSecurityName")
        engine_id = securityEngineID
        if engine_id is None:
            (local_engine_id,) = builder.import_symbols("__SNMP-FRAMEWORK-MIB", "snmpEngineID")
            engine_id = local_engine_id.syntax
        instance = entry.getInstIdFromIndices(engine_id, securityName)
        row_security_name = security_name.getNode(security_name.name + instance).syntax  # NoSuchInstanceError: none
        if row_security_name != securityName:
            return SnmpUSMSecurityModel._SnmpUSMSecurityModel__sec2usr(self, snmpEngine, securityName, securityEngineID)
        return user_name.getNode(user_name.name + instance).syntax


def install_direct_usm(engine: SnmpEngine) -> None:
    """Replace ``engine``'s USM model (before any SNMPv3 traffic) with the direct-lookup one."""
    engine.security_models[SnmpUSMSecurityModel.SECURITY_MODEL_ID] = _DirectUsmSecurityModel()
