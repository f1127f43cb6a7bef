"""pysnmp's asyncio hlapi, imported in one place with pysmi's deprecation warnings silenced.

Why: pysnmp 7.1 calls pysmi 2's camelCase names (``getReadersFromUrls``, ``smiV1Relaxed`` when
``pysnmp.smi.rfc1902`` is imported, ``addSources``/``addSearchers``/``addBorrowers`` the first
time an engine's MIB view gets its MIB compiler). pysmi warns on each rename; with warnings as errors
(our tests) those warnings become exceptions inside pysnmp. Every sitewatch module takes the
hlapi names from here, and ``prepare_engine`` adds the compiler up front under the same filter,
so the calls made while polling find it already there.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

__all__ = [
    "USM_AUTH_HMAC96_MD5",
    "USM_AUTH_HMAC96_SHA",
    "USM_AUTH_HMAC128_SHA224",
    "USM_AUTH_HMAC192_SHA256",
    "USM_AUTH_HMAC256_SHA384",
    "USM_AUTH_HMAC384_SHA512",
    "USM_PRIV_CBC56_DES",
    "USM_PRIV_CFB128_AES",
    "USM_PRIV_CFB192_AES_BLUMENTHAL",
    "USM_PRIV_CFB256_AES_BLUMENTHAL",
    "CommunityData",
    "ContextData",
    "ObjectIdentity",
    "ObjectType",
    "Udp6TransportTarget",
    "UdpTransportTarget",
    "UsmUserData",
    "bulk_cmd",
    "get_cmd",
    "next_cmd",
    "prepare_engine",
]

#: the text of pysmi's (and pysnmp's) rename warnings: "X is deprecated. Please use x instead."
_PYSMI_RENAMES = r"\w+ is deprecated\. Please use \w+ instead"


@contextlib.contextmanager
def _pysmi_renames_ignored() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_PYSMI_RENAMES, category=DeprecationWarning)
        yield


with _pysmi_renames_ignored():
    from pysnmp.hlapi.v3arch.asyncio import (
        USM_AUTH_HMAC96_MD5,
        USM_AUTH_HMAC96_SHA,
        USM_AUTH_HMAC128_SHA224,
        USM_AUTH_HMAC192_SHA256,
        USM_AUTH_HMAC256_SHA384,
        USM_AUTH_HMAC384_SHA512,
        USM_PRIV_CBC56_DES,
        USM_PRIV_CFB128_AES,
        USM_PRIV_CFB192_AES_BLUMENTHAL,
        USM_PRIV_CFB256_AES_BLUMENTHAL,
        CommunityData,
        ContextData,
        ObjectIdentity,
        ObjectType,
        Udp6TransportTarget,
        UdpTransportTarget,
        UsmUserData,
        bulk_cmd,
        get_cmd,
        next_cmd,
    )
    from pysnmp.hlapi.varbinds import MibViewControllerManager
    from pysnmp.smi.compiler import add_mib_compiler


def prepare_engine(engine: Any) -> None:
    """Give ``engine``'s MIB view (the one ``get_cmd`` resolves request OIDs with) its compiler now."""
    view = MibViewControllerManager.get_mib_view_controller(engine.cache)
    with _pysmi_renames_ignored():
        add_mib_compiler(view.mibBuilder, ifAvailable=True, ifNotAdded=True)
