"""``kill -9`` mid-incident and restart: the same incidents and timelines, the same hold timers;
nothing re-opened, lost or doubled. The daemon runs as a real process (``sitewatch run``)."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from sitewatch.config.schema import Config
from sitewatch.simulator import Fleet
from sitewatch.simulator.fleetconfig import fleet_config, write_fleet_config
from tests.agents import free_udp_port
from tests.daemon.conftest import API_TOKEN, API_TOKENS, Samples, free_tcp_port, parse_metrics, value

SITES = [
    {"id": "BTS1", "name": "BTS Ia Blang", "kind": "bts", "province": "Gia Lai", "district": "Chư Sê",
     "backup": {"battery_capacity_ah": 100, "nominal_voltage": 48, "typical_load_watts": 1200}},
    {"id": "BC", "name": "Bưu cục Chư Sê", "kind": "post_office", "province": "Gia Lai", "district": "Chư Sê",
     "backup": {"battery_capacity_ah": 9, "nominal_voltage": 24, "typical_load_watts": 300}},
]
POST_OFFICE_HOLD = 8.0


async def _start(path: Path, log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sitewatch", "run", "--config", str(path),
            stdout=out, stderr=asyncio.subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})


async def _get(http: httpx.AsyncClient, url: str, **params: str) -> Any:
    for _ in range(150):
        try:
            r = await http.get(url, params=params)
            r.raise_for_status()
            return r.json() if r.headers["content-type"].startswith("application/json") else r.text
        except httpx.TransportError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"daemon not answering {url}")


async def _incidents(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await _get(http, "/api/v1/incidents"))["incidents"]
    return found


async def _until(http: httpx.AsyncClient, check: Any, within: float = 20) -> list[dict[str, Any]]:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = await _incidents(http)
        if check(found):
            return found
        assert asyncio.get_running_loop().time() < deadline, found
        await asyncio.sleep(0.2)


async def _metrics_until(http: httpx.AsyncClient, check: Callable[[Samples], bool], within: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not check(m := parse_metrics(await _get(http, "/metrics"))):
        assert asyncio.get_running_loop().time() < deadline, m
        await asyncio.sleep(0.2)


def _open(found: list[dict[str, Any]], site: str) -> set[str]:
    return {i["condition"] for i in found if i["site"] == site and i["state"] == "open"}


async def test_kill_9_keeps_incidents_timelines_and_hold_timers(tmp_path: Path) -> None:
    listen = f"127.0.0.1:{free_tcp_port()}"
    config = Config.model_validate({
        "daemon": {"poll_interval": 1, "snmp_timeout": 0.4, "snmp_retries": 0, "listen": listen,
                   "state_dir": str(tmp_path / "state")},
        "traps": {"listen": f"127.0.0.1:{free_udp_port()}"},
        "api": {"tokens": API_TOKENS},
        "thresholds": {"default": {"hold": {"mains_lost": 1, "on_battery": 1}},
                       "by_kind": {"post_office": {"hold": {"mains_lost": POST_OFFICE_HOLD}}}},
        "sites": SITES,
    })
    log = tmp_path / "daemon.log"
    async with Fleet(config, workdir=tmp_path / "sim") as fleet, \
            httpx.AsyncClient(base_url=f"http://{listen}", timeout=5,
                              headers={"Authorization": f"Bearer {API_TOKEN}"}) as http:
        path = tmp_path / "fleet.yaml"
        write_fleet_config(path, fleet_config(config, list(fleet.sites.values()), fleet.ports(),
                                              state_dir=tmp_path / "state"))
        proc = await _start(path, log)
        try:
            await _get(http, "/healthz")
            fleet.set_mains("BTS1", False)
            before = await _until(http, lambda f: {"mains_lost", "on_battery"} <= _open(f, "BTS1"))
            ids = sorted(i["id"] for i in before)
            # the state is the daemon's alone (issue 19 item 8), whatever umask it was started with
            state = tmp_path / "state"
            assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in [state, *state.iterdir()]} == {
                state.name: 0o700, **{p.name: 0o600 for p in state.iterdir()}}
            assert {"incidents.sqlite3", "incidents.sqlite3-wal", "ack-links.key"} <= {p.name for p in state.iterdir()}
            # a comment on the timeline, through the API with the token
            r = await http.post(f"/api/v1/incidents/{ids[0]}/comment", json={"text": "máy phát đang tới"},
                                headers={"Authorization": f"Bearer {API_TOKEN}"})
            assert r.status_code == 201
            timelines = {i: (await _get(http, f"/api/v1/incidents/{i}"))["timeline"] for i in ids}
            # the post office loses mains: the daemon sees it, its 8 s hold starts, and it dies
            fleet.set_mains("BC", False)
            await _metrics_until(http, lambda m: value(m, "sitewatch_mains_ok", site="BC") == 0)
            seen = time.time()
            assert "mains_lost" not in _open(await _incidents(http), "BC")  # held for 8 s
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            # it stays down past the hold: restarted, it opens the incident at its first poll if the
            # hold went on from the failure, and only 8 s later if the hold started over
            await asyncio.sleep(max(0.0, seen + POST_OFFICE_HOLD - time.time()))

            restarted = time.time()
            proc = await _start(path, log)
            after = await _incidents(http)
            assert sorted(i["id"] for i in after if i["site"] == "BTS1") == ids  # same incidents, nothing new
            for i in ids:
                assert (await _get(http, f"/api/v1/incidents/{i}"))["timeline"] == timelines[i]
            found = await _until(http, lambda f: "mains_lost" in _open(f, "BC"), within=20)
            bc = next(i for i in found if i["site"] == "BC" and i["condition"] == "mains_lost")
            opened = datetime.fromisoformat(bc["opened_at"]).timestamp()
            assert seen + POST_OFFICE_HOLD <= opened < restarted + POST_OFFICE_HOLD, (opened - seen, opened - restarted)
            # three polls of BC later, nothing doubled or re-opened
            await _metrics_until(http, lambda m: (value(m, "sitewatch_site_last_poll_success_timestamp_seconds",
                                                        site="BC") or 0) >= opened + 3)
            final = await _incidents(http)
            keys = [(i["site"], i["condition"], i["subject"]) for i in final if i["state"] != "resolved"]
            assert len(keys) == len(set(keys))
            assert sorted(i["id"] for i in final if i["site"] == "BTS1") == ids
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), 10)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
    assert proc.returncode is not None
