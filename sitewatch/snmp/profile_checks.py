"""Checks that need a whole profile: reading kinds against value types, labels against
``CANONICAL``, enum targets, and the local names ``derive`` rules use. Each issue carries the
path of the offending field, so the loader can name its line and the compiler its place.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from sitewatch.core.model import CANONICAL, ReadingKind
from sitewatch.snmp.contacts import MEANINGS
from sitewatch.snmp.profile_schema import (
    ABSENT_ROW,
    LOCAL_NAME,
    NUMERIC_TYPES,
    Condition,
    DeriveSpec,
    MaxSpec,
    Profile,
    ValueSpec,
    is_local,
)

__all__ = ["FieldPath", "profile_issues"]

#: a path to a field of the profile: keys and list indices
FieldPath = tuple[str | int, ...]


def profile_issues(profile: Profile) -> list[tuple[FieldPath, str]]:
    """Every problem needing the whole profile, as (path of the field, reason)."""
    return list(_Checker(profile).issues())


class _Checker:
    def __init__(self, profile: Profile) -> None:
        self.p = profile
        #: local names defined so far (a derive rule may only use names defined before it)
        self.local: set[str] = set()

    def issues(self) -> Iterator[tuple[FieldPath, str]]:
        for i, s in enumerate(self.p.scalars):
            yield from self._value(("scalars", i), s, dict(s.labels), in_table=False)
        for i, t in enumerate(self.p.tables):
            for j, c in enumerate(t.columns):
                dynamic = dict.fromkeys(t.labels, "") | dict(c.labels)
                yield from self._value(("tables", i, "columns", j), c, dynamic, in_table=True)
                if c.entity_scale is not None and c.type not in NUMERIC_TYPES:
                    yield ("tables", i, "columns", j, "entity_scale"), "entity_scale applies to numbers"
        for i, d in enumerate(self.p.derive):
            yield from self._derive(("derive", i), d)
        yield from self._contacts()

    def _contacts(self) -> Iterator[tuple[FieldPath, str]]:
        seen: set[int] = set()
        for i, c in enumerate(self.p.contacts):
            if c.input in seen:
                yield ("contacts", i, "input"), f"input {c.input} is declared twice"
            seen.add(c.input)
            if c.means is not None and c.means not in MEANINGS:
                yield ("contacts", i, "means"), f"unknown meaning {c.means!r} (one of {', '.join(MEANINGS)})"
            elif c.means is not None and MEANINGS[c.means].named != bool(c.name):
                yield ("contacts", i, "name"), ("means alarm needs a name" if MEANINGS[c.means].named
                                                else "name is only for means alarm")
            elif c.means is None and (c.alarm_when is not None or c.name is not None):
                yield ("contacts", i, "means"), "alarm_when and name need a default meaning (means)"

    def _value(self, path: FieldPath, s: ValueSpec, labels: dict[str, str], *, in_table: bool
               ) -> Iterator[tuple[FieldPath, str]]:
        targets = list(s.enum.values())
        if s.type == "enum" or (s.type == "bool" and s.enum):
            bad_keys = [k for k in s.enum if not k.strip()]
            if bad_keys:
                yield (*path, "enum"), "enum keys must not be empty"
        if not in_table and ABSENT_ROW in targets:
            yield (*path, "enum"), f"{ABSENT_ROW!r} (drop the row) is only for table columns"
        for k, u in enumerate(s.unknown_when):
            if u.column is not None and not in_table:
                yield (*path, "unknown_when", k, "column"), "column is for table columns; a scalar names an oid"
        targets = [t for t in targets if t != ABSENT_ROW]
        if is_local(s.reading):
            if not LOCAL_NAME.match(s.reading):
                yield (*path, "reading"), "local names are '_' then lower case letters, digits and '_'"
            if labels:
                yield (*path, "labels"), "local names take no labels"
            self.local.add(s.reading)
            return
        yield from _reading_ok(path, s.reading, labels)
        canon = CANONICAL.get(s.reading)
        if canon is None:
            return
        kind = canon.kind
        if s.type in NUMERIC_TYPES and kind is not ReadingKind.NUMBER:
            yield (*path, "type"), f"{s.reading} is a {kind.value} reading: use type enum or bool, not {s.type}"
        if s.type == "present" and kind is not ReadingKind.BOOL:
            yield (*path, "type"), f"type present makes a bool, but {s.reading} is a {kind.value} reading"
        if s.type in ("enum", "bool"):
            yield from _targets_ok((*path, "enum"), s.reading, kind, canon.states, targets)
            if s.type == "bool" and kind is not ReadingKind.BOOL:
                yield (*path, "type"), f"type bool makes a bool, but {s.reading} is a {kind.value} reading"

    def _derive(self, path: FieldPath, d: DeriveSpec) -> Iterator[tuple[FieldPath, str]]:
        op = d.op()
        for name in d.inputs():
            if is_local(name) and name not in self.local:
                yield (*path, op), f"{name!r} is not a local name defined earlier in this profile"
            elif not is_local(name) and name not in CANONICAL:
                yield (*path, op), f"unknown reading {name!r}"
        tests: list[tuple[FieldPath, Condition | MaxSpec]] = [
            ((*path, op, k), c) for k, c in enumerate(d.any or d.none or d.count or ())]
        if d.max is not None:
            tests.append(((*path, op), d.max))
        for where, c in tests:
            canon = CANONICAL.get(c.of)
            extra = set(c.labels) - set(canon.labels if canon else ())
            if extra:
                yield (*where, "labels"), f"{c.of} has no label {sorted(extra)[0]!r}"
        if is_local(d.reading):
            if not LOCAL_NAME.match(d.reading):
                yield (*path, "reading"), "local names are '_' then lower case letters, digits and '_'"
            self.local.add(d.reading)
            return
        yield from _reading_ok(path, d.reading, dict(d.labels))
        canon = CANONICAL.get(d.reading)
        if canon is None:
            return
        want = {"any": ReadingKind.BOOL, "none": ReadingKind.BOOL, "count": ReadingKind.NUMBER,
                "max": ReadingKind.NUMBER, "bands": ReadingKind.STATE, "ratio": ReadingKind.NUMBER}[op]
        if canon.kind is not want:
            yield (*path, op), f"{op} makes a {want.value}, but {d.reading} is a {canon.kind.value} reading"
        if d.bands is not None:
            states = [s for _, s in d.bands.below] + [d.bands.otherwise]
            bad = [s for s in states if s not in canon.states]
            if bad:
                yield (*path, "bands"), f"{bad[0]!r} is not a state of {d.reading} ({', '.join(canon.states)})"
            limits = [t for t, _ in d.bands.below]
            if limits != sorted(limits):
                yield (*path, "bands", "below"), "thresholds must be in increasing order"


def _reading_ok(path: FieldPath, name: str, labels: dict[str, str]) -> Iterator[tuple[FieldPath, str]]:
    canon = CANONICAL.get(name)
    if canon is None:
        yield (*path, "reading"), f"unknown reading {name!r} (see CANONICAL in sitewatch/core/model.py)"
        return
    if set(labels) != set(canon.labels):
        want = ", ".join(canon.labels) or "no labels"
        yield (*path, "labels"), f"{name} takes {want}, got {', '.join(sorted(labels)) or 'none'}"


def _targets_ok(path: FieldPath, name: str, kind: ReadingKind, states: tuple[str, ...], targets: list[Any]
                ) -> Iterator[tuple[FieldPath, str]]:
    for t in targets:
        if t is None:
            continue
        if kind is ReadingKind.BOOL and not isinstance(t, bool):
            yield path, f"{name} is a bool reading: map to true, false or null, not {t!r}"
        elif kind is ReadingKind.STATE and t not in states:
            yield path, f"{t!r} is not a state of {name} ({', '.join(states)})"
        elif kind is ReadingKind.NUMBER and (isinstance(t, bool | str) or not math.isfinite(t)):
            yield path, f"{name} is a number reading: map to numbers or null, not {t!r}"
