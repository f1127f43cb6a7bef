"""Helpers to run the daemon in-process against real agents on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families

from sitewatch.config.loader import load_config
from sitewatch.daemon import Daemon
from tests.agents import free_udp_port


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


API_TOKEN = "s3cret-noc-token"
READ_TOKEN = "s3cret-viewer-token"
#: ``api.tokens``: ``noc`` may do everything (no scopes given), ``viewer`` only read
API_TOKENS = {"noc": {"value": API_TOKEN}, "viewer": {"value": READ_TOKEN, "scopes": ["read"]}}


def write_config(tmp: Path, sites: list[dict[str, Any]], extra: dict[str, Any] | None = None, **daemon: Any) -> Path:
    cfg = {
        "daemon": {"listen": f"127.0.0.1:{free_tcp_port()}", "poll_interval": 2, "snmp_timeout": 0.3,
                   "snmp_retries": 0, "state_dir": str(tmp / "state"), **daemon},
        "credentials": {"lab": {"version": "2c", "community": {"value": "public"}}},
        "sites": sites,
        "traps": {"listen": f"127.0.0.1:{free_udp_port()}"},
        "api": {"tokens": API_TOKENS},
        **(extra or {}),
    }
    path = tmp / "sitewatch.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    return path


def site(sid: str, port: int, community: str, profiles: list[str] | None = None, **kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"id": sid, "name": f"Site {sid}", "kind": "bts", "province": "Gia Lai",
                         "district": "Pleiku",
                         "snmp": [{"host": "127.0.0.1", "port": port, "credential": "lab",
                                   "community": {"value": community}, "profiles": profiles or []}]}
    d.update(kw)
    return d


Samples = dict[str, list[tuple[dict[str, str], float]]]


def parse_metrics(text: str) -> Samples:
    out: Samples = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


def value(samples: Samples, name: str, **labels: str) -> float | None:
    for lab, v in samples.get(name, []):
        if all(lab.get(k) == x for k, x in labels.items()):
            return v
    return None


class Running:
    """``http`` reads with the ``viewer`` token (a write with it is 403); ``anonymous`` has none."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.base = f"http://{daemon.config.daemon.listen}"
        self.http = httpx.AsyncClient(base_url=self.base, timeout=5, headers={"Authorization": f"Bearer {READ_TOKEN}"})
        self.anonymous = httpx.AsyncClient(base_url=self.base, timeout=5)

    async def metrics(self) -> Samples:
        r = await self.http.get("/metrics")
        r.raise_for_status()
        return parse_metrics(r.text)

    async def wait_for(self, check: Callable[[Samples], bool], within: float = 20.0) -> Samples:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            m = await self.metrics()
            if check(m):
                return m
            if asyncio.get_running_loop().time() > deadline:
                last = (await self.http.get("/metrics")).text[:4000]
                raise AssertionError("condition not met in time; last metrics:\n" + last)
            await asyncio.sleep(0.2)


@asynccontextmanager
async def running_daemon(config_path: Path) -> AsyncIterator[Running]:
    daemon = Daemon(load_config(config_path), config_path=config_path)
    task = asyncio.create_task(daemon.run())
    r = Running(daemon)
    try:
        for _ in range(100):  # wait for the listener
            try:
                await r.http.get("/healthz")
                break
            except httpx.TransportError:
                if task.done():
                    task.result()
                await asyncio.sleep(0.05)
        yield r
    finally:
        daemon.request_stop()
        await asyncio.wait_for(task, 10)
        await r.http.aclose()
        await r.anonymous.aclose()
