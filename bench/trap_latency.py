"""Trap latency: from a trap leaving its sender to the ``TrapEvent`` (and, later, the incident).

Two processes: this one runs a ``TrapReceiver`` on 127.0.0.1; a sender process (the same
script, ``--role sender``) sends K upsTrapOnBattery traps at a fixed rate. Each trap carries
its send time (wall clock, ns) in a varbind under NET-SNMP-MIB's netSnmpPlaypen
(1.3.6.1.4.1.8072.9999.9999.1.0), so one machine's clock times both ends.

Senders: ``tight`` sends pre-encoded SNMPv2c traps from a Python socket (only the timestamp
bytes change per trap); ``snmptrap`` starts net-snmp's ``snmptrap`` per trap (the time
includes starting that process, as a device's own agent would not).

Reported per trap, p50 / p99 / max in milliseconds:

- ``receive_to_event``: the receiver saw the datagram → ``on_event`` ran (pysnmp decoding,
  community check, trap map). ``TrapEvent.received_at`` is stamped when the datagram is handled.
- ``send_to_event``: the sender's send → ``on_event`` ran (adds the kernel and the event loop).
- ``send_to_done``: the sender's send → the ``stage`` finished. The default stage is "the
  event was delivered", so it equals ``send_to_event``; pass another ``Stage`` to ``measure``
  (e.g. evaluate the trap and wait for the incident store to open the incident) to time the
  whole path to an open incident.

The first ``--warmup`` traps are left out of the percentiles (pysnmp loads parts of its MIB
tables on the first message, and the traps queued behind it wait); the very first trap's
``send_to_event`` is reported as ``first_trap_ms``, the latency right after a daemon start.
Also: receiver CPU seconds per 1000 measured traps and the receiver's result counts. Prints
one JSON object on stdout.

    python -m bench.trap_latency --count 2000 --rate 500 --sender tight
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pyasn1.codec.ber import encoder
from pysnmp.proto import api

from sitewatch.core.conditions import TrapEvent
from sitewatch.traps.receiver import TrapReceiver
from sitewatch.traps.sources import SourceEntry, TrapSources

__all__ = ["Stage", "deliver_only", "measure"]

COMMUNITY = b"bench"
TRAP_OID = "1.3.6.1.2.1.33.2.1"  # upsTrapOnBattery
STAMP_OID = "1.3.6.1.4.1.8072.9999.9999.1.0"  # netSnmpPlaypen: experimental use
_STAMP_WIDTH = 19  # digits of time.time_ns() until 2286

#: what happens to each event after delivery; the bench stamps the time it returns
Stage = Callable[[TrapEvent], Awaitable[None]]


async def deliver_only(event: TrapEvent) -> None:
    """The default stage: nothing beyond delivery of the ``TrapEvent``."""


def _template() -> tuple[bytes, int]:
    """An encoded v2c trap with a placeholder timestamp, and the placeholder's offset."""
    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = p.TrapPDU()
    p.apiTrapPDU.set_defaults(pdu)
    placeholder = b"9" * _STAMP_WIDTH
    p.apiTrapPDU.set_varbinds(pdu, [
        (p.ObjectIdentifier("1.3.6.1.2.1.1.3.0"), p.TimeTicks(100)),
        (p.ObjectIdentifier("1.3.6.1.6.3.1.1.4.1.0"), p.ObjectIdentifier(TRAP_OID)),
        (p.ObjectIdentifier("1.3.6.1.2.1.33.1.2.3.0"), p.Integer(42)),
        (p.ObjectIdentifier(STAMP_OID), p.OctetString(placeholder)),
    ])
    msg = p.Message()
    p.apiMessage.set_defaults(msg)
    p.apiMessage.set_community(msg, COMMUNITY)
    p.apiMessage.set_pdu(msg, pdu)
    data = bytes(encoder.encode(msg))
    return data, data.index(placeholder)


def _stamp() -> bytes:
    return str(time.time_ns()).zfill(_STAMP_WIDTH).encode()


def send(port: int, count: int, rate: float, sender: str) -> None:
    """The sender process: ``count`` traps at ``rate`` per second."""
    data, at = _template()
    gap = 1.0 / rate
    start = time.monotonic()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(count):
            delay = start + i * gap - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if sender == "tight":
                s.sendto(data[:at] + _stamp() + data[at + _STAMP_WIDTH:], ("127.0.0.1", port))
            else:
                subprocess.run(["snmptrap", "-v2c", "-c", COMMUNITY.decode(), f"127.0.0.1:{port}", "", TRAP_OID,
                                STAMP_OID, "s", _stamp().decode()], check=True)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return {"p50_ms": round(q[49] * 1000, 3), "p99_ms": round(q[98] * 1000, 3), "max_ms": round(ordered[-1] * 1000, 3),
            "n": len(ordered)}


async def measure(count: int, rate: float, sender: str, stage: Stage = deliver_only,
                  stage_name: str = "trap_event", warmup: int = 50) -> dict[str, Any]:
    """Run one measurement of ``count`` traps after ``warmup``; returns the report."""
    receive: list[float] = []
    to_event: list[float] = []
    to_done: list[float] = []
    first: list[float] = []
    seen = 0
    done = asyncio.Event()
    cpu_at_warm: list[float] = []

    async def on_event(event: TrapEvent) -> None:
        nonlocal seen
        now = time.time()
        sent = int(event.varbinds.get(STAMP_OID, "0")) / 1e9
        seen += 1
        if seen == 1:
            first.append(now - sent)
        if seen <= warmup:
            if seen == warmup:
                cpu_at_warm.append(_cpu())
            await stage(event)
            return
        receive.append(now - event.received_at)
        to_event.append(now - sent)
        await stage(event)
        to_done.append(time.time() - sent)
        if len(to_done) >= count:
            done.set()

    sources = TrapSources([SourceEntry(address="127.0.0.1", site_id="BENCH", communities=frozenset({COMMUNITY}))])
    receiver = TrapReceiver(sources=sources, on_event=on_event, listen="127.0.0.1:0")
    await receiver.start()
    assert receiver.address is not None
    if warmup == 0:
        cpu_at_warm.append(_cpu())
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.trap_latency", "--role", "sender", "--port", str(receiver.address[1]),
        "--count", str(count + warmup), "--rate", str(rate), "--sender", sender)
    with contextlib.suppress(TimeoutError):  # a lost trap: the report says how many arrived
        await asyncio.wait_for(done.wait(), timeout=count / rate + 30)
    await proc.wait()
    cpu = _cpu() - (cpu_at_warm[0] if cpu_at_warm else _cpu())
    await receiver.stop()
    return {
        "sender": sender, "count": count, "warmup": warmup, "rate_per_s": rate, "stage": stage_name,
        "received": len(to_done), "counts": dict(receiver.counts),
        "first_trap_ms": round(first[0] * 1000, 3) if first else None,
        "receive_to_event": _percentiles(receive), "send_to_event": _percentiles(to_event),
        "send_to_done": _percentiles(to_done),
        "receiver_cpu_s_per_1000": round(cpu / max(len(to_done), 1) * 1000, 3),
    }


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--role", choices=("measure", "sender"), default="measure")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=200.0, help="traps per second")
    ap.add_argument("--sender", choices=("tight", "snmptrap"), default="tight")
    ap.add_argument("--warmup", type=int, default=50, help="traps sent first and left out of the figures")
    args = ap.parse_args(argv)
    if args.role == "sender":
        send(args.port, args.count, args.rate, args.sender)
        return
    print(json.dumps(asyncio.run(measure(args.count, args.rate, args.sender, warmup=args.warmup)), indent=2))


if __name__ == "__main__":
    main()
