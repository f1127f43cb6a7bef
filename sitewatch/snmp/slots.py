"""Compiled profile fields: one object per scalar, table and column, ready for the poll path.

A slot turns raw values into a ``Reading`` and keeps the ``Reading``s it made, keyed by the
raw values behind them: readings are immutable, most values do not change between polls, and
building a frozen dataclass costs more than everything else the mapping does. Each cache is
bounded (cleared when full), so a value that changes every poll (uptime) costs one build.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from sitewatch.core.model import CANONICAL, Reading, SnmpException
from sitewatch.snmp.profile_schema import (
    ColumnSpec,
    LabelSpec,
    ScalarSpec,
    TableSpec,
    UnknownWhenSpec,
    WhereSpec,
    is_local,
)
from sitewatch.snmp.values import (
    ABSENT,
    CACHEABLE,
    MISSING,
    Convert,
    enum_reader,
    enum_table,
    finish,
    make_reading,
    number_reader,
    present,
    render,
    text_of,
)

__all__ = ["Column", "Row", "Scalar", "Table", "empty", "scale_key"]

#: entries per scalar cache (value domains are small: a voltage in 0.1 V steps, a state)
_CACHE_MAX: Final = 16384
#: entries per table cache: rows carry labels and info (ifAlias), so a fleet has as many as it
#: has interfaces; the readings themselves are held by the fleet's latest results anyway
_ROWS_MAX: Final = 65536

Labels = tuple[tuple[str, str], ...]


def empty(v: object) -> bool:
    """No usable value: missing, NULL or an SNMP exception."""
    return v is MISSING or v is None or isinstance(v, SnmpException)


def scale_key(raw: object) -> int | str | None:
    """A raw value as a key of an ``enum``-like map (ints as ints, other values as text)."""
    return raw if type(raw) is int else text_of(raw)


def _match_keys(texts: tuple[str, ...]) -> frozenset[int | str]:
    """Profile list entries as the raw values they match (see ``scale_key``)."""
    return frozenset(int(a) if a.strip().lstrip("-").isdigit() else a.strip() for a in texts)


class _Guard:
    """An ``unknown_when`` clause: another object (a scalar, or a column of the same row) whose
    value makes a reading unknown, optionally only while the reading's raw value is one of
    ``values``."""

    __slots__ = ("allowed", "column", "oid", "values")

    def __init__(self, spec: UnknownWhenSpec) -> None:
        self.column = spec.column is not None
        self.oid: str = spec.column if spec.column is not None else spec.oid  # type: ignore[assignment]
        self.allowed = _match_keys(spec.in_)
        self.values = frozenset(spec.value_in) if spec.value_in is not None else None

    def says_unknown(self, own: object, other: object) -> bool:
        if empty(other) or scale_key(other) not in self.allowed:
            return False
        return self.values is None or (type(own) is int and own in self.values)


def _guarded(guards: tuple[_Guard, ...], own: object, others: tuple[object, ...]) -> bool:
    return any(g.says_unknown(own, x) for g, x in zip(guards, others, strict=True))


def _guard_source(guards: tuple[_Guard, ...], others: tuple[object, ...]) -> str:
    return "".join(f" {g.oid}={render(x)}" for g, x in zip(guards, others, strict=True))


def _converter(spec: ScalarSpec | ColumnSpec, scale: float, offset: float) -> Convert:
    if spec.type in ("enum", "bool"):
        return enum_reader(enum_table(spec.enum or {"1": True, "2": False}), spec.mask)
    if spec.type == "present":
        return present
    number = number_reader(spec.type, spec.unknown)
    if spec.type == "timeticks":
        scale /= 100.0
    return finish(number, scale, offset, spec.range, spec.absolute)


def _by_selector(spec: ScalarSpec | ColumnSpec) -> dict[int | str, Convert] | None:
    if spec.scale_from is None:
        return None
    out: dict[int | str, Convert] = {}
    for key, choice in spec.scale_from.map.items():
        scale, offset = choice if isinstance(choice, tuple) else (choice, 0.0)
        k = key.strip()
        out[int(k) if k.lstrip("-").isdigit() else k] = _converter(spec, spec.scale * scale,
                                                                   spec.offset * scale + offset)
    return out


class _Out:
    """Where a slot's readings go: the result, and/or the derive environment."""

    __slots__ = ("dup", "emit", "env_key", "feeds", "label_names", "name")

    def __init__(self, name: str, env_key: str, feeds: bool) -> None:
        self.name = name
        self.env_key = env_key
        self.emit = not is_local(name)
        self.feeds = feeds
        #: another slot may produce the same reading (set by the compiler)
        self.dup = False
        canon = CANONICAL.get(name)
        self.label_names = canon.labels if canon else ()


class Scalar(_Out):
    """One scalar OID → one reading."""

    __slots__ = ("alt", "by_selector", "cache", "convert", "guard_oids", "guards", "info", "info_oids", "labels",
                 "oid", "plain", "selector", "volatile")

    def __init__(self, spec: ScalarSpec, env_key: str, feeds: bool) -> None:
        super().__init__(spec.reading, env_key, feeds)
        self.oid = spec.oid
        self.alt = spec.oid[:-2] if spec.instance_optional else None
        self.labels: Labels = tuple((n, spec.labels[n]) for n in self.label_names)
        self.convert = _converter(spec, spec.scale, spec.offset)
        self.by_selector = _by_selector(spec)
        self.selector = spec.scale_from.oid if spec.scale_from else None
        self.info = tuple((i.name, i.oid, i.oid[:-2] if i.instance_optional else None) for i in spec.info)
        #: the info OIDs when none has a fallback (the common case: read with one lookup each)
        self.info_oids = tuple(o for _, o, _ in self.info) if not any(a for _, _, a in self.info) else None
        self.guards = tuple(_Guard(u) for u in spec.unknown_when)
        self.guard_oids = tuple(g.oid for g in self.guards)
        self.plain = self.alt is None and self.selector is None and not self.info and not self.guards
        #: a value that changes on every poll (uptime) is not worth caching
        self.volatile = spec.type == "timeticks"
        self.cache: dict[object, Reading] = {}

    def reading(self, raw: Mapping[str, object]) -> Reading:
        if self.plain:
            v = raw.get(self.oid, MISSING)
            if type(v) in CACHEABLE:
                r = self.cache.get(v)
                if r is not None:
                    return r
                return self._make(v, self.oid, None, (), v)
            return self._make(v, self.oid, None, (), _NO_CACHE)
        oid, v = self.oid, raw.get(self.oid, MISSING)
        if self.alt is not None and empty(v):
            w = raw.get(self.alt, MISSING)
            if w is not MISSING:
                oid, v = self.alt, w
        sel = raw.get(self.selector, MISSING) if self.selector else None
        if self.info_oids is not None:
            get = raw.get
            info = tuple([get(o, MISSING) for o in self.info_oids])
        else:
            info = tuple(_get(raw, o, alt) for _, o, alt in self.info)
        others = tuple([raw.get(o, MISSING) for o in self.guard_oids]) if self.guards else ()
        key = (v, oid, sel, *info, *others)
        if not CACHEABLE.issuperset(map(type, key)):
            return self._make(v, oid, sel, info, _NO_CACHE, others)
        r = self.cache.get(key)
        return r if r is not None else self._make(v, oid, sel, info, key, others)

    def _make(self, v: object, oid: str, sel: object, info: tuple[object, ...], key: object,
              others: tuple[object, ...] = ()) -> Reading:
        convert: Convert | None = self.convert
        source = f"{oid}={render(v)}"
        if self.by_selector is not None:
            convert = self.by_selector.get(scale_key(sel))  # type: ignore[arg-type]
            source += f" {self.selector}={render(sel)}"
        value = convert(v) if convert is not None else None
        if others:
            source += _guard_source(self.guards, others)
            if _guarded(self.guards, v, others):
                value = None
        texts = ((name, text_of(x)) for (name, _, _), x in zip(self.info, info, strict=True))
        r = make_reading(self.name, value if value is not ABSENT else None, self.labels,  # type: ignore[arg-type]
                         source, tuple((n, t) for n, t in texts if t))
        _remember(self.cache, _NO_CACHE if self.volatile else key, r)
        return r


def _get(raw: Mapping[str, object], oid: str, alt: str | None) -> object:
    v = raw.get(oid, MISSING)
    return raw.get(alt, v) if alt is not None and empty(v) else v


#: key meaning "do not cache": the raw value is of a type that could collide (True == 1)
_NO_CACHE: Final = object()


def _remember(cache: dict[object, Any], key: object, r: object, limit: int = _CACHE_MAX) -> None:
    if key is _NO_CACHE:
        return
    if len(cache) >= limit:
        cache.clear()
    cache[key] = r


class Row:
    """What one table row shares between its columns: index, label values, info."""

    __slots__ = ("index", "info", "labels")

    def __init__(self, index: str, labels: dict[str, str], info: Labels) -> None:
        self.index = index
        self.labels = labels
        self.info = info


class Column(_Out):
    """One table column → one reading per row."""

    __slots__ = ("by_selector", "cache", "convert", "dynamic", "entity", "guards", "oid", "plain", "scales", "selector",
                 "spec", "static")

    def __init__(self, spec: ColumnSpec, env_key: str, feeds: bool) -> None:
        super().__init__(spec.reading, env_key, feeds)
        self.spec = spec
        self.oid = spec.oid
        self.static = dict(spec.labels)
        self.convert = _converter(spec, spec.scale, spec.offset)
        self.by_selector = _by_selector(spec)
        self.selector = spec.scale_from.oid if spec.scale_from else None
        self.entity = (spec.entity_scale.scale, spec.entity_scale.precision) if spec.entity_scale else None
        self.scales: dict[tuple[int, int], Convert] = {}
        self.guards = tuple(_Guard(u) for u in spec.unknown_when)
        #: the conversion depends on other values (a unit selector, entity scale and precision)
        self.dynamic = self.entity is not None or self.selector is not None
        #: the reading depends on the value and the row only (cache key ``(value, row)``)
        self.plain = not self.dynamic and not self.guards
        self.cache: dict[object, object] = {}

    def reading(self, v: object, row: Row, cols: Mapping[str, Mapping[str, object]],
                raw: Mapping[str, object]) -> Reading | object:
        """The row's reading, or ABSENT when the value says the row does not exist."""
        if self.plain:
            key: object = (v, row)
            extra: tuple[object, ...] = ()
        else:
            index = row.index
            extra = (raw.get(self.selector, MISSING),) if self.selector else (
                (cols[self.entity[0]].get(index, MISSING), cols[self.entity[1]].get(index, MISSING))
                if self.entity else ())
            if self.guards:
                extra += tuple([cols[g.oid].get(index, MISSING) if g.column else raw.get(g.oid, MISSING)
                                for g in self.guards])
            key = (v, row, *extra)
        if type(v) in CACHEABLE and (not extra or CACHEABLE.issuperset(map(type, extra))):
            r = self.cache.get(key)
            if r is not None:
                return r
        else:
            key = _NO_CACHE
        convert = self._dynamic(extra) if self.dynamic else self.convert
        value = convert(v) if convert is not None else None
        if value is ABSENT:
            _remember(self.cache, key, ABSENT, _ROWS_MAX)
            return ABSENT
        source = f"{self.oid}.{row.index}={render(v)}"
        if self.selector:
            source += f" {self.selector}={render(extra[0])}"
        elif self.entity:
            source += f" scale={render(extra[0])} precision={render(extra[1])}"
        if self.guards:
            others = extra[len(extra) - len(self.guards):]
            source += _guard_source(self.guards, others)
            if _guarded(self.guards, v, others):
                value = None
        labels = tuple((n, self.static[n] if n in self.static else row.labels[n]) for n in self.label_names)
        r = make_reading(self.name, value, labels, source, row.info)  # type: ignore[arg-type]
        _remember(self.cache, key, r, _ROWS_MAX)
        return r

    def _dynamic(self, extra: tuple[object, ...]) -> Convert | None:
        if self.by_selector is not None:
            return self.by_selector.get(scale_key(extra[0]))  # type: ignore[arg-type]
        scale, precision = extra[0], extra[1]
        if type(scale) is not int or type(precision) is not int or not (1 <= scale <= 17 and -8 <= precision <= 9):
            return None
        convert = self.scales.get((scale, precision))
        if convert is None:
            factor = 10.0 ** (3 * (scale - 9) - precision)
            convert = self.scales[(scale, precision)] = _converter(self.spec, self.spec.scale * factor,
                                                                   self.spec.offset)
        return convert


class _Where:
    __slots__ = ("allowed", "column", "contains", "excluded", "missing_ok")

    def __init__(self, spec: WhereSpec) -> None:
        self.column = spec.column
        self.allowed = _match_keys(spec.in_) if spec.in_ is not None else None
        self.excluded = _match_keys(spec.not_in) if spec.not_in is not None else None
        self.contains = spec.contains.lower() if spec.contains is not None else None
        self.missing_ok = spec.missing_ok

    def passes(self, v: object) -> bool:
        if empty(v):
            return self.missing_ok
        if self.allowed is not None and scale_key(v) not in self.allowed:
            return False
        if self.excluded is not None and scale_key(v) in self.excluded:
            return False
        if self.contains is not None:
            text = text_of(v)
            return text is not None and self.contains in text.lower()
        return True


class Table:
    """A table: its rows, their labels and info, and its columns."""

    __slots__ = ("arcs", "columns", "ctx_cols", "index", "index_info", "info_cols", "label_specs", "limit_oid",
                 "pick_first", "rows", "where")

    def __init__(self, spec: TableSpec, column: Callable[[ColumnSpec], Column]) -> None:
        self.index = spec.index
        self.arcs = spec.index_arcs
        self.pick_first = spec.pick == "first"
        self.where = tuple(_Where(w) for w in spec.where)
        self.label_specs: tuple[tuple[str, LabelSpec], ...] = tuple(spec.labels.items())
        self.index_info = spec.index_info
        label_cols = [c for _, ls in self.label_specs if ls.from_ != "index" for c in ls.from_]
        self.ctx_cols = tuple(dict.fromkeys([*label_cols, *(i.oid for i in spec.info)]))
        self.info_cols = tuple((i.name, i.oid) for i in spec.info)
        self.columns = tuple(column(c) for c in spec.columns)
        self.limit_oid = spec.max_index_from
        self.rows: dict[object, Row] = {}

    def column_oids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([self.index, *self.ctx_cols, *(w.column for w in self.where),
                                    *(c.oid for c in self.columns),
                                    *(o for c in self.columns if c.entity for o in c.entity),
                                    *(g.oid for c in self.columns for g in c.guards if g.column)]))

    def scalar_oids(self) -> tuple[str, ...]:
        """The scalars the table reads besides its columns (row count, unit selectors, guards)."""
        return tuple(dict.fromkeys([*((self.limit_oid,) if self.limit_oid else ()),
                                    *(c.selector for c in self.columns if c.selector),
                                    *(g.oid for c in self.columns for g in c.guards if not g.column)]))

    def max_index(self, raw: Mapping[str, object]) -> int | None:
        """The highest row index the device declares (``max_index_from``), or None: no limit."""
        v = raw.get(self.limit_oid) if self.limit_oid else None
        return v if type(v) is int and v >= 0 else None

    def row(self, index: str, cols: Mapping[str, Mapping[str, object]]) -> Row:
        """The row's labels and info, shared by its columns (cached by the raw values behind
        them; the key is not type-checked: a bool where an int was would only reuse a label)."""
        vals = tuple([cols[c].get(index, MISSING) for c in self.ctx_cols])
        key = (index, vals)
        try:
            r = self.rows.get(key)
        except TypeError:  # an unhashable value from a misbehaving client
            r, key = None, _NO_CACHE  # type: ignore[assignment]
        if r is not None:
            return r
        texts = dict(zip(self.ctx_cols, [text_of(v) for v in vals], strict=True))
        labels = {}
        for name, ls in self.label_specs:
            found = index
            if ls.from_ != "index":
                for c in ls.from_:
                    text = texts[c]
                    if text:
                        found = text
                        break
            labels[name] = ls.map.get(found, found) if ls.map else found
        info: Labels = ((self.index_info, index),) if self.index_info else ()
        for n, c in self.info_cols:
            text = texts[c]
            if text:
                info += ((n, text),)
        r = Row(index, labels, info)
        _remember(self.rows, key, r, _ROWS_MAX)
        return r

    def passes(self, index: str, cols: Mapping[str, Mapping[str, object]]) -> bool:
        return all(w.passes(cols[w.column].get(index, MISSING)) for w in self.where)
