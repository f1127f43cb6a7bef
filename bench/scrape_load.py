"""Load for the peer: N scrapes of one snmp_exporter URL at a fixed concurrency, in cycles.

Runs in its own process (``python3 -m bench.scrape_load``) so its CPU is not counted as the
exporter's. A bare asyncio HTTP/1.1 keep-alive client, because httpx would cost more CPU than
the exporter it drives on a 2-core machine. No ``Accept-Encoding: gzip`` (Prometheus asks for
it): the exporter is spared the compression. A scrape counts as failed unless it answers 200
with the module's last metric in the body. Between cycles the parent reads the exporter's CPU:
the driver prints one JSON line per cycle and waits for a line on stdin before the next.
The first cycle warms the exporter up (connections, Go heap) and may be shorter (``--warmup``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

__all__ = ["scrape_cycle"]


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(b":") for h in lines[1:] if h)}
    if b"content-length" in headers:
        return status, await reader.readexactly(int(headers[b"content-length"]))
    body = bytearray()
    while True:  # chunked
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return status, bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)


async def scrape_cycle(host: str, port: int, path: str, count: int, concurrency: int, marker: bytes,
                       scrape_timeout: float) -> dict[str, float]:
    """``count`` GETs of ``path`` over ``concurrency`` keep-alive connections."""
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: sitewatch-bench\r\n\r\n".encode()
    remaining = count
    ok = failed = 0

    async def worker() -> None:
        nonlocal remaining, ok, failed
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while remaining > 0:
                remaining -= 1
                writer.write(request)
                try:
                    async with asyncio.timeout(scrape_timeout):
                        status, body = await _read_response(reader)
                except TimeoutError:
                    failed += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    continue
                if status == 200 and marker in body:
                    ok += 1
                else:
                    failed += 1
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, count))))
    return {"scrapes": count, "ok": ok, "failed": failed, "wall_seconds": time.perf_counter() - t0}


async def _main(args: argparse.Namespace) -> None:
    for cycle in range(args.cycles):
        if cycle:
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        count = min(args.count, args.warmup) if cycle == 0 and args.warmup else args.count
        result = await scrape_cycle("127.0.0.1", args.port, args.path, count, args.concurrency,
                                    args.marker.encode(), args.timeout)
        print(json.dumps({"cycle": cycle, **result}), flush=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--concurrency", type=int, default=500)
    p.add_argument("--cycles", type=int, default=2)
    p.add_argument("--warmup", type=int, default=0, help="scrapes in the first cycle, if fewer than --count")
    p.add_argument("--marker", required=True)
    p.add_argument("--timeout", type=float, default=30.0)
    asyncio.run(_main(p.parse_args()))
