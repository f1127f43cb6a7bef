"""Walk several table columns at once, like ``snmpbulkwalk`` but with every column in one request.

Each request carries the current position of every unfinished column; a GETBULK answer holds
up to ``repetitions`` rows of them (row-major), a GETNEXT answer (SNMPv1) one row. A column ends
at the first OID outside its subtree, at endOfMibView, at noSuchName (v1's end of view), when
the agent does not move forward (an OID not greater than the last one: loop protection), or
at ``max_rows``. The walk is written against a small ``Exchange`` callable so that it does not
depend on how the requests are sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pysnmp.proto import rfc1905

from sitewatch.core.errors import PollError
from sitewatch.core.model import PollErrorKind, SnmpValue
from sitewatch.snmp.pysnmp_hlapi import ObjectIdentity, ObjectType
from sitewatch.snmp.pysnmp_values import (
    STATUS_NO_SUCH_NAME,
    STATUS_TOO_BIG,
    is_too_big_indication,
    status_name,
    to_snmp_value,
)

__all__ = ["ColumnStart", "Exchange", "walk_columns"]

#: Send one GETBULK/GETNEXT: (object types, max-repetitions) -> pysnmp's 4-tuple.
Exchange = Callable[[Sequence[Any], int], Awaitable[tuple[Any, Any, Any, Sequence[tuple[Any, Any]]]]]

_END_OF_MIB_VIEW = rfc1905.EndOfMibView.tagSet


@dataclass(frozen=True, slots=True)
class ColumnStart:
    """A column root, compiled once per plan."""

    root: tuple[int, ...]
    object_type: Any  #: ObjectType of the root, reused by every poll


class _Column:
    __slots__ = ("done", "last", "object_type", "root", "rows")

    def __init__(self, start: ColumnStart) -> None:
        self.root = start.root
        self.object_type = start.object_type
        self.last: tuple[int, ...] = start.root
        self.rows = 0
        self.done = False


async def walk_columns(exchange: Exchange, columns: Sequence[ColumnStart], out: dict[str, SnmpValue], *,
                       repetitions: int, max_columns: int, max_rows: int,
                       on_indication: Callable[[Any], PollError], where: str) -> int:
    """Walk ``columns`` into ``out`` (dotted OID -> value); return the most rows any column had.

    Errors raise ``PollError``.
    """
    walked = [_Column(c) for c in columns]
    pending = list(walked)
    repetitions = max(1, repetitions)
    max_columns = max(1, max_columns)
    while pending:
        batch = pending[:max_columns]
        indication, status, index, varbinds = await exchange([c.object_type for c in batch], repetitions)
        status = int(status)
        if indication or status == STATUS_TOO_BIG:
            if status == STATUS_TOO_BIG or is_too_big_indication(indication):
                if repetitions > 1:
                    repetitions //= 2
                    continue
                if max_columns > 1:
                    max_columns = max(1, len(batch) // 2)
                    continue
                raise PollError(PollErrorKind.AGENT_ERROR, f"{where}: tooBig even for one row of one column")
            raise on_indication(indication)
        if status == STATUS_NO_SUCH_NAME:
            # v1: the column named by error-index has no next object; the others are asked again.
            position = int(index) - 1
            culprits = [batch[position]] if 0 <= position < len(batch) else batch
            for column in culprits:
                column.done = True
        elif status:
            raise PollError(PollErrorKind.AGENT_ERROR, f"{where}: agent answered {status_name(status)} to a walk")
        elif not _take(batch, varbinds, out, max_rows):
            for column in batch:  # nothing moved forward: stop rather than ask the same again
                column.done = True
        pending = [c for c in pending if not c.done]
    return max((c.rows for c in walked), default=0)


def _take(batch: list[_Column], varbinds: Sequence[tuple[Any, Any]], out: dict[str, SnmpValue],
          max_rows: int) -> bool:
    """Store the answer's rows; True when at least one column moved forward."""
    width = len(batch)
    last_name: dict[int, Any] = {}  # id(column) -> the OID it reached in this answer
    for i, (name, value) in enumerate(varbinds):
        column = batch[i % width]
        if column.done:
            continue
        oid = name.asTuple()
        root = column.root
        if (value.tagSet == _END_OF_MIB_VIEW or len(oid) <= len(root) or oid[:len(root)] != root
                or oid <= column.last):
            column.done = True
            continue
        key = str(name)
        out[key] = to_snmp_value(value, key)
        column.last = oid
        column.rows += 1
        last_name[id(column)] = name
        if column.rows >= max_rows:
            column.done = True
    for column in batch:
        name = last_name.get(id(column))
        if name is not None and not column.done:
            column.object_type = ObjectType(ObjectIdentity(name))
    return bool(last_name)
