"""Real SNMP agents on loopback for tests: snmpsim over ``.snmprec`` files, and net-snmp ``snmpd``.

Both are started as subprocesses on a free 127.0.0.1 port and stopped by pid. Use them as
context managers (or through the fixtures in ``conftest.py``).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

__all__ = ["FIXTURES", "SnmpdAgent", "SnmpsimAgent", "free_udp_port", "wait_snmp_ready"]

#: The real-device recordings kept in the repository (provenance and licence in README.md there).
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "snmprec" / "librenms"


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sysuptime_get(community: str) -> bytes:
    # SNMPv2c GET sysUpTime.0, request-id 1: a hand-encoded probe so readiness checks need no client.
    oid = bytes([0x06, 0x08, 0x2B, 6, 1, 2, 1, 1, 3, 0])
    vb = bytes([0x30, len(oid) + 2]) + oid + b"\x05\x00"
    vbl = bytes([0x30, len(vb)]) + vb
    pdu_body = b"\x02\x01\x01" + b"\x02\x01\x00" + b"\x02\x01\x00" + vbl
    pdu = bytes([0xA0, len(pdu_body)]) + pdu_body
    comm = community.encode()
    msg_body = b"\x02\x01\x01" + bytes([0x04, len(comm)]) + comm + pdu
    return bytes([0x30, len(msg_body)]) + msg_body


def wait_snmp_ready(port: int, community: str, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None
                    ) -> None:
    """Block until an agent on 127.0.0.1:port answers anything for ``community``."""
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"agent exited early with code {proc.returncode}")
            s.sendto(_sysuptime_get(community), ("127.0.0.1", port))
            try:
                s.recvfrom(65535)
                return
            except (TimeoutError, ConnectionRefusedError):
                continue
    raise TimeoutError(f"no SNMP agent answered on 127.0.0.1:{port} within {timeout}s")


class _Agent:
    proc: subprocess.Popen[bytes] | None = None
    port: int
    workdir: Path

    def __enter__(self) -> _Agent:
        self.start()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    @property
    def log(self) -> str:
        p = self.workdir / "agent.log"
        return p.read_text(errors="replace")[-3000:] if p.exists() else ""


class SnmpsimAgent(_Agent):
    """snmpsim serving ``.snmprec`` files; each file answers to the community named after it.

    ``files`` are copied (or, with ``data``, written) into a private data directory, so tests
    may add their own recordings next to the shared ones.
    """

    def __init__(self, files: Iterable[Path] = (), data: dict[str, str] | None = None,
                 port: int | None = None, extra_args: Iterable[str] = ()) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="snmpsim-"))
        self.data_dir = self.workdir / "data"
        self.data_dir.mkdir()
        for f in files:
            shutil.copy(f, self.data_dir / Path(f).name)
        for name, text in (data or {}).items():
            (self.data_dir / f"{name}.snmprec").write_text(text)
        self.port = port or free_udp_port()
        self.extra_args = list(extra_args)

    def start(self) -> None:
        exe = shutil.which("snmpsim-command-responder") or str(
            Path(sys.executable).parent / "snmpsim-command-responder")
        env = dict(os.environ, SNMPSIM_ALLOW_ROOT="true")
        cmd = [exe, f"--data-dir={self.data_dir}", f"--cache-dir={self.workdir / 'cache'}",
               f"--agent-udpv4-endpoint=127.0.0.1:{self.port}", "--log-level=error",
               *self.extra_args]
        with open(self.workdir / "agent.log", "wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        first = sorted(self.data_dir.glob("*.snmprec"))
        community = first[0].stem if first else "public"
        try:
            wait_snmp_ready(self.port, community, proc=self.proc)
        except Exception:
            self.stop()
            raise RuntimeError(f"snmpsim did not start:\n{self.log}") from None


class SnmpdAgent(_Agent):
    """net-snmp ``snmpd`` on 127.0.0.1 with a generated config (``extra_conf`` lines appended).

    By default it answers community ``public`` read-only over the whole tree.
    """

    def __init__(self, extra_conf: str = "", port: int | None = None, community: str = "public") -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="snmpd-"))
        self.port = port or free_udp_port()
        self.community = community
        self.extra_conf = extra_conf

    def start(self) -> None:
        exe = shutil.which("snmpd") or "/usr/sbin/snmpd"
        conf = self.workdir / "snmpd.conf"
        conf.write_text(
            f"rocommunity {self.community} 127.0.0.1\n"
            f"{self.extra_conf}\n"
        )
        cmd = [exe, "-f", "-C", "-c", str(conf), "-Lf", str(self.workdir / "agent.log"),
               "-p", str(self.workdir / "snmpd.pid"), "--persistentDir=" + str(self.workdir / "persist"),
               f"udp:127.0.0.1:{self.port}"]
        # no MIB loading: the agent serves numeric OIDs and a MIB-less log stays readable
        env = dict(os.environ, SNMP_PERSISTENT_DIR=str(self.workdir / "persist"), MIBS="", MIBDIRS="/nonexistent")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        try:
            wait_snmp_ready(self.port, self.community, proc=self.proc)
        except Exception:
            self.stop()
            raise RuntimeError(f"snmpd did not start:\n{self.log}") from None
