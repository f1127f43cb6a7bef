"""``derive`` rules compiled into functions over the readings of one poll.

A rule reads every instance of the names it uses (all phases of ``input_voltage_volts``,
every ``alarm_active``) from ``env`` — the readings produced so far, by name — and returns
its value with the sources it looked at (``max``: the one its value came from). Unknown inputs
are skipped, never guessed: a rule whose inputs are all unknown is unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sitewatch.core.model import Reading
from sitewatch.snmp.profile_schema import Condition, DeriveSpec

__all__ = ["Env", "Rule", "compile_rule"]

#: readings of the current poll by name (local names are namespaced by the caller)
Env = Mapping[str, Sequence[Reading]]
#: env → (value, sources consulted)
Rule = Callable[[Env], tuple[float | str | None, list[str]]]


def _norm(v: Any) -> Any:
    """Compare like reading values: bools and numbers as floats, states as text."""
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, int | float):
        return float(v)
    return v


def _predicate(c: Condition) -> Callable[[float | str], bool]:
    op, arg = c.comparison()
    if op == "in_":
        allowed = frozenset(_norm(a) for a in arg)
        return lambda x: x in allowed
    v = _norm(arg)
    if op == "eq":
        return lambda x: x == v
    if op == "ne":
        return lambda x: x != v
    compare = {"gt": float.__gt__, "ge": float.__ge__, "lt": float.__lt__, "le": float.__le__}[op]
    return lambda x: type(x) is float and compare(x, v)


class _Test:
    __slots__ = ("labels", "name", "pred")

    def __init__(self, c: Condition, name: str) -> None:
        self.name = name
        self.labels = tuple(sorted(c.labels.items()))
        self.pred = _predicate(c)


def _scan(env: Env, tests: Sequence[_Test]) -> tuple[int, int, list[str]]:
    """(instances satisfying, instances known, their sources)."""
    hits = known = 0
    sources: list[str] = []
    for t in tests:
        for r in env.get(t.name, ()):
            if t.labels and not all(p in r.labels for p in t.labels):
                continue
            x = r.value
            if x is None:
                continue
            known += 1
            sources.append(r.source)
            if t.pred(x):
                hits += 1
    return hits, known, sources


def _first_number(env: Env, name: str) -> Reading | None:
    for r in env.get(name, ()):
        if type(r.value) is float:
            return r
    return None


def compile_rule(spec: DeriveSpec, resolve: Callable[[str], str]) -> Rule:
    """``resolve`` maps a name used in the rule to its key in ``env``."""
    op = spec.op()
    if op in ("any", "none", "count"):
        conds: tuple[Condition, ...] = getattr(spec, op)
        tests = tuple(_Test(c, resolve(c.of)) for c in conds)

        def boolean(env: Env) -> tuple[float | str | None, list[str]]:
            hits, known, sources = _scan(env, tests)
            if not known:
                return None, sources
            if op == "count":
                return float(hits), sources
            return (1.0 if hits else 0.0) if op == "any" else (0.0 if hits else 1.0), sources

        return boolean
    if spec.max is not None:
        of, want = resolve(spec.max.of), tuple(sorted(spec.max.labels.items()))

        def highest(env: Env) -> tuple[float | str | None, list[str]]:
            top: float | None = None
            source = ""
            for r in env.get(of, ()):
                x = r.value
                if type(x) is float and (top is None or x > top) and (not want or all(p in r.labels for p in want)):
                    top, source = x, r.source
            return (None, []) if top is None else (top, [source])

        return highest
    if spec.bands is not None:
        of = resolve(spec.bands.of)
        below = spec.bands.below
        otherwise = spec.bands.otherwise

        def bands(env: Env) -> tuple[float | str | None, list[str]]:
            r = _first_number(env, of)
            if r is None:
                return None, []
            x = r.value
            state = next((s for limit, s in below if x < limit), otherwise)  # type: ignore[operator]
            return state, [r.source]

        return bands
    assert spec.ratio is not None
    num, den = resolve(spec.ratio.of), resolve(spec.ratio.per)
    lo, hi = spec.ratio.range

    def ratio(env: Env) -> tuple[float | str | None, list[str]]:
        a, b = _first_number(env, num), _first_number(env, den)
        if a is None or b is None:
            return None, []
        sources = [a.source, b.source]
        if not b.value:
            return None, sources
        q = a.value / b.value  # type: ignore[operator]
        return (q if lo <= q <= hi else None), sources

    return ratio
