"""``SnmpClient`` on pysnmp 7 (asyncio hlapi): SNMP v1, v2c and v3 for the whole fleet.

One ``PysnmpClient`` serves every site from one event loop: it builds its pysnmp engine lazily
inside the running loop, keeps per-target sessions (credentials, resolved address) and per-plan
``ObjectType`` lists, and asks with ``lookupMib=False`` so no MIB lookups run on answers (the
cost measured in docs/snmp-measurements.md). Scalars go out many to a GET and are split in
halves when the agent says tooBig; an SNMPv1 noSuchName marks the object it names and the rest
are asked again. Columns are walked by ``pysnmp_walk``. Every failure is a ``PollError`` whose
text names the agent but never a community or key.

pysnmp keeps one key set per USM user name in an engine, so a user name that appears with
different keys on different sites gets an extra engine (one per distinct key set). A host name
is resolved on a target's first fetch and kept until ``close()``.

Cost measured here against snmpd on loopback: 5.3-7.0 CPU-s per 1000 polls of 16 scalars plus
a 4-row x 5-column table (two requests each), nearly all of it pyasn1 decoding inside pysnmp;
a site's first poll adds ~7 ms for pysnmp's LCD rows (community, target parameters, address).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyasn1.error import PyAsn1Error
from pysnmp.error import PySnmpError
from pysnmp.proto import rfc1902

from sitewatch.core.errors import PollError
from sitewatch.core.model import PollErrorKind, SnmpException, SnmpValue
from sitewatch.snmp.client import FetchPlan, Target
from sitewatch.snmp.pysnmp_engine import FleetEngine
from sitewatch.snmp.pysnmp_hlapi import (
    ContextData,
    ObjectIdentity,
    ObjectType,
    Udp6TransportTarget,
    UdpTransportTarget,
    bulk_cmd,
    get_cmd,
    next_cmd,
)
from sitewatch.snmp.pysnmp_security import usm_fingerprint, usm_user_data
from sitewatch.snmp.pysnmp_values import (
    STATUS_NO_SUCH_NAME,
    STATUS_TOO_BIG,
    indication_error,
    is_too_big_indication,
    status_name,
    to_snmp_value,
)
from sitewatch.snmp.pysnmp_walk import ColumnStart, walk_columns

__all__ = ["PysnmpClient"]


@dataclass(frozen=True, slots=True)
class _Scalar:
    oid: str
    object_type: Any


@dataclass(frozen=True, slots=True)
class _Compiled:
    scalars: tuple[_Scalar, ...]
    columns: tuple[ColumnStart, ...]


def _object_type(oid: str) -> Any:
    try:
        name = rfc1902.ObjectName(oid)
    except PyAsn1Error:
        raise ValueError(f"invalid OID {oid!r} in fetch plan") from None
    return ObjectType(ObjectIdentity(name))


@functools.lru_cache(maxsize=1024)
def _compile(plan: FetchPlan) -> _Compiled:
    # ObjectTypes do not depend on the target: one list per plan serves every site using it.
    scalars = tuple(_Scalar(o, _object_type(o)) for o in dict.fromkeys(o.lstrip(".") for o in plan.scalars))
    columns = []
    for oid in dict.fromkeys(c.lstrip(".") for c in plan.columns):
        object_type = _object_type(oid)
        columns.append(ColumnStart(root=tuple(int(a) for a in oid.split(".")), object_type=object_type))
    return _Compiled(scalars=scalars, columns=tuple(columns))


@dataclass(frozen=True, slots=True)
class _Session:
    """Everything pysnmp needs to talk to one target, built on its first fetch."""

    engine: FleetEngine
    auth: Any  #: CommunityData or UsmUserData
    transport: Any  #: UdpTransportTarget or Udp6TransportTarget
    context: Any  #: ContextData
    v1: bool
    where: str  #: host:port, for error texts
    timeout_hint: str
    #: rows the last walk of each plan found: the next GETBULK asks for just one more, so a
    #: stable table comes back in one answer without dragging in the following columns
    rows_seen: dict[FetchPlan, int] = field(default_factory=dict)

    def indication_error(self, indication: object) -> PollError:
        return indication_error(indication, self.where, timeout_hint=self.timeout_hint)


def _secrets(target: Target) -> tuple[str, ...]:
    found = [target.community.decode("latin-1")]
    if target.usm is not None:
        found += [target.usm.auth_key or "", target.usm.priv_key or ""]
    return tuple(s for s in found if s)


def _scrubbed(error: PollError, secrets: Sequence[str]) -> PollError:
    detail = error.detail
    for secret in secrets:
        detail = detail.replace(secret, "***")
    return error if detail == error.detail else PollError(error.kind, detail)


def _is_ipv6(host: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address)
    except ValueError:
        return False  # a host name: resolved for IPv4


class PysnmpClient:
    """The fleet's SNMP client on pysnmp 7. Safe for hundreds of concurrent ``fetch`` calls.

    ``rcvbuf``: UDP receive buffer asked for the shared socket. ``max_rows``: rows kept per
    walked column, so a looping agent cannot make a walk endless.
    """

    def __init__(self, *, rcvbuf: int = 4 * 1024 * 1024, max_rows: int = 10_000) -> None:
        self._rcvbuf = rcvbuf
        self._max_rows = max_rows
        self._loop: asyncio.AbstractEventLoop | None = None
        self._engines: list[FleetEngine] = []
        self._usm_slots: dict[str, list[tuple[str | None, ...]]] = {}
        self._sessions: dict[Target, _Session] = {}

    async def fetch(self, target: Target, plan: FetchPlan) -> Mapping[str, SnmpValue]:
        """Raw values by dotted OID for ``plan``'s scalars and columns. Raises ``PollError``."""
        try:
            session = self._sessions.get(target) or await self._open(target)
            compiled = _compile(plan)
            out: dict[str, SnmpValue] = {}
            limit = max(1, plan.max_varbinds_per_get)
            for start in range(0, len(compiled.scalars), limit):
                await self._get(session, compiled.scalars[start:start + limit], out)
            if compiled.columns:
                seen = session.rows_seen.get(plan)
                repetitions = plan.max_repetitions if seen is None else min(plan.max_repetitions, seen + 1)
                session.rows_seen[plan] = await walk_columns(
                    functools.partial(self._next if session.v1 else self._bulk, session),
                    compiled.columns, out, repetitions=repetitions, max_columns=limit,
                    max_rows=self._max_rows, on_indication=session.indication_error, where=session.where)
            return out
        except PollError as e:
            raise _scrubbed(e, _secrets(target)) from None
        except Exception as e:
            # pysnmp's own errors are about configuring or using the transport; anything else is
            # a bug. Either way the text may quote what was configured, so it is scrubbed too.
            kind = PollErrorKind.NETWORK if isinstance(e, PySnmpError | OSError) else PollErrorKind.INTERNAL
            text = str(e).splitlines()[-1] if str(e) else ""
            detail = f"{target.host}:{target.port}: {type(e).__name__}: {text}"
            raise _scrubbed(PollError(kind, detail), _secrets(target)) from None

    async def close(self) -> None:
        """Close every engine's sockets. A later ``fetch`` starts afresh."""
        for engine in self._engines:
            engine.close()
        self._engines.clear()
        self._sessions.clear()
        self._usm_slots.clear()
        self._loop = None

    def receive_buffer_bytes(self) -> int:
        """SO_RCVBUF of the main engine's IPv4 socket, as the kernel reports it (0 before the first fetch)."""
        return self._engines[0].receive_buffer_bytes() if self._engines else 0

    def _engine(self, slot: int) -> FleetEngine:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            if self._engines:
                raise RuntimeError("PysnmpClient is bound to another event loop; close() it first")
            self._loop = loop
        while len(self._engines) <= slot:
            self._engines.append(FleetEngine(rcvbuf=self._rcvbuf))
        return self._engines[slot]

    async def _open(self, target: Target) -> _Session:
        where = f"{target.host}:{target.port}"
        if not 0 < target.port < 65536:
            raise PollError(PollErrorKind.NETWORK, f"{where}: port out of range")
        attempts = target.retries + 1
        tries = f"timeout {target.timeout:g} s, {attempts} {'try' if attempts == 1 else 'tries'}"
        if target.version == "3":
            usm = target.usm
            if usm is None:
                raise PollError(PollErrorKind.AUTH, f"{where}: SNMPv3 target without USM credentials")
            auth = usm_user_data(usm)
            variants = self._usm_slots.setdefault(usm.username, [])
            fingerprint = usm_fingerprint(usm)
            if fingerprint not in variants:
                variants.append(fingerprint)
            engine = self._engine(variants.index(fingerprint))
            context = ContextData(contextName=usm.context_name.encode())
            hint = f"{tries}; for SNMPv3 a wrong privacy key also looks like this"
        else:
            engine = self._engine(0)
            auth = engine.communities.community_data(target.community, 0 if target.version == "1" else 1)
            context = ContextData()
            hint = f"{tries}; a wrong community also looks like this"
        if _is_ipv6(target.host):
            engine.ensure_ipv6()
            kind: Any = Udp6TransportTarget
        else:
            kind = UdpTransportTarget
        # pysnmp keeps the timeout in hundredths of a second
        transport = await kind.create((target.host, target.port), timeout=round(target.timeout, 2),
                                      retries=target.retries)
        session = _Session(engine=engine, auth=auth, transport=transport, context=context,
                           v1=target.version == "1", where=where, timeout_hint=hint)
        self._sessions[target] = session
        return session

    async def _get(self, s: _Session, items: Sequence[_Scalar], out: dict[str, SnmpValue]) -> None:
        """GET ``items`` into ``out``; split on tooBig, drop an SNMPv1 noSuchName object and re-ask."""
        work = [tuple(items)]
        while work:
            batch = work.pop()
            indication, status, index, varbinds = await get_cmd(
                s.engine.snmp_engine, s.auth, s.transport, s.context, *(i.object_type for i in batch),
                lookupMib=False)
            status = int(status)
            position = int(index) - 1
            if indication and not is_too_big_indication(indication):
                raise s.indication_error(indication)
            if indication or status == STATUS_TOO_BIG:
                if len(batch) == 1:
                    raise PollError(PollErrorKind.AGENT_ERROR,
                                    f"{s.where}: tooBig for the single object {batch[0].oid}")
                work += [batch[len(batch) // 2:], batch[:len(batch) // 2]]
            elif status == STATUS_NO_SUCH_NAME and (0 <= position < len(batch) or len(batch) == 1):
                position = position if 0 <= position < len(batch) else 0
                out[batch[position].oid] = SnmpException.NO_SUCH_OBJECT
                rest = batch[:position] + batch[position + 1:]
                if rest:
                    work.append(rest)
            elif status == STATUS_NO_SUCH_NAME:  # error-index out of range: find the culprit by halving
                work += [batch[len(batch) // 2:], batch[:len(batch) // 2]]
            elif status:
                culprit = f" for {batch[position].oid}" if 0 <= position < len(batch) else ""
                raise PollError(PollErrorKind.AGENT_ERROR, f"{s.where}: agent answered {status_name(status)}{culprit}")
            elif len(varbinds) != len(batch):
                raise PollError(PollErrorKind.DECODE,
                                f"{s.where}: {len(varbinds)} values in answer to a GET of {len(batch)}")
            else:
                for item, (_, value) in zip(batch, varbinds, strict=True):
                    out[item.oid] = to_snmp_value(value, item.oid)

    async def _bulk(self, s: _Session, object_types: Sequence[Any], repetitions: int) -> Any:
        return await bulk_cmd(s.engine.snmp_engine, s.auth, s.transport, s.context, 0, repetitions,
                              *object_types, lookupMib=False)

    async def _next(self, s: _Session, object_types: Sequence[Any], repetitions: int) -> Any:
        return await next_cmd(s.engine.snmp_engine, s.auth, s.transport, s.context, *object_types,
                              lookupMib=False)

