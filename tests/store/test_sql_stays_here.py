"""No SQL outside ``sitewatch/store/``: the database has one owner, so a second engine
(PostgreSQL) or a schema change is one package's work. The one exception is the simulator's
snmpsim data file (see the ``sitewatch.store`` docstring)."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "sitewatch"
STORE = PACKAGE / "store"
#: the simulated fleet's snmpsim table file: snmpsim's agent data, not sitewatch's database
ALLOWED = {PACKAGE / "simulator" / "responder.py"}

SQL = re.compile(
    r"\b(SELECT\s+[\w*(]|INSERT(\s+OR\s+\w+)?\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|REPLACE\s+INTO"
    r"|(CREATE|DROP|ALTER)\s+(UNIQUE\s+)?(TABLE|INDEX|VIEW|TRIGGER)|PRAGMA|SAVEPOINT|ROLLBACK)\b"
    r"|\bimport sqlite3\b|\.(execute|executemany|executescript)\(")


def _sql_lines(path: Path) -> list[str]:
    return [f"{path.relative_to(PACKAGE.parent)}:{n}: {line.strip()}"
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if SQL.search(line)]


def test_no_sql_outside_the_store() -> None:
    found = [line for path in sorted(PACKAGE.rglob("*.py")) if STORE not in path.parents and path not in ALLOWED
             for line in _sql_lines(path)]
    assert not found, "SQL belongs in sitewatch/store/ (a repository method):\n" + "\n".join(found)


def test_the_pattern_sees_the_sql_that_is_there() -> None:
    """The check above finds what it looks for: the store's own modules, and the allowed
    exception (once it has no SQL left, drop it from ``ALLOWED``)."""
    for module in ("database.py", "schema.py", "incidents.py", "escalations.py", "outbox.py"):
        assert _sql_lines(STORE / module), module
    for path in ALLOWED:
        assert _sql_lines(path), f"{path} has no SQL any more: remove it from ALLOWED"


def test_operator_words_that_look_like_sql_are_not_sql() -> None:
    """``MessageKind.UPDATE`` and ``DELETE /api/v1/maintenance/{id}`` are not queries."""
    assert not SQL.search('UPDATE = "update"  #: more sites joined a group already paged')
    assert not SQL.search("someone ended by hand (``DELETE /api/v1/maintenance/{id}``)")
    assert SQL.search("conn.execute('x')")
    assert SQL.search("f\"UPDATE incidents SET {cols} WHERE id = ?\"")
