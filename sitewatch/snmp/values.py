"""Raw SNMP values → canonical values: decoding, sentinels, scale, range.

Each profile field is compiled into one closure that takes whatever the client returned and
gives a value in base units, or ``None`` when the device gave nothing usable (wrong type,
NULL, noSuchObject, a sentinel, text that is not a number, out of range). The closures never
raise and never guess: a reading is unknown rather than wrong. They are built once, at
compile time, so the poll path does one call and a few comparisons per value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Final

from sitewatch.core.devicetext import device_text
from sitewatch.core.model import Reading, SnmpException

__all__ = [
    "ABSENT",
    "CACHEABLE",
    "MISSING",
    "Convert",
    "Number",
    "Value",
    "enum_reader",
    "enum_table",
    "finish",
    "make_reading",
    "number_reader",
    "present",
    "render",
    "text_of",
]


class _Marker:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: the agent returned nothing at all for this OID
MISSING: Final = _Marker("MISSING")
#: an enum said this table row does not exist (the row is dropped)
ABSENT: Final = _Marker("ABSENT")

Value = float | str | None
#: raw value → canonical value (or ABSENT for a row that does not exist)
Convert = Callable[[object], "Value | _Marker"]
#: raw value → number before scaling, or None
Number = Callable[[object], "float | None"]

#: raw value types that are safe as cache keys (bool and float would compare equal to ints)
CACHEABLE: Final = frozenset({int, bytes, str, type(None), SnmpException, _Marker})

_EXC_NAMES: Final = {
    SnmpException.NO_SUCH_OBJECT: "noSuchObject",
    SnmpException.NO_SUCH_INSTANCE: "noSuchInstance",
    SnmpException.END_OF_MIB_VIEW: "endOfMibView",
}


def text_of(raw: object) -> str | None:
    """Text of an OCTET STRING (made safe: ``sitewatch.core.devicetext``), an OID or an integer;
    None for anything else (NULL, exceptions, missing)."""
    if type(raw) is bytes or type(raw) is str:
        return device_text(raw)
    if type(raw) is int:
        return str(raw)
    return None


def render(raw: object) -> str:
    """A raw value as shown in ``Reading.source``: ``412``, ``"54.01"``, ``NULL``, ``noSuchObject``."""
    if type(raw) is int or type(raw) is str:
        return str(raw)
    if type(raw) is bytes:
        text = raw.rstrip(b"\x00")
        if all(32 <= c < 127 for c in text):
            return '"' + text.decode("ascii") + '"'
        return "0x" + raw.hex()
    if raw is None:
        return "NULL"
    if isinstance(raw, SnmpException):
        return _EXC_NAMES[raw]
    if raw is MISSING:
        return "missing"
    return f"<{type(raw).__name__}>"


def number_reader(kind: str, unknown: Iterable[float]) -> Number:
    """The number in a raw value for a numeric field type, sentinels removed.

    ``int``: INTEGER/Integer32; a Gauge32 sent in its place above 2^31 is read as the negative
    number it encodes (4294967295 → -1). ``gauge`` and ``timeticks``: non-negative integers.
    ``string-number``: an integer, or text holding a decimal number (``"54.01"``).
    A value listed in ``unknown`` (as sent, or after that sign correction) is unknown."""
    sentinels = frozenset(unknown)

    def signed(raw: object) -> float | None:
        if type(raw) is not int:
            return None
        v = raw
        if v in sentinels:
            return None
        if v > 0x7FFFFFFF:
            if v > 0xFFFFFFFF:
                return None
            v -= 0x100000000
            if v in sentinels:
                return None
        elif v < -0x80000000:
            return None
        return float(v)

    def unsigned(raw: object) -> float | None:
        if type(raw) is not int or raw in sentinels or raw < 0:
            return None
        return float(raw)

    def text_number(raw: object) -> float | None:
        if type(raw) is int:
            x = float(raw)
        elif type(raw) is bytes or type(raw) is str:
            s = text_of(raw)
            if not s or "_" in s:
                return None
            try:
                x = float(s)
            except ValueError:
                return None
            if not math.isfinite(x):
                return None
        else:
            return None
        return None if x in sentinels else x

    if kind == "int":
        return signed
    if kind in ("gauge", "timeticks"):
        return unsigned
    if kind == "string-number":
        return text_number
    raise ValueError(f"not a numeric type: {kind}")


def finish(number: Number, scale: float, offset: float, valid: tuple[float, float] | None,
           absolute: bool = False) -> Convert:
    """``number`` then x → |x|·scale + offset (or x·scale + offset), unknown outside ``valid``.

    A scale of 1/n divides by n: 539 x 0.1 is 53.900000000000006, 539 / 10 is 53.9."""
    lo, hi = valid if valid is not None else (-math.inf, math.inf)
    inverse = 1.0 / scale if scale else 0.0
    divisor = round(inverse) if abs(scale) < 1 and abs(inverse - round(inverse)) < 1e-9 * abs(inverse) else 0

    def convert(raw: object) -> float | None:
        x = number(raw)
        if x is None:
            return None
        if absolute:
            x = abs(x)
        y = (x / divisor if divisor else x * scale) + offset
        if y < lo or y > hi:
            return None
        return y

    return convert


def _target(value: object) -> Value | _Marker:
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if value == "absent":
        return ABSENT
    return str(value)


def enum_table(enum: Mapping[str, object]) -> dict[int | str, Value | _Marker]:
    """Enum keys as the raw values they match: integer keys match INTEGER values, other keys
    match text (OCTET STRING with NULs stripped, or an OID). Targets become reading values."""
    table: dict[int | str, Value | _Marker] = {}
    for key, value in enum.items():
        k = key.strip()
        try:
            table[int(k)] = _target(value)
        except ValueError:
            table[k] = _target(value)
    return table


def enum_reader(table: Mapping[int | str, Value | _Marker], mask: int | None = None) -> Convert:
    """Raw value → mapped value; an unmapped value (or a wrong type) is unknown. With ``mask``,
    only those bits of an integer are looked up (a status bitmap); text is then unknown."""
    if mask is not None:
        def bits(raw: object) -> Value | _Marker:
            # a Gauge32 bitmap is never negative; an INTEGER one may be (bit 31 set)
            return table.get(raw & mask) if type(raw) is int and -0x80000000 <= raw <= 0xFFFFFFFF else None

        return bits

    def convert(raw: object) -> Value | _Marker:
        if type(raw) is int:
            return table.get(raw)
        if type(raw) is bytes or type(raw) is str:
            s = text_of(raw)
            return table.get(s) if s else None
        return None

    return convert


def present(raw: object) -> float | None:
    """1 for a real value (the row exists); unknown for NULL, exceptions, missing, or anything
    that is not an SNMP value at all."""
    return 1.0 if type(raw) is int or type(raw) is bytes or type(raw) is str else None


_new = object.__new__
_set = object.__setattr__


def make_reading(name: str, value: Value, labels: tuple[tuple[str, str], ...], source: str,
                 info: tuple[tuple[str, str], ...]) -> Reading:
    """The same frozen ``Reading`` as ``Reading(name=..., ...)``, in about half the time: the
    dataclass ``__init__`` parses keywords and then sets each field through
    ``object.__setattr__`` anyway. Every field is set here (a test compares the two)."""
    r: Reading = _new(Reading)
    _set(r, "name", name)
    _set(r, "value", value)
    _set(r, "labels", labels)
    _set(r, "source", source)
    _set(r, "info", info)
    return r
