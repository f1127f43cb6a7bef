"""pysnmp security models that decide, per datagram, which site a notification is from.

pysnmp checks credentials before any application sees a message, against its own community
and user tables, and says nothing about why it dropped one. We replace its v1/v2c and USM
models on the receiver's engine with subclasses that consult ``TrapSources`` for the datagram
being processed (pysnmp handles each datagram synchronously, so ``Screen.current`` is it):

- v1/v2c: the community is checked against the sites at the source address (``_com2sec`` is
  pysnmp's community → security-name lookup); the outcome is recorded on the datagram.
- USM: the user must belong to a site at the source address; its keys are installed in
  pysnmp's user table for the message's authoritative engine id just before pysnmp verifies
  the digest. For informs that is our own engine id. For traps it is the sender's: keys are
  localised to the engine id the message claims and the digest proves the sender holds the
  password, so no engine ids need configuring. A spoofer could make us install keys for many
  made-up engine ids, so at most ``max_engine_ids`` per source address are accepted.
  Engine discovery and time synchronisation (RFC 3414 §4) are answered and not counted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final

from pyasn1.codec.ber import decoder
from pyasn1.error import PyAsn1Error
from pysnmp.entity import config
from pysnmp.entity.engine import SnmpEngine
from pysnmp.proto import errind, error
from pysnmp.proto.secmod.rfc2576 import SnmpV1SecurityModel, SnmpV2cSecurityModel
from pysnmp.proto.secmod.rfc3414.service import SnmpUSMSecurityModel, UsmSecurityParameters

from sitewatch.snmp.client import UsmAuth
from sitewatch.snmp.pysnmp_security import AUTH_PROTOCOLS, PRIV_PROTOCOLS, usm_fingerprint
from sitewatch.traps.sources import TrapSources

__all__ = ["IGNORED", "Datagram", "Screen", "install_security"]

log = logging.getLogger(__name__)

#: outcome of protocol traffic that is not a notification (v3 discovery, time sync): not counted
IGNORED: Final = "ignored"
_LEVELS = {"noAuthNoPriv": 1, "authNoPriv": 2, "authPriv": 3}


@dataclass(slots=True)
class Datagram:
    """The datagram being processed, and what was decided about it."""

    address: str  #: source IP, normalised
    port: int
    received_at: float
    site_id: str | None = None
    outcome: str | None = None  #: a ``TrapReceiver.counts`` key, IGNORED, or None (malformed)


def _level(usm: UsmAuth) -> int:
    if usm.priv_protocol is not None:
        return 3
    return 2 if usm.auth_protocol is not None else 1


class Screen:
    """State shared by the receiver and its security models."""

    def __init__(self, sources: TrapSources, *, max_engine_ids: int = 4) -> None:
        self.sources = sources
        self.current: Datagram | None = None
        self.max_engine_ids = max_engine_ids
        self._installed: dict[tuple[bytes, str], tuple[str | None, ...]] = {}
        self._engines_by_address: dict[str, set[bytes]] = {}
        self._masters: dict[tuple[str | None, ...], tuple[Any, Any]] = {}
        self._warned: set[str] = set()

    def reset_keys(self, engine: SnmpEngine) -> None:
        """Forget every installed user (after a reload, keys may have changed)."""
        for engine_id, user in self._installed:
            config.delete_v3_user(engine, user, securityEngineId=engine_id)
        self._installed.clear()
        self._engines_by_address.clear()

    def install_user(self, engine: SnmpEngine, own_engine_id: bytes, address: str, engine_id: bytes,
                     usm: UsmAuth) -> bool:
        """Make pysnmp hold ``usm``'s keys for ``engine_id``. False when refused (too many
        engine ids from this address)."""
        if engine_id != own_engine_id:
            seen = self._engines_by_address.setdefault(address, set())
            if engine_id not in seen:
                if len(seen) >= self.max_engine_ids:
                    if address not in self._warned:
                        self._warned.add(address)
                        log.warning("SNMPv3 traps from %s: more than %d engine ids, further ones are refused",
                                    address, self.max_engine_ids)
                    return False
                seen.add(engine_id)
        key = (engine_id, usm.username)
        fingerprint = usm_fingerprint(usm)
        if self._installed.get(key) == fingerprint:
            return True
        auth = AUTH_PROTOCOLS.get(usm.auth_protocol or "", config.USM_AUTH_NONE)
        priv = PRIV_PROTOCOLS.get(usm.priv_protocol or "", config.USM_PRIV_NONE)
        masters = self._masters.get(fingerprint)
        if masters is None:
            # The 1 MB pass-phrase hash (RFC 3414 A.2) is done once per credential; each engine
            # id then only localises the master keys.
            services = SnmpUSMSecurityModel
            masters = (
                services.AUTH_SERVICES[auth].hash_passphrase((usm.auth_key or "").encode()) if usm.auth_key else None,
                services.PRIV_SERVICES[priv].hash_passphrase(auth, (usm.priv_key or "").encode())
                if usm.priv_key else None,
            )
            self._masters[fingerprint] = masters
        config.add_v3_user(engine, usm.username, auth, masters[0], priv, masters[1], securityEngineId=engine_id,
                           authKeyType=config.USM_KEY_TYPE_MASTER, privKeyType=config.USM_KEY_TYPE_MASTER)
        self._installed[key] = fingerprint
        return True


class _SiteCommunityV1(SnmpV1SecurityModel):  # type: ignore[misc]
    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self._screen = screen
        self._security: tuple[Any, Any, Any] | None = None

    def _com2sec(self, snmpEngine: Any, communityName: Any, transportInformation: Any) -> Any:
        d = self._screen.current
        if d is None:
            raise error.StatusInformation(errorIndication=errind.unknownCommunityName)
        site, result = self._screen.sources.site_for_community(d.address, bytes(communityName))
        if site is None:
            d.outcome = result
            raise error.StatusInformation(errorIndication=errind.unknownCommunityName)
        d.site_id = site
        if self._security is None:
            builder = snmpEngine.get_mib_builder()
            name_col, ctx_col = builder.import_symbols(
                "SNMP-COMMUNITY-MIB", "snmpCommunitySecurityName", "snmpCommunityContextName")
            (engine_id,) = builder.import_symbols("__SNMP-FRAMEWORK-MIB", "snmpEngineID")
            # The security name is not the community: nothing downstream ever sees the secret.
            self._security = (name_col.syntax.clone(b"sitewatch-trap"), engine_id.syntax, ctx_col.syntax.clone(b""))
        return self._security


class _SiteCommunityV2c(_SiteCommunityV1):
    SECURITY_MODEL_ID = SnmpV2cSecurityModel.SECURITY_MODEL_ID


class _SiteUsm(SnmpUSMSecurityModel):  # type: ignore[misc]
    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self._screen = screen

    def process_incoming_message(self, snmpEngine: Any, messageProcessingModel: Any, maxMessageSize: Any,
                                 securityParameters: Any, securityModel: Any, securityLevel: Any, wholeMsg: Any,
                                 msg: Any) -> Any:
        d = self._screen.current
        if d is None:
            raise error.StatusInformation(errorIndication=errind.unknownSecurityName)
        try:
            params, _ = decoder.decode(securityParameters, asn1Spec=UsmSecurityParameters())
            engine_id, user = bytes(params[0]), bytes(params[3]).decode("utf-8", "replace")
        except (PyAsn1Error, TypeError, ValueError):
            raise error.StatusInformation(errorIndication=errind.parseError) from None
        (own,) = snmpEngine.get_mib_builder().import_symbols("__SNMP-FRAMEWORK-MIB", "snmpEngineID")
        own_id = bytes(own.syntax)
        usm = None
        if user:  # an empty user is an engine id discovery probe: pysnmp answers it
            holders = self._screen.sources.users_at(d.address, user)
            sites = {site for site, _ in holders}
            if len(sites) != 1:
                d.outcome = "ambiguous_source" if sites else "bad_auth"
                raise error.StatusInformation(errorIndication=errind.unknownSecurityName)
            d.site_id, usm = holders[0]
            if not 4 < len(engine_id) < 33 or not self._screen.install_user(snmpEngine, own_id, d.address,
                                                                            engine_id, usm):
                d.outcome = "bad_auth"
                raise error.StatusInformation(errorIndication=errind.unknownEngineID)
        try:
            result = super().process_incoming_message(snmpEngine, messageProcessingModel, maxMessageSize,
                                                       securityParameters, securityModel, securityLevel,
                                                       wholeMsg, msg)
        except error.StatusInformation as e:
            indication = e.get("errorIndication")
            sync = isinstance(indication, errind.UnknownEngineID | errind.NotInTimeWindow) and (
                not user or engine_id == own_id)
            d.outcome = IGNORED if sync else "bad_auth"
            raise
        if usm is not None and int(securityLevel) < _level(usm):
            # pysnmp accepts a trap below the user's level (RFC 3414 checks levels only on
            # the authoritative side): without this, noAuthNoPriv with a known name would pass.
            d.outcome = "bad_auth"
            raise error.StatusInformation(errorIndication=errind.unsupportedSecurityLevel)
        return result


def install_security(engine: SnmpEngine, screen: Screen) -> None:
    """Replace ``engine``'s v1, v2c and USM models with the site-aware ones."""
    engine.security_models[SnmpV1SecurityModel.SECURITY_MODEL_ID] = _SiteCommunityV1(screen)
    engine.security_models[SnmpV2cSecurityModel.SECURITY_MODEL_ID] = _SiteCommunityV2c(screen)
    engine.security_models[SnmpUSMSecurityModel.SECURITY_MODEL_ID] = _SiteUsm(screen)
