"""The database: one connection, its transactions, its files. SQLite in WAL mode today.

``Database`` is what the repositories (``incidents``, ``escalations``, ``outbox``) need of an
engine: rows from a query, a write, an insert's new id, and a transaction that nests. The SQL
they pass is SQLite's dialect (``?`` parameters, ``INSERT OR IGNORE``, ``json_each``); an engine
for another database (PostgreSQL) implements the same Protocol and translates or is given its own
statements, without the services above noticing. ``SqliteDatabase`` is the engine used now.

Durability. The database runs in WAL mode with ``synchronous=NORMAL`` by default: a commit is
appended to the WAL file without an fsync, so it survives the *process* being killed (the bytes
are in the OS page cache and reach the disk anyway); only an OS crash or power cut can lose the
last commits before a checkpoint, and even then the database stays consistent (never corrupt,
never half a transaction). ``FULL`` adds an fsync per commit, which on ordinary disks costs
milliseconds per poll result on the daemon's event loop (measured on the development machine:
a transition plus its evaluation state commits in ~80 µs with NORMAL, ~4 ms with FULL).
Because the daemon writes a poll's incident changes and the evaluator's new state in one
transaction, losing the last commits in a power cut rolls both back together and the evaluator
simply re-derives them. Operators who would rather pay the fsync can pass ``synchronous="FULL"``.

Threads. One connection, used from the daemon's event loop; every call is short (a transition
write is tens of microseconds; keep ``transaction()`` blocks free of ``await``). A re-entrant
lock makes it safe if a caller (e.g. a sync HTTP handler in a thread pool) reaches it from
another thread: each call or ``transaction()`` block runs alone.

Transactions. ``with db.transaction():`` groups writes atomically, whichever repositories make
them; nested blocks become savepoints, so a failed inner command is undone without losing the
outer work. Every write opens its own (nested) transaction, so called alone it is atomic too.

Privacy. The file (and its ``-wal`` and ``-shm``) is 0600 and a directory it creates 0700: it
holds contacts and the outbox (see ``sitewatch.core.privatefiles``).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Literal, Protocol

from sitewatch.config.schema import Config
from sitewatch.core.privatefiles import private_dir, private_file
from sitewatch.store.errors import StoreError
from sitewatch.store.schema import migrate

__all__ = ["DATABASE_NAME", "Database", "Repository", "Row", "SqliteDatabase", "database_path"]

DATABASE_NAME = "incidents.sqlite3"


def database_path(config: Config) -> Path:
    """``incidents.database`` (relative to ``daemon.state_dir`` unless absolute), default
    ``<state_dir>/incidents.sqlite3``."""
    state_dir = Path(config.daemon.state_dir)
    return state_dir / (config.incidents.database or DATABASE_NAME)


class Row(Protocol):
    """A result row: its values by column name (or position)."""

    def __getitem__(self, key: str | int, /) -> Any: ...


class Database(Protocol):
    """What the repositories need of a database engine (and its owner: ``close``)."""

    def transaction(self) -> AbstractContextManager[None]:
        """Atomic block; nested blocks join the outer one (as savepoints). Rolls back on any exception."""
        ...

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """The rows a query gives."""
        ...

    def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one write in its own (nested) transaction; returns how many rows it changed."""
        ...

    def execute_many(self, sql: str, params: Iterable[Iterable[Any]]) -> int:
        """Run one write per parameter set, all in one (nested) transaction; returns the rows changed."""
        ...

    def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one ``INSERT`` of a single row; returns the new row's id."""
        ...

    def close(self) -> None:
        """Let the database go (at shutdown, by whoever opened it)."""
        ...


class Repository:
    """Base of the per-area repositories: the database they share and its transactions, so that
    ``with incidents.transaction():`` also covers what the escalation and outbox write inside it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def transaction(self) -> AbstractContextManager[None]:
        """The database's transaction (see ``Database.transaction``)."""
        return self.db.transaction()


class SqliteDatabase:
    """The SQLite database file, migrated to the newest schema on opening. Open it once per
    process; ``close()`` at shutdown."""

    def __init__(self, path: str | os.PathLike[str], *, synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
                 busy_timeout: float = 5.0) -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be NORMAL or FULL, not {synchronous!r}")
        self.path = Path(path)
        if not self.path.parent.exists():
            private_dir(self.path.parent)
        private_file(self.path)  # SQLite gives its -wal and -shm files the database's mode
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=busy_timeout)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open: {exc}") from exc
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"{self.path}: cannot use WAL journal mode (got {mode})")
            conn.execute(f"PRAGMA synchronous={synchronous}")
            conn.execute("PRAGMA foreign_keys=ON")
            self.schema_version = migrate(conn, str(self.path))
            for companion in ("-wal", "-shm"):  # made by an older sitewatch: tightened (and said)
                private_file(self.path.with_name(self.path.name + companion), create=False)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{self.path}: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        self._lock = threading.RLock()
        self._depth = 0

    @property
    def connection(self) -> sqlite3.Connection:
        """The connection itself, for tests and tools that inspect the file (integrity checks);
        sitewatch's own reads and writes go through the repositories."""
        return self._conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SqliteDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def checkpoint(self) -> tuple[int, int]:
        """Copy the WAL into the database file on a connection of its own, without blocking
        writers (``PASSIVE``); returns (WAL pages, pages copied). SQLite checkpoints by itself
        every 1000 pages inside a commit, and with ``synchronous=NORMAL`` that commit then
        waits for an fsync (milliseconds); the daemon keeps that off its event loop by calling
        this every minute or so from a thread (``asyncio.to_thread(db.checkpoint)``)."""
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=5.0)
        try:
            _, wal_pages, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            return int(wal_pages), int(copied)
        finally:
            conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Atomic block; nested blocks are savepoints. Rolls back on any exception."""
        with self._lock:
            depth = self._depth
            self._conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT sw{depth}")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth = depth
                if depth == 0:
                    self._conn.execute("ROLLBACK")
                else:
                    self._conn.execute(f"ROLLBACK TO sw{depth}")
                    self._conn.execute(f"RELEASE sw{depth}")
                raise
            self._depth = depth
            try:
                self._conn.execute("COMMIT" if depth == 0 else f"RELEASE sw{depth}")
            except BaseException:
                if depth == 0 and self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        with self._lock:
            cur = self._conn.execute(sql, tuple(params))
            cur.row_factory = sqlite3.Row
            return list(cur.fetchall())

    def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        with self.transaction():
            return self._conn.execute(sql, tuple(params)).rowcount

    def execute_many(self, sql: str, params: Iterable[Iterable[Any]]) -> int:
        with self.transaction():
            return self._conn.executemany(sql, (tuple(p) for p in params)).rowcount

    def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        with self.transaction():
            row_id = self._conn.execute(sql, tuple(params)).lastrowid
        assert row_id is not None
        return row_id
