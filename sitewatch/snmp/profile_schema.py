"""The device profile format: pydantic models checked once, when a profile is loaded.

Nothing here runs on the poll path: ``mapping`` compiles a validated ``Profile`` into plain
closures and lookups. The format itself is documented in ``sitewatch/snmp/profiles.py`` and
``sitewatch/profiles/README.md``; the models below are its single source of truth.

``profile_issues`` holds the checks that need the whole profile (reading kinds against value
types, labels against ``CANONICAL``, local names used by ``derive``); each issue carries the
path of the offending field so the loader can name the line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from sitewatch.model import CANONICAL, ReadingKind

__all__ = [
    "ABSENT_ROW",
    "BandsSpec",
    "ColumnSpec",
    "Condition",
    "DeriveSpec",
    "EntityScaleSpec",
    "InfoSpec",
    "LabelSpec",
    "Profile",
    "RatioSpec",
    "ScalarSpec",
    "ScaleFromSpec",
    "TableSpec",
    "ValueType",
    "WhereSpec",
    "is_local",
    "profile_issues",
]

#: enum target meaning "this table row does not exist" (e.g. ifOperStatus notPresent)
ABSENT_ROW = "absent"

_OID_RE = re.compile(r"^[0-9]+(\.[0-9]+)+$")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_LOCAL_RE = re.compile(r"^_[a-z0-9_]+$")

ValueType = Literal["int", "gauge", "timeticks", "string-number", "enum", "bool", "present"]
_NUMERIC_TYPES = frozenset({"int", "gauge", "timeticks", "string-number"})

Path = tuple[str | int, ...]


def _oid(v: object) -> object:
    if isinstance(v, str):
        v = v.strip().removeprefix(".")
        if not _OID_RE.match(v):
            raise ValueError(f"not a dotted numeric OID: {v!r}")
    return v


def _text(v: object) -> object:
    """Label values and enum keys are text; YAML reads ``1`` as an int."""
    return str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v


Oid = Annotated[str, BeforeValidator(_oid)]
Text = Annotated[str, BeforeValidator(_text)]
Number = Annotated[float, Field(allow_inf_nan=False)]
#: an enum target: a state name, a bool, a number, null (= unknown) or ``absent`` (tables)
EnumTarget = bool | float | str | None


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class InfoSpec(_Spec):
    """A descriptive extra shown with a reading (``Reading.info``): ifAlias, manufacturer."""

    name: str
    oid: Oid
    #: also fetch the OID without its trailing ``.0`` (agents that forget the instance)
    instance_optional: bool = False

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME_RE.match(v):
            raise ValueError("info names are lower case letters, digits, '_' and '-'")
        return v


class ScaleFromSpec(_Spec):
    """Scale chosen by another scalar, for agents whose unit is a setting (A or dA, °C or °F).

    ``map`` goes from the selector's value to a scale, or to ``[scale, offset]``; any other
    selector value makes the reading unknown."""

    oid: Oid
    map: dict[Text, Number | tuple[Number, Number]]


class EntityScaleSpec(_Spec):
    """ENTITY-SENSOR-MIB style scaling: value x 10^(3 x (scale - 9)) / 10^precision, with
    ``scale`` (SensorDataScale) and ``precision`` (SensorPrecision) read from the same row."""

    scale: Oid
    precision: Oid


class _ValueSpec(_Spec):
    oid: Oid
    #: a canonical reading name, or a profile-local name starting with ``_`` (for ``derive``)
    reading: str
    type: ValueType
    scale: Number = 1.0
    offset: Number = 0.0
    enum: dict[Text, EnumTarget] = {}
    #: raw values that mean "unknown" (checked before scaling)
    unknown: tuple[Number, ...] = ()
    #: valid range of the final value in base units; outside = unknown
    range: tuple[Number, Number] | None = None
    #: use the magnitude (a -48 V plant reporting -53500 mV → 53.5 V)
    absolute: bool = False
    labels: dict[str, Text] = {}
    scale_from: ScaleFromSpec | None = None
    info: tuple[InfoSpec, ...] = ()

    @model_validator(mode="after")
    def _shape(self) -> _ValueSpec:
        if self.type == "enum" and not self.enum:
            raise ValueError("type enum needs an 'enum' map")
        if self.enum and self.type not in ("enum", "bool"):
            raise ValueError(f"'enum' is for types enum and bool, not {self.type}")
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError("range must be [low, high]")
        if self.type not in _NUMERIC_TYPES and (self.scale != 1.0 or self.offset or self.scale_from or self.unknown
                                                 or self.absolute):
            raise ValueError(f"scale, offset, scale_from, absolute and unknown apply to numbers, not type {self.type}")
        return self


class ScalarSpec(_ValueSpec):
    """One scalar OID mapped to one reading."""

    #: also fetch the OID without its trailing ``.0`` and use it when ``.0`` has no value
    instance_optional: bool = False

    @model_validator(mode="after")
    def _instance(self) -> ScalarSpec:
        if self.instance_optional and not self.oid.endswith(".0"):
            raise ValueError("instance_optional needs an OID ending in .0")
        return self


class ColumnSpec(_ValueSpec):
    """One table column mapped to one reading per row."""

    entity_scale: EntityScaleSpec | None = None


class LabelSpec(_Spec):
    """Where a table label's value comes from: ``index``, or columns tried in order (the first
    non-empty text wins; the row index is the last resort), optionally renamed by ``map``."""

    from_: Literal["index"] | tuple[Oid, ...] = Field(alias="from")
    map: dict[Text, str] = {}


class WhereSpec(_Spec):
    """A row filter: the column's value must be ``in`` the list and/or ``contain`` the text
    (case-insensitive). ``missing_ok`` keeps rows whose agent does not report the column."""

    column: Oid
    in_: tuple[Text, ...] | None = Field(default=None, alias="in")
    contains: str | None = None
    missing_ok: bool = False

    @model_validator(mode="after")
    def _one(self) -> WhereSpec:
        if self.in_ is None and self.contains is None:
            raise ValueError("a where clause needs 'in' or 'contains'")
        return self


class TableSpec(_Spec):
    """A table: rows are the indices found under ``index`` (a column OID)."""

    name: str
    index: Oid
    #: how many arcs the index has (IF-MIB: 1)
    index_arcs: Annotated[int, Field(ge=1, le=16)] = 1
    labels: dict[str, LabelSpec] = {}
    info: tuple[InfoSpec, ...] = ()
    #: name under which the row index is shown in ``info`` (``ifIndex``)
    index_info: str | None = None
    where: tuple[WhereSpec, ...] = ()
    #: ``first``: only the first row (lowest index) passing ``where`` produces readings
    pick: Literal["all", "first"] = "all"
    columns: tuple[ColumnSpec, ...]

    @model_validator(mode="after")
    def _info(self) -> TableSpec:
        if any(i.instance_optional for i in self.info):
            raise ValueError("instance_optional is for scalars, not table columns")
        return self


class Condition(_Spec):
    """A test on every instance of a reading (or local name) ``of``, optionally only the
    instances with these ``labels``. Exactly one comparison."""

    of: str
    labels: dict[str, Text] = {}
    eq: bool | Number | str | None = None
    ne: bool | Number | str | None = None
    in_: tuple[bool | Number | str, ...] | None = Field(default=None, alias="in")
    gt: Number | None = None
    ge: Number | None = None
    lt: Number | None = None
    le: Number | None = None

    def comparison(self) -> tuple[str, Any]:
        return _exactly_one(self, ("eq", "ne", "in_", "gt", "ge", "lt", "le"), "a condition")

    _one = model_validator(mode="after")(lambda self: self.comparison() and self)


class BandsSpec(_Spec):
    """A state from a number: the first ``below`` threshold the value is under, else ``otherwise``."""

    of: str
    below: tuple[tuple[Number, str], ...]
    otherwise: str


class RatioSpec(_Spec):
    """``of`` / ``per`` (e.g. remaining / total capacity), unknown outside ``range``."""

    of: str
    per: str
    range: tuple[Number, Number] = (0.0, 1.0)


class DeriveSpec(_Spec):
    """A reading computed from others. Exactly one of:

    ``any``   1 if some condition holds for some instance, 0 if none does (unknown if nothing known)
    ``none``  the opposite of ``any``
    ``count`` how many instances satisfy the conditions (unknown if nothing known)
    ``bands`` a state from thresholds;  ``ratio`` a quotient
    """

    reading: str
    labels: dict[str, Text] = {}
    any: tuple[Condition, ...] | None = None
    none: tuple[Condition, ...] | None = None
    count: tuple[Condition, ...] | None = None
    bands: BandsSpec | None = None
    ratio: RatioSpec | None = None

    def op(self) -> str:
        return _exactly_one(self, ("any", "none", "count", "bands", "ratio"), "a derive rule")[0]

    def inputs(self) -> tuple[str, ...]:
        """The names this rule reads."""
        if self.bands is not None:
            return (self.bands.of,)
        if self.ratio is not None:
            return (self.ratio.of, self.ratio.per)
        conds = self.any or self.none or self.count or ()
        return tuple(c.of for c in conds)

    _one = model_validator(mode="after")(lambda self: self.op() and self)


class Profile(_Spec):
    """One device profile: how to read one MIB (or one vendor's MIB) into canonical readings."""

    name: str
    description: str
    #: sysObjectID prefixes that select this profile automatically
    sys_object_ids: tuple[Oid, ...] = ()
    #: an OID fetched with GET during detection; a value means the profile applies
    probe: Oid | None = None
    #: a column walked during detection; any row means the profile applies
    probe_walk: Oid | None = None
    scalars: tuple[ScalarSpec, ...] = ()
    tables: tuple[TableSpec, ...] = ()
    derive: tuple[DeriveSpec, ...] = ()

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME_RE.match(v):
            raise ValueError("profile names are lower case letters, digits, '_' and '-'")
        return v


def _exactly_one(spec: BaseModel, fields: tuple[str, ...], what: str) -> tuple[str, Any]:
    given = [(f, v) for f in fields if (v := getattr(spec, f)) is not None]
    if len(given) != 1:
        raise ValueError(f"{what} needs exactly one of {', '.join(f.rstrip('_') for f in fields)}")
    return given[0]


def is_local(name: str) -> bool:
    """A profile-local name (``_ac_fail``): computed for ``derive``, never emitted."""
    return name.startswith("_")


def profile_issues(profile: Profile) -> list[tuple[Path, str]]:
    """Every problem needing the whole profile, as (path of the field, reason)."""
    return list(_Checker(profile).issues())


class _Checker:
    def __init__(self, profile: Profile) -> None:
        self.p = profile
        #: local names defined so far (a derive rule may only use names defined before it)
        self.local: set[str] = set()

    def issues(self) -> Iterator[tuple[Path, str]]:
        for i, s in enumerate(self.p.scalars):
            yield from self._value(("scalars", i), s, dict(s.labels), in_table=False)
        for i, t in enumerate(self.p.tables):
            for j, c in enumerate(t.columns):
                dynamic = dict.fromkeys(t.labels, "") | dict(c.labels)
                yield from self._value(("tables", i, "columns", j), c, dynamic, in_table=True)
                if c.entity_scale is not None and c.type not in _NUMERIC_TYPES:
                    yield ("tables", i, "columns", j, "entity_scale"), "entity_scale applies to numbers"
        for i, d in enumerate(self.p.derive):
            yield from self._derive(("derive", i), d)

    def _value(self, path: Path, s: _ValueSpec, labels: dict[str, str], *, in_table: bool
               ) -> Iterator[tuple[Path, str]]:
        targets = list(s.enum.values())
        if s.type == "enum" or (s.type == "bool" and s.enum):
            bad_keys = [k for k in s.enum if not k.strip()]
            if bad_keys:
                yield (*path, "enum"), "enum keys must not be empty"
        if not in_table and ABSENT_ROW in targets:
            yield (*path, "enum"), f"{ABSENT_ROW!r} (drop the row) is only for table columns"
        targets = [t for t in targets if t != ABSENT_ROW]
        if is_local(s.reading):
            if not _LOCAL_RE.match(s.reading):
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
        if s.type in _NUMERIC_TYPES and kind is not ReadingKind.NUMBER:
            yield (*path, "type"), f"{s.reading} is a {kind.value} reading: use type enum or bool, not {s.type}"
        if s.type == "present" and kind is not ReadingKind.BOOL:
            yield (*path, "type"), f"type present makes a bool, but {s.reading} is a {kind.value} reading"
        if s.type in ("enum", "bool"):
            yield from _targets_ok((*path, "enum"), s.reading, kind, canon.states, targets)
            if s.type == "bool" and kind is not ReadingKind.BOOL:
                yield (*path, "type"), f"type bool makes a bool, but {s.reading} is a {kind.value} reading"

    def _derive(self, path: Path, d: DeriveSpec) -> Iterator[tuple[Path, str]]:
        op = d.op()
        for name in d.inputs():
            if is_local(name) and name not in self.local:
                yield (*path, op), f"{name!r} is not a local name defined earlier in this profile"
            elif not is_local(name) and name not in CANONICAL:
                yield (*path, op), f"unknown reading {name!r}"
        for k, c in enumerate(d.any or d.none or d.count or ()):
            canon = CANONICAL.get(c.of)
            extra = set(c.labels) - set(canon.labels if canon else ())
            if extra:
                yield (*path, op, k, "labels"), f"{c.of} has no label {sorted(extra)[0]!r}"
        if is_local(d.reading):
            if not _LOCAL_RE.match(d.reading):
                yield (*path, "reading"), "local names are '_' then lower case letters, digits and '_'"
            self.local.add(d.reading)
            return
        yield from _reading_ok(path, d.reading, dict(d.labels))
        canon = CANONICAL.get(d.reading)
        if canon is None:
            return
        want = {"any": ReadingKind.BOOL, "none": ReadingKind.BOOL, "count": ReadingKind.NUMBER,
                "bands": ReadingKind.STATE, "ratio": ReadingKind.NUMBER}[op]
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


def _reading_ok(path: Path, name: str, labels: dict[str, str]) -> Iterator[tuple[Path, str]]:
    canon = CANONICAL.get(name)
    if canon is None:
        yield (*path, "reading"), f"unknown reading {name!r} (see CANONICAL in sitewatch/model.py)"
        return
    if set(labels) != set(canon.labels):
        want = ", ".join(canon.labels) or "no labels"
        yield (*path, "labels"), f"{name} takes {want}, got {', '.join(sorted(labels)) or 'none'}"


def _targets_ok(path: Path, name: str, kind: ReadingKind, states: tuple[str, ...], targets: list[Any]
                ) -> Iterator[tuple[Path, str]]:
    for t in targets:
        if t is None:
            continue
        if kind is ReadingKind.BOOL and not isinstance(t, bool):
            yield path, f"{name} is a bool reading: map to true, false or null, not {t!r}"
        elif kind is ReadingKind.STATE and t not in states:
            yield path, f"{t!r} is not a state of {name} ({', '.join(states)})"
        elif kind is ReadingKind.NUMBER and (isinstance(t, bool | str) or not math.isfinite(t)):
            yield path, f"{name} is a number reading: map to numbers or null, not {t!r}"
