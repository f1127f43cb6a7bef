"""One snmpsim process serving every simulated site, each site's objects in its own SQLite table.

snmpsim picks a data file by SNMP community; each site's file delegates the whole tree to the
``sql`` variation module (``1.3.6.1|:sql|site_N``), so what a site answers is exactly the rows of
its table, and an UPDATE from this process changes that site's next answer and no other's
(``writecache`` would keep one value per OID for the whole process). snmpsim stores OIDs with
every arc right-aligned in 10 characters so that text order is OID order; walks work.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from sitewatch.simulator.mibs import Table

__all__ = ["SnmpsimResponder", "sql_oid"]


def sql_oid(oid: str) -> str:
    """The OID as snmpsim's ``sql`` module stores and compares it."""
    return ".".join(f"{arc:>10}" for arc in oid.split("."))


def _die_with_parent() -> None:
    # Linux PR_SET_PDEATHSIG: snmpsim gets SIGTERM if the simulator dies without cleaning up.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


class SnmpsimResponder:
    """The data files, the SQLite database and the snmpsim subprocess, all under ``workdir``."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.database = workdir / "fleet.db"
        self.log_path = workdir / "snmpsim.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self._db: sqlite3.Connection | None = None
        self._written: dict[str, Table] = {}

    def create(self, communities: Mapping[str, str], tables: Mapping[str, Table]) -> None:
        """Fresh data files (community → table name) and tables (table name → rows)."""
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(parents=True)
        self.database.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{self.database}{suffix}").unlink(missing_ok=True)
        self._db = sqlite3.connect(self.database, isolation_level=None)
        # WAL: snmpsim reads while we write, neither waits for the other
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("BEGIN")
        for name in tables:
            self._db.execute(f"CREATE TABLE {name} (oid TEXT PRIMARY KEY, tag TEXT, value TEXT, maxaccess TEXT)")
        self._db.execute("COMMIT")
        for community, name in communities.items():
            (self.data_dir / f"{community}.snmprec").write_text(f"1.3.6.1|:sql|{name}\n")
        self.write(tables)

    def write(self, tables: Mapping[str, Table]) -> int:
        """Bring each named table to the given rows, touching only rows that changed. Returns
        the number of rows written or deleted."""
        assert self._db is not None, "create() first"
        changed = 0
        self._db.execute("BEGIN")
        try:
            for name, rows in tables.items():
                old = self._written.get(name, {})
                upserts = [(sql_oid(oid), tag, value) for oid, (tag, value) in rows.items()
                           if old.get(oid) != (tag, value)]
                deletes = [(sql_oid(oid),) for oid in old.keys() - rows.keys()]
                if upserts:
                    self._db.executemany(f"INSERT OR REPLACE INTO {name} VALUES (?, ?, ?, 'read-only')", upserts)
                if deletes:
                    self._db.executemany(f"DELETE FROM {name} WHERE oid = ?", deletes)
                changed += len(upserts) + len(deletes)
                self._written[name] = dict(rows)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return changed

    def start(self, port: int) -> None:
        """Start snmpsim on 127.0.0.1:``port`` (returns at once; readiness is the caller's probe)."""
        self.port = port
        name = "snmpsim-command-responder"
        exe = shutil.which(name) or str(Path(sys.executable).parent / name)
        cmd = [exe, f"--data-dir={self.data_dir}", f"--cache-dir={self.workdir / 'cache'}",
               f"--agent-udpv4-endpoint=127.0.0.1:{port}", "--log-level=error",
               f"--variation-module-options=sql:dbtype:sqlite3,database:{self.database}"]
        env = dict(os.environ, SNMPSIM_ALLOW_ROOT="true")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                         stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)

    def exited(self) -> int | None:
        """snmpsim's exit code if it has exited, else None."""
        return self.proc.poll() if self.proc is not None else None

    def port_taken(self) -> bool:
        """True when a socket that is not snmpsim's holds its UDP port. snmpsim does not report a
        port it failed to bind: it logs "Listening" and never answers. Linux (/proc) only."""
        if self.proc is None:
            return False
        try:
            owners = {int(fields[9]) for fields in (line.split() for line in
                                                    Path("/proc/net/udp").read_text().splitlines()[1:])
                      if int(fields[1].rsplit(":", 1)[1], 16) == self.port}
            mine = {int(link[8:-1]) for fd in Path(f"/proc/{self.proc.pid}/fd").iterdir()
                    if (link := os.readlink(fd)).startswith("socket:[")}
        except (OSError, ValueError, IndexError):
            return False
        return bool(owners) and not owners & mine

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""

    def stop_process(self) -> None:
        """Terminate snmpsim (the tables stay, ready for ``start`` again)."""
        if self.proc is not None:
            self.proc.terminate()  # a no-op once it has exited
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def stop(self) -> None:
        """Terminate snmpsim and close the database."""
        self.stop_process()
        if self._db is not None:
            self._db.close()
            self._db = None
