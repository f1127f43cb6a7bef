"""Compile a combination of profiles into a fetch plan and a fast raw → readings mapping.

``compile_profiles`` is called once per combination (and cached); ``CompiledProfiles.readings``
runs on every poll of every site, so it only walks precomputed slots: one dictionary lookup
per scalar, one pass over the raw keys to sort table cells into columns, then the rows, then
the ``derive`` rules. No YAML, pydantic or regular expression is touched there.

When several profiles (or a profile's fallbacks) produce the same reading with the same
labels, the first one with a known value wins, in this order: profiles as listed (``system``
first), and within a profile scalars, tables, then derive rules.
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from sitewatch.config.locations import render_path
from sitewatch.core.errors import ProfileError
from sitewatch.core.model import Reading, SnmpValue
from sitewatch.snmp.client import FetchPlan
from sitewatch.snmp.contacts import wire
from sitewatch.snmp.derive import Rule, compile_rule
from sitewatch.snmp.profile_checks import profile_issues
from sitewatch.snmp.profile_loader import shipped_profile
from sitewatch.snmp.profile_schema import ColumnSpec, Profile, is_local
from sitewatch.snmp.slots import Column, Scalar, Table
from sitewatch.snmp.values import ABSENT, CACHEABLE, MISSING, make_reading

__all__ = ["SYSTEM_PROFILE", "CompiledProfiles", "compile_profiles"]

#: the profile included in every compilation (sysUpTime → uptime_seconds, sysObjectID)
SYSTEM_PROFILE: Final = "system"
_CACHE_MAX: Final = 256
_CELLS_MAX: Final = 65536


class _Derived:
    __slots__ = ("cache", "dup", "emit", "env_key", "feeds", "labels", "name", "rule")

    def __init__(self, name: str, labels: tuple[tuple[str, str], ...], rule: Rule, env_key: str, feeds: bool) -> None:
        self.name = name
        self.labels = labels
        self.rule = rule
        self.env_key = env_key
        self.feeds = feeds
        self.emit = not is_local(name)
        self.dup = False
        self.cache: dict[tuple[object, str], Reading] = {}


def _index_key(index: str) -> tuple[int, ...]:
    try:
        return tuple(int(a) for a in index.split("."))
    except ValueError:
        return (1 << 64,)


class CompiledProfiles:
    """The plan to fetch and the mapping to apply for one combination of profiles.

    ``names``: the profiles, ``system`` first. ``plan``: what the client fetches.
    ``readings(raw)``: canonical readings from the client's raw values. Read-only."""

    __slots__ = ("_cells", "_env_keys", "_groups", "_roots", "_rules", "_scalars", "_tables", "names", "plan")

    def __init__(self, profiles: Sequence[Profile], *, max_repetitions: int = 25, max_varbinds_per_get: int = 40
                 ) -> None:
        self.names = tuple(p.name for p in profiles)
        needed = {_env_key(p.name, n) for p in profiles for d in p.derive for n in d.inputs()}
        scalars: list[Scalar] = []
        tables: list[Table] = []
        rules: list[_Derived] = []
        for p in profiles:
            resolve = functools.partial(_env_key, p.name)
            for s in p.scalars:
                key = resolve(s.reading)
                scalars.append(Scalar(s, key, key in needed))
            for t in p.tables:
                tables.append(Table(t, functools.partial(_column, resolve=resolve, needed=needed)))
            for d in p.derive:
                key = resolve(d.reading)
                labels = tuple(sorted(d.labels.items()))
                rules.append(_Derived(d.reading, labels, compile_rule(d, resolve), key, key in needed))
        emitted: list[Scalar | Column | _Derived] = [
            *(s for s in scalars if s.emit), *(c for t in tables for c in t.columns if c.emit),
            *(r for r in rules if r.emit)]
        # scalars and rules have fixed labels; a column's depend on the row, so it may collide
        # with anything of its name
        fixed = collections.Counter((x.name, x.labels) for x in emitted if not isinstance(x, Column))
        per_row = collections.Counter(x.name for x in emitted if isinstance(x, Column))
        names = collections.Counter(x.name for x in emitted)
        for x in emitted:
            x.dup = (names[x.name] > 1 and per_row[x.name] > 0) or (
                not isinstance(x, Column) and fixed[(x.name, x.labels)] > 1)
        # a local reading that no rule reads (sysDescr kept only in the raw values, say) has no
        # effect: it is fetched, not mapped. Table columns always are (``absent`` drops a row).
        self._scalars = tuple(s for s in scalars if s.emit or s.feeds)
        self._tables = tuple(tables)
        self._rules = tuple(r for r in rules if r.emit or r.feeds)
        self._env_keys = tuple(sorted(needed))
        extra = [o for s in scalars for o in (s.alt, s.selector, *(x for _, i, a in s.info for x in (i, a)),
                                              *s.guard_oids) if o]
        extra += [o for t in tables for o in t.scalar_oids()]
        columns = tuple(dict.fromkeys(o for t in tables for o in t.column_oids()))
        by_arcs = {a: tuple(dict.fromkeys(o for t in tables if t.arcs == a for o in t.column_oids()))
                   for a in sorted({t.arcs for t in tables})}
        # each column root with the number of index arcs of its (last) table
        self._roots = {root: a for a, roots in by_arcs.items() for root in roots}
        self._groups = tuple((a, frozenset(r for r, n in self._roots.items() if n == a)) for a in by_arcs)
        #: raw key → the (column root, row index) it is a cell of; keys repeat poll after poll
        self._cells: dict[str, tuple[tuple[str, str], ...]] = {}
        self.plan = FetchPlan(
            scalars=tuple(dict.fromkeys([*(s.oid for s in scalars), *extra])),
            columns=columns,
            max_repetitions=max_repetitions,
            max_varbinds_per_get=max_varbinds_per_get,
        )

    def __repr__(self) -> str:
        return f"CompiledProfiles({', '.join(self.names)})"

    def readings(self, raw: Mapping[str, SnmpValue]) -> tuple[Reading, ...]:
        """Canonical readings for one poll's raw values (dotted OID → value)."""
        get = raw.get
        out: list[Reading] = []
        env: dict[str, list[Reading]] = {k: [] for k in self._env_keys}
        seen: dict[tuple[str, tuple[tuple[str, str], ...]], Reading] = {}
        for s in self._scalars:
            r = None
            if s.plain:
                v = get(s.oid, MISSING)
                if type(v) in CACHEABLE:
                    r = s.cache.get(v)
            if r is None:
                r = s.reading(raw)
            if s.emit:
                _emit(r, out, seen) if s.dup else out.append(r)
            if s.feeds:
                env[s.env_key].append(r)
        if self._tables:
            self._table_readings(raw, out, env, seen)
        for d in self._rules:
            value, sources = d.rule(env)
            source = " ".join(dict.fromkeys(sources))
            r = d.cache.get((value, source))
            if r is None:
                r = d.cache[(value, source)] = make_reading(d.name, value, d.labels, source, ())
                if len(d.cache) > 4096:
                    d.cache.clear()
            if d.emit:
                _emit(r, out, seen) if d.dup else out.append(r)
            if d.feeds:
                env[d.env_key].append(r)
        if seen:
            out.extend(seen.values())
        return tuple(out)

    def _table_readings(self, raw: Mapping[str, SnmpValue], out: list[Reading], env: dict[str, list[Reading]],
                        seen: dict[tuple[str, tuple[tuple[str, str], ...]], Reading]) -> None:
        cols: dict[str, dict[str, object]] = {root: {} for root in self._roots}
        cells = self._cells
        for k, v in raw.items():
            where = cells.get(k)
            if where is None:
                where = self._locate(k)
            for root, index in where:
                cols[root][index] = v
        for t in self._tables:
            rows = cols[t.index]
            if not rows:
                continue
            columns = [(c, cols[c.oid]) for c in t.columns]
            limit = t.max_index(raw) if t.limit_oid else None
            for index in (sorted(rows, key=_index_key) if t.pick_first else rows):
                if limit is not None and _index_key(index)[0] > limit:
                    continue  # a row beyond the count the device declares (a phase it does not have)
                if t.where and not t.passes(index, cols):
                    continue
                row = t.row(index, cols)
                made: list[tuple[Column, Reading]] = []
                for c, values in columns:
                    cell = values.get(index, MISSING)
                    r: object = None
                    if c.plain and type(cell) in CACHEABLE:
                        r = c.cache.get((cell, row))
                    if r is None:
                        r = c.reading(cell, row, cols, raw)
                    if r is ABSENT:
                        break
                    made.append((c, r))  # type: ignore[arg-type]
                else:
                    for c, r in made:
                        if c.emit:
                            _emit(r, out, seen) if c.dup else out.append(r)
                        if c.feeds:
                            env[c.env_key].append(r)
                    if t.pick_first:
                        break


    def _locate(self, key: str) -> tuple[tuple[str, str], ...]:
        """Which column's cell a raw key is, and of which row (remembered; bounded)."""
        where = []
        for arcs, roots in self._groups:
            cut = len(key)
            for _ in range(arcs):
                cut = key.rfind(".", 0, cut)
            if cut > 0 and key[:cut] in roots:
                where.append((key[:cut], key[cut + 1:]))
        if len(self._cells) >= _CELLS_MAX:
            self._cells.clear()
        found = self._cells[key] = tuple(where)
        return found


def _emit(r: Reading, out: list[Reading], seen: dict[tuple[str, tuple[tuple[str, str], ...]], Reading]) -> None:
    """A reading that another slot may also produce: the first known value wins."""
    key = (r.name, r.labels)
    prev = seen.get(key)
    if prev is None or (prev.value is None and r.value is not None):
        seen[key] = r


def _env_key(profile: str, name: str) -> str:
    return f"{profile}/{name}" if is_local(name) else name


def _column(spec: ColumnSpec, *, resolve: Callable[[str], str], needed: set[str]) -> Column:
    key = resolve(spec.reading)
    return Column(spec, key, key in needed)


_compiled: dict[tuple[int, ...], tuple[tuple[Profile, ...], CompiledProfiles]] = {}


def compile_profiles(profiles: Sequence[Profile]) -> CompiledProfiles:
    """Compile ``profiles`` (the ``system`` profile is added first unless given). Cached by
    profile identity: many sites share a combination. Dry contacts not yet wired to a site's
    ``inputs`` (``contacts.wire``) read as their profile's defaults. Raises ``ProfileError`` if
    a profile is inconsistent (profiles from ``load_profiles`` have been checked already)."""
    chosen = tuple(wire(p, None) for p in profiles)
    if not any(p.name == SYSTEM_PROFILE for p in chosen):
        chosen = (shipped_profile(SYSTEM_PROFILE), *chosen)
    key = tuple(id(p) for p in chosen)
    hit = _compiled.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], chosen, strict=True)):
        return hit[1]
    names = [p.name for p in chosen]
    if len(set(names)) != len(names):
        raise ProfileError(f"a profile is listed twice: {', '.join(names)}")
    for p in chosen:
        issues = profile_issues(p)
        if issues:
            raise ProfileError("\n".join(f"profile {p.name}: {render_path(path)}: {why}" for path, why in issues))
    compiled = CompiledProfiles(chosen)
    if len(_compiled) >= _CACHE_MAX:
        _compiled.clear()
    _compiled[key] = (chosen, compiled)
    return compiled
