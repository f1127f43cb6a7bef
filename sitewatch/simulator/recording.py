"""Serve one recording (``.snmprec``, or ``snmpwalk -On`` output), exactly as recorded, with
snmpsim on 127.0.0.1.

For ``sitewatch profile test``: a profile is tried against a walk of the device before the
device is on the network. The recording goes into the simulator's responder (one SQLite
table), not through the overlay: nothing is changed, every value is the device's own.
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sitewatch.simulator.fleet import probe_packet
from sitewatch.simulator.mibs import Table
from sitewatch.simulator.plan import load_recording
from sitewatch.simulator.responder import SnmpsimResponder
from sitewatch.simulator.snmpwalk import is_snmpwalk, table_from_snmpwalk

__all__ = ["COMMUNITY", "read_recording", "serve_recording"]

#: the community the served recording answers to
COMMUNITY = "recording"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _answers(port: int, responder: SnmpsimResponder, seconds: float) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setblocking(False)
        s.bind(("127.0.0.1", 0))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline and responder.exited() is None and not responder.port_taken():
            s.sendto(probe_packet(COMMUNITY), ("127.0.0.1", port))
            try:
                async with asyncio.timeout(0.2):
                    await loop.sock_recv(s, 65535)
                return True
            except TimeoutError:
                continue
    return False


def read_recording(path: str | Path) -> Table:
    """A recording as a table: snmprec (``OID|TAG|VALUE``) or ``snmpwalk -On`` output."""
    text = Path(path).read_text(errors="replace")
    table = table_from_snmpwalk(text) if is_snmpwalk(text) else load_recording(Path(path))
    if not table:
        raise ValueError(f"{path}: neither snmprec (OID|TAG|VALUE) nor snmpwalk -On (OID = TYPE: value) lines")
    return table


@asynccontextmanager
async def serve_recording(path: str | Path, *, start_seconds: float = 30.0) -> AsyncIterator[tuple[str, int]]:
    """``(host, port)`` of an agent answering community ``COMMUNITY`` with the recording: an
    snmprec file, or the output of ``snmpwalk -On``."""
    table = read_recording(path)
    with tempfile.TemporaryDirectory(prefix="sitewatch-recording-") as workdir:
        responder = SnmpsimResponder(Path(workdir))
        responder.create({COMMUNITY: "recording"}, {"recording": table})
        try:
            for _ in range(3):  # snmpsim does not report a port it failed to bind: try another
                port = _free_port()
                responder.start(port)
                if await _answers(port, responder, start_seconds):
                    break
                responder.stop_process()
            else:
                raise RuntimeError(f"snmpsim did not answer:\n{responder.log_tail()}")
            yield "127.0.0.1", port
        finally:
            responder.stop()
