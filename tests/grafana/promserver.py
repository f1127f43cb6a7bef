"""A real Prometheus on 127.0.0.1 for tests: temporary storage, a config derived from the
example grafana/prometheus.yml (same job and rules, a 1 s scrape of the given target), the HTTP
query API, and a stop that leaves no process behind."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.daemon.conftest import free_tcp_port
from tests.grafana.dashboards import GRAFANA

PROMETHEUS = shutil.which("prometheus")

Json = dict[str, Any]


class PromQLError(AssertionError):
    """Prometheus refused a query (parse or execution error)."""


def scrape_config(target: str, interval: str = "1s") -> Json:
    """grafana/prometheus.yml with ``target`` scraped every ``interval`` and the rules by absolute path."""
    cfg: Json = yaml.safe_load((GRAFANA / "prometheus.yml").read_text())
    cfg["global"].update(scrape_interval=interval, evaluation_interval=interval)
    cfg["rule_files"] = [str((GRAFANA / f).resolve()) for f in cfg["rule_files"]]
    (job,) = cfg["scrape_configs"]
    job.update(scrape_interval=interval, scrape_timeout=interval)
    job["static_configs"] = [{"targets": [target]}]
    return cfg


class Prometheus:
    def __init__(self, base: str, http: httpx.AsyncClient) -> None:
        self.base = base
        self.http = http

    async def _get(self, path: str, params: dict[str, Any] | list[tuple[str, Any]]) -> Any:
        r = await self.http.get(path, params=params)
        body = r.json()
        if body.get("status") != "success":
            raise PromQLError(f"{body.get('errorType')}: {body.get('error')}")
        return body["data"]

    async def query(self, expr: str, at: float | None = None) -> list[Json]:
        """Instant query: ``[{"metric": {...}, "value": [t, "v"]}, ...]`` (a scalar comes as one row)."""
        data = await self._get("/api/v1/query", {"query": expr, "time": at if at is not None else time.time()})
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": data["result"]}]
        return data["result"]  # type: ignore[no-any-return]

    async def query_range(self, expr: str, start: float, end: float, step: float) -> list[Json]:
        data = await self._get("/api/v1/query_range", {"query": expr, "start": start, "end": end, "step": step})
        return data["result"]  # type: ignore[no-any-return]

    async def label_values(self, label: str, match: str | None, start: float, end: float) -> list[str]:
        params: list[tuple[str, Any]] = [("start", start), ("end", end)]
        if match:
            params.append(("match[]", match))
        return sorted(await self._get(f"/api/v1/label/{label}/values", params))

    async def wait_for(self, expr: str, check: Any, within: float = 20.0) -> list[Json]:
        """Polls ``expr`` until ``check(rows)`` holds."""
        deadline = time.monotonic() + within
        rows: list[Json] = []
        while time.monotonic() < deadline:
            rows = await self.query(expr)
            if check(rows):
                return rows
            await asyncio.sleep(0.25)
        raise AssertionError(f"{expr}: condition not met within {within}s; last result {rows}")


def _prepare(workdir: Path, target: str, listen: str) -> list[str]:
    """The command line, with its configuration written under ``workdir``."""
    assert PROMETHEUS is not None
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "prometheus.yml"
    config.write_text(yaml.safe_dump(scrape_config(target)))
    return [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address={listen}", "--log.level=warn"]


@contextlib.asynccontextmanager
async def running_prometheus(workdir: Path, target: str) -> AsyncIterator[Prometheus]:
    """Prometheus scraping ``target`` (host:port); stopped (and reaped) on the way out."""
    listen = f"127.0.0.1:{free_tcp_port()}"
    argv = _prepare(workdir, target, listen)
    log_path = workdir / "prometheus.log"
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(*argv, stdout=log, stderr=subprocess.STDOUT,
                                                    stdin=subprocess.DEVNULL)
    http = httpx.AsyncClient(base_url=f"http://{listen}", timeout=10)
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/-/ready")).status_code == 200:
                    break
            if proc.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"prometheus did not start: {log_path.read_text()[-2000:]}")
            await asyncio.sleep(0.1)
        yield Prometheus(str(http.base_url), http)
    finally:
        await http.aclose()
        if proc.returncode is None:
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()
