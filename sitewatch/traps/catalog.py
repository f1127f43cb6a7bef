"""Trap maps loaded and compiled: what a received notification says about a site.

``TrapCatalog.interpret(trap_oid, varbinds)`` answers with the trap's name and the conditions
it asserts or clears, from the declarative maps in ``sitewatch/traps/maps`` (see ``schema``)
and any extra directories. It is pure: no I/O after loading, no clock.

A v1 enterprise-specific trap reaches us as ``enterprise.0.specific`` (RFC 3584 §3.1); a MIB
whose NOTIFICATION-TYPEs sit directly under the enterprise node (``dcSystemTraps 11``) names
the same trap ``enterprise.specific``. A lookup that misses on a ``.0.`` OID therefore tries
it again without that ``0``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from sitewatch.config.validation import validation_issues
from sitewatch.config.yamlsource import read_yaml
from sitewatch.core.conditions import Condition
from sitewatch.core.errors import ProfileError
from sitewatch.core.model import SnmpValue
from sitewatch.snmp.values import text_of
from sitewatch.traps.schema import SelectRule, StateFrom, SubjectSpec, TrapMapFile, TrapSpec

__all__ = ["SHIPPED_MAPS", "Assertion", "TrapCatalog", "TrapMeaning", "load_map_file"]

#: the shipped trap maps (package data)
SHIPPED_MAPS = Path(__file__).resolve().parent / "maps"
_SUFFIXES = (".yaml", ".yml")

#: (condition, subject, True = asserted / False = cleared), as in ``TrapEvent.asserts``
Assertion = tuple[Condition, str, bool]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrapMeaning:
    name: str  #: the MIB name (``upsTrapOnBattery``), or the OID when no map knows it
    known: bool  #: a map lists this trap (it may still assert nothing, e.g. coldStart)
    asserts: tuple[Assertion, ...] = ()
    mib: str = ""


def load_map_file(path: str | Path) -> TrapMapFile:
    """Load one trap map. Raises ``ProfileError`` naming file, line and field."""
    path = Path(path)
    doc, issues = read_yaml(path, str(path))
    if doc is None or issues:
        raise ProfileError("\n".join(str(i) for i in issues))
    try:
        return TrapMapFile.model_validate(doc.data)
    except ValidationError as e:
        found = validation_issues(e, doc.data, doc.where, model=TrapMapFile)
        raise ProfileError("\n".join(str(i) for i in found)) from None


def _under(oid: str, root: str) -> bool:
    return oid == root or oid.startswith(root + ".")


def _find(varbinds: Sequence[tuple[str, SnmpValue]], root: str) -> tuple[str, SnmpValue] | None:
    for oid, value in varbinds:
        if _under(oid, root):
            return oid, value
    return None


def _state(spec: bool | StateFrom, varbinds: Sequence[tuple[str, SnmpValue]]) -> bool | None:
    if isinstance(spec, bool):
        return spec
    found = _find(varbinds, spec.varbind)
    if found is None or type(found[1]) is not int:
        return None
    value = found[1]
    return True if value in spec.on else False if value in spec.off else None


def _rule_matches(rule: SelectRule, value: SnmpValue) -> bool:
    if rule.value is not None:
        return type(value) is int and value == rule.value
    if rule.oid is not None:
        return type(value) is str and value == rule.oid
    if rule.prefix is not None:
        return type(value) is str and _under(value, rule.prefix)
    text = text_of(value)
    return text is not None and re.search(rule.pattern or "", text, re.IGNORECASE) is not None


def _subject(spec: SubjectSpec, varbinds: Sequence[tuple[str, SnmpValue]]) -> str:
    for root in spec.from_:
        found = _find(varbinds, root)
        text = text_of(found[1]) if found is not None else None
        if text:
            return text
    for root in spec.index:
        found = _find(varbinds, root)
        if found is not None and found[0] != root:
            return spec.fallback.format(index=found[0][len(root) + 1:])
    return ""


class TrapCatalog:
    """Every known trap by OID. Build with ``TrapCatalog.shipped()`` or ``load(extra_dirs)``."""

    def __init__(self, maps: Iterable[TrapMapFile]) -> None:
        self._traps: dict[str, tuple[TrapSpec, str]] = {}
        for m in maps:
            for t in m.traps:
                self._traps[t.oid] = (t, m.mib)  # a later map replaces an earlier one

    @classmethod
    def load(cls, extra_dirs: Sequence[str | Path] = ()) -> TrapCatalog:
        """The shipped maps, then each directory's files in name order (same OID = replaces)."""
        maps = list(_shipped())
        for d in extra_dirs:
            maps.extend(_load_dir(Path(d)))
        return cls(maps)

    @classmethod
    def shipped(cls) -> TrapCatalog:
        return cls(_shipped())

    def __len__(self) -> int:
        return len(self._traps)

    def lookup(self, trap_oid: str) -> tuple[TrapSpec, str] | None:
        found = self._traps.get(trap_oid)
        if found is None:
            head, _, last = trap_oid.rpartition(".")
            if head.endswith(".0"):
                found = self._traps.get(f"{head[:-2]}.{last}")
        return found

    def interpret(self, trap_oid: str, varbinds: Sequence[tuple[str, SnmpValue]]) -> TrapMeaning:
        """What the trap says. ``varbinds`` are (dotted OID, raw value) as decoded."""
        found = self.lookup(trap_oid)
        if found is None:
            return TrapMeaning(name=trap_oid, known=False)
        spec, mib = found
        state = _state(spec.state, varbinds)
        conditions: tuple[Condition, ...] = spec.conditions
        clears = spec.clears
        if spec.select is not None:
            sel = _find(varbinds, spec.select.varbind)
            rule = None if sel is None else next((r for r in spec.select.rules if _rule_matches(r, sel[1])), None)
            conditions = rule.conditions if rule is not None else ()
            clears = clears and (rule is None or rule.clears)
        if state is None or not conditions or (state is False and not clears):
            return TrapMeaning(name=spec.name, known=True, mib=mib)
        subject = ""
        if spec.subject is not None:
            subject = _subject(spec.subject, varbinds)
            if not subject:
                return TrapMeaning(name=spec.name, known=True, mib=mib)
        return TrapMeaning(name=spec.name, known=True, mib=mib,
                           asserts=tuple((c, subject, state) for c in conditions))


@functools.cache
def _shipped() -> tuple[TrapMapFile, ...]:
    return tuple(_load_dir(SHIPPED_MAPS, unique=True))


def _load_dir(d: Path, *, unique: bool = False) -> list[TrapMapFile]:
    if not d.is_dir():
        raise ProfileError(f"{d}: not a directory of trap maps")
    maps: list[TrapMapFile] = []
    errors: list[str] = []
    owner: dict[str, str] = {}
    for path in sorted(p for p in d.iterdir() if p.suffix in _SUFFIXES and p.is_file()):
        try:
            m = load_map_file(path)
        except ProfileError as e:
            errors.append(str(e))
            continue
        for t in m.traps:
            if unique and t.oid in owner:
                errors.append(f"{path}: trap {t.oid} ({t.name}) is also mapped in {owner[t.oid]}")
            owner[t.oid] = path.name
        maps.append(m)
    if errors:
        raise ProfileError("\n".join(errors))
    return maps
