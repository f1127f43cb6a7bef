"""Read net-snmp ``snmpwalk -On`` output as a recording, so a walk of a new device can be served
(``sitewatch profile test PROFILE device.walk``) without converting it by hand.

Lines look like ``.1.3.6.1.2.1.1.3.0 = Timeticks: (353225) 0:58:52.25``. Enumerations print as
``up(1)`` unless ``-Oe`` is given, TimeTicks as ``(n) h:mm:ss`` unless ``-Ot``: both forms are
read. A quoted string continued on the next lines is joined; ``No Such Object``/``No more
variables`` lines are skipped (the object is then absent, as on the device).
"""

from __future__ import annotations

import re

from sitewatch.simulator.mibs import Row, Table

__all__ = ["is_snmpwalk", "table_from_snmpwalk"]

_LINE = re.compile(r"^\.?(\d+(?:\.\d+)+)\s*=\s*(?:([A-Za-z0-9-]+):\s?)?(.*)$")
_NUMBER = re.compile(r"-?\d+")
_TAGS = {"INTEGER": "2", "Counter32": "65", "Gauge32": "66", "Unsigned32": "66", "Timeticks": "67",
         "Counter64": "70", "IpAddress": "64", "OID": "6"}


def is_snmpwalk(text: str) -> bool:
    """Whether ``text`` is snmpwalk output (``OID = TYPE: value``) rather than snmprec (``OID|TAG|VALUE``)."""
    for line in text.splitlines():
        if line.strip():
            return _LINE.match(line.strip()) is not None and "|" not in line.split("=", 1)[0]
    return False


def _number(kind: str, value: str) -> str | None:
    if kind == "Timeticks" and value.startswith("("):
        value = value[1:].split(")", 1)[0]
    inside = re.search(r"\((-?\d+)\)\s*$", value)  # an enumeration printed by name: up(1)
    found = inside.group(1) if inside else (m.group(0) if (m := _NUMBER.search(value)) else None)
    return found


def _row(kind: str | None, value: str) -> Row | None:
    value = value.strip()
    if kind is None and value.isdigit():
        return ("67", value)  # -Ot prints TimeTicks as a bare number, the only untyped number
    if kind in (None, "STRING"):
        text = value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
        return ("4", text.replace('\\"', '"'))
    if kind == "Hex-STRING":
        return ("4x", value.replace(" ", "").upper())
    if kind == "OID":
        return ("6", value.lstrip("."))
    if kind == "IpAddress":
        return ("64", value)
    tag = _TAGS.get(kind)
    if tag is None:
        return None  # Opaque, BITS, Network Address...: not served
    n = _number(kind, value)
    return None if n is None else (tag, n)


def table_from_snmpwalk(text: str) -> Table:
    """The walk as a table (OID → (snmprec tag, value))."""
    table: Table = {}
    oid, kind, value = "", None, ""

    def flush() -> None:
        if oid:
            row = _row(kind, value)
            if row is not None:
                table[oid] = row

    for line in text.splitlines():
        m = _LINE.match(line.strip())
        if m is None:
            if oid and kind in (None, "STRING") and value.startswith('"') and not value.endswith('"'):
                value += "\n" + line  # a quoted string that goes on
            continue
        flush()
        oid, kind, value = m.group(1), m.group(2), m.group(3)
        if value.startswith(("No Such", "No more variables")):
            oid = ""
    flush()
    return table
