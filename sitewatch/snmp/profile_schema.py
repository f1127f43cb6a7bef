"""The device profile format: pydantic models checked once, when a profile is loaded.

Nothing here runs on the poll path: ``mapping`` compiles a validated ``Profile`` into plain
closures and lookups. The format itself is documented in ``sitewatch/snmp/profiles.py`` and
``sitewatch/profiles/README.md``; the models below are its single source of truth.

The checks that need the whole profile (reading kinds, labels, local names) are in
``profile_checks``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "ABSENT_ROW",
    "LOCAL_NAME",
    "NUMERIC_TYPES",
    "BandsSpec",
    "ColumnSpec",
    "Condition",
    "ContactSpec",
    "DeriveSpec",
    "EntityScaleSpec",
    "InfoSpec",
    "LabelSpec",
    "MaxSpec",
    "Profile",
    "RatioSpec",
    "ScalarSpec",
    "ScaleFromSpec",
    "TableSpec",
    "UnknownWhenSpec",
    "ValueSpec",
    "ValueType",
    "WhereSpec",
    "is_local",
]

#: enum target meaning "this table row does not exist" (e.g. ifOperStatus notPresent)
ABSENT_ROW = "absent"

_OID_RE = re.compile(r"^[0-9]+(\.[0-9]+)+$")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
#: info names become Prometheus label names (``sitewatch_link_info``): snake_case
_LABEL_RE = re.compile(r"^[a-z][a-z0-9_]*$")
#: a profile-local name (``_ac_fail``)
LOCAL_NAME = re.compile(r"^_[a-z0-9_]+$")

ValueType = Literal["int", "gauge", "timeticks", "string-number", "enum", "bool", "present"]
NUMERIC_TYPES = frozenset({"int", "gauge", "timeticks", "string-number"})


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
        if not _LABEL_RE.match(v):
            raise ValueError("info names are label names: snake_case (lower case letters, digits and '_')")
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


class UnknownWhenSpec(_Spec):
    """Another object saying a reading's value is not a measurement (a sensor the controller
    reports as notPresent, a phase a single-phase plant does not have): the value is unknown
    while the scalar ``oid`` (or, for a table column, the same row's ``column``) is ``in`` the
    list, and, when ``value_in`` is given, the reading's own raw value is one of those too."""

    oid: Oid | None = None
    column: Oid | None = None
    in_: tuple[Text, ...] = Field(alias="in")
    value_in: tuple[Number, ...] | None = None

    @model_validator(mode="after")
    def _one(self) -> UnknownWhenSpec:
        if (self.oid is None) == (self.column is None):
            raise ValueError("unknown_when needs exactly one of oid (a scalar) or column (of the same row)")
        if not self.in_:
            raise ValueError("unknown_when needs a non-empty 'in' list")
        return self


class ValueSpec(_Spec):
    oid: Oid
    #: a canonical reading name, or a profile-local name starting with ``_`` (for ``derive``)
    reading: str
    type: ValueType
    scale: Number = 1.0
    offset: Number = 0.0
    enum: dict[Text, EnumTarget] = {}
    #: raw values that mean "unknown" (checked before scaling)
    unknown: tuple[Number, ...] = ()
    #: other objects whose value makes this one unknown
    unknown_when: tuple[UnknownWhenSpec, ...] = ()
    #: valid range of the final value in base units; outside = unknown
    range: tuple[Number, Number] | None = None
    #: use the magnitude (a -48 V plant reporting -53500 mV → 53.5 V)
    absolute: bool = False
    labels: dict[str, Text] = {}
    scale_from: ScaleFromSpec | None = None
    info: tuple[InfoSpec, ...] = ()
    #: keep only these bits of an integer before the ``enum`` lookup (a status bitmap:
    #: ``mask: 128`` with ``enum: {0: false, 128: true}`` reads bit 7)
    mask: Annotated[int, Field(ge=1, le=0xFFFFFFFF)] | None = None

    @model_validator(mode="after")
    def _shape(self) -> ValueSpec:
        if self.type == "enum" and not self.enum:
            raise ValueError("type enum needs an 'enum' map")
        if self.enum and self.type not in ("enum", "bool"):
            raise ValueError(f"'enum' is for types enum and bool, not {self.type}")
        if self.mask is not None and self.type not in ("enum", "bool"):
            raise ValueError(f"'mask' is for types enum and bool, not {self.type}")
        if self.mask is not None:
            never = [k for k in self.enum if not k.strip().isdigit() or int(k) & ~self.mask]
            if never:
                raise ValueError(f"enum keys {', '.join(never)} have bits outside mask {self.mask}: they never match")
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError("range must be [low, high]")
        if self.type not in NUMERIC_TYPES and (self.scale != 1.0 or self.offset or self.scale_from or self.unknown
                                                 or self.absolute):
            raise ValueError(f"scale, offset, scale_from, absolute and unknown apply to numbers, not type {self.type}")
        return self


class ScalarSpec(ValueSpec):
    """One scalar OID mapped to one reading."""

    #: also fetch the OID without its trailing ``.0`` and use it when ``.0`` has no value
    instance_optional: bool = False

    @model_validator(mode="after")
    def _instance(self) -> ScalarSpec:
        if self.instance_optional and not self.oid.endswith(".0"):
            raise ValueError("instance_optional needs an OID ending in .0")
        return self


class ColumnSpec(ValueSpec):
    """One table column mapped to one reading per row."""

    entity_scale: EntityScaleSpec | None = None


class LabelSpec(_Spec):
    """Where a table label's value comes from: ``index``, or columns tried in order (the first
    non-empty text wins; the row index is the last resort), optionally renamed by ``map``."""

    from_: Literal["index"] | tuple[Oid, ...] = Field(alias="from")
    map: dict[Text, str] = {}


class WhereSpec(_Spec):
    """A row filter: the column's value must be ``in`` the list, not ``not_in`` it, and/or
    ``contain`` the text (case-insensitive). ``missing_ok`` keeps rows whose agent does not
    report the column."""

    column: Oid
    in_: tuple[Text, ...] | None = Field(default=None, alias="in")
    not_in: tuple[Text, ...] | None = None
    contains: str | None = None
    missing_ok: bool = False

    @model_validator(mode="after")
    def _one(self) -> WhereSpec:
        if self.in_ is None and self.not_in is None and self.contains is None:
            raise ValueError("a where clause needs 'in', 'not_in' or 'contains'")
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
    #: a scalar holding how many rows the device has (upsInputNumLines): rows with a higher
    #: index do not exist, whatever they read; without a usable value every row counts
    max_index_from: Oid | None = None
    columns: tuple[ColumnSpec, ...]

    @field_validator("index_info")
    @classmethod
    def _index_info(cls, v: str | None) -> str | None:
        if v is not None and not _LABEL_RE.match(v):
            raise ValueError("index_info is a label name: snake_case (lower case letters, digits and '_')")
        return v

    @model_validator(mode="after")
    def _info(self) -> TableSpec:
        if any(i.instance_optional for i in self.info):
            raise ValueError("instance_optional is for scalars, not table columns")
        if self.max_index_from is not None and self.index_arcs != 1:
            raise ValueError("max_index_from needs a table indexed by one number (index_arcs: 1)")
        return self


class ContactSpec(_Spec):
    """A dry-contact input of a site controller. Which raw values of ``oid`` mean the contact is
    open and which closed is the device's business (here); what the contact *means* (mains,
    door, smoke...) is the site's wiring, given on the site's SNMP target (``inputs:``).
    ``means``/``alarm_when``/``name`` are this profile's default wiring, used only for a target
    that gives no ``inputs``."""

    input: Annotated[int, Field(ge=0, le=9999)]
    oid: Oid
    #: raw value → ``open`` or ``closed``; any other value reads as unknown
    states: dict[Text, Literal["open", "closed"]]
    info: tuple[InfoSpec, ...] = ()
    means: str | None = None
    alarm_when: Literal["open", "closed"] | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _states(self) -> ContactSpec:
        if set(self.states.values()) != {"open", "closed"}:
            raise ValueError("states must map raw values to both open and closed")
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


class MaxSpec(_Spec):
    """The highest known value among every instance of ``of`` (e.g. the probes of a table),
    optionally only the instances with these ``labels``."""

    of: str
    labels: dict[str, Text] = {}


class DeriveSpec(_Spec):
    """A reading computed from others. Exactly one of:

    ``any``   1 if some condition holds for some instance, 0 if none does (unknown if nothing known)
    ``none``  the opposite of ``any``
    ``count`` how many instances satisfy the conditions (unknown if nothing known)
    ``max``   the highest known value (unknown if nothing known)
    ``bands`` a state from thresholds;  ``ratio`` a quotient
    """

    reading: str
    labels: dict[str, Text] = {}
    any: tuple[Condition, ...] | None = None
    none: tuple[Condition, ...] | None = None
    count: tuple[Condition, ...] | None = None
    max: MaxSpec | None = None
    bands: BandsSpec | None = None
    ratio: RatioSpec | None = None

    def op(self) -> str:
        return _exactly_one(self, ("any", "none", "count", "max", "bands", "ratio"), "a derive rule")[0]

    def inputs(self) -> tuple[str, ...]:
        """The names this rule reads."""
        if self.bands is not None:
            return (self.bands.of,)
        if self.ratio is not None:
            return (self.ratio.of, self.ratio.per)
        if self.max is not None:
            return (self.max.of,)
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
    #: dry-contact inputs whose meaning each site sets (see ``sitewatch.snmp.contacts``)
    contacts: tuple[ContactSpec, ...] = ()

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
