"""Acceptance of issue 4, end to end with the simulated fleet and the daemon's HTTP API:
mains fail → mains_lost/on_battery after their hold; the battery drains → battery_runtime_low
with a sensible estimate; mains back → resolved. A parent station unreachable suppresses its
children's unreachable incidents but never their power incidents. A trap opens its incident
without waiting for a poll. Mains flapping gives one incident marked flapping."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from sitewatch.config.schema import Config
from sitewatch.simulator import Fleet
from sitewatch.simulator.fleetconfig import fleet_config, write_fleet_config
from tests.agents import free_udp_port
from tests.daemon.conftest import (
    API_TOKEN,
    API_TOKENS,
    READ_TOKEN,
    Running,
    free_tcp_port,
    running_daemon,
    value,
)

BACKUP = {"battery_capacity_ah": 100, "nominal_voltage": 48, "typical_load_watts": 1200}
SITES = [
    {"id": "TS", "name": "Trạm viễn thông Chư Sê", "kind": "telecom_station", "level": "district",
     "province": "Gia Lai", "district": "Chư Sê", "uplinks": ["xe-0/0/0"], "backup": BACKUP},
    {"id": "BTS1", "name": "BTS Ia Blang", "kind": "bts", "province": "Gia Lai", "district": "Chư Sê",
     "parent": "TS", "uplinks": ["eth0"], "backup": BACKUP},
    {"id": "BTS2", "name": "BTS Ia Pal", "kind": "bts", "province": "Gia Lai", "district": "Chư Sê",
     "parent": "TS", "uplinks": ["eth0"], "backup": BACKUP, "criticality": "high",
     "criticality_reasons": ["serves Chư Sê district hospital"]},
    {"id": "BC", "name": "Bưu cục Chư Sê", "kind": "post_office", "province": "Gia Lai", "district": "Chư Sê",
     "backup": {"battery_capacity_ah": 9, "nominal_voltage": 24, "typical_load_watts": 300}},
]
HOLD = 2.0


def _config(tmp: Path, *, interval: float = 1.0, **extra: Any) -> Config:
    return Config.model_validate({
        "daemon": {"poll_interval": interval, "snmp_timeout": 0.4, "snmp_retries": 0,
                   "listen": f"127.0.0.1:{free_tcp_port()}", "state_dir": str(tmp / "state")},
        "traps": {"listen": f"127.0.0.1:{free_udp_port()}"},
        "api": {"tokens": API_TOKENS},
        "thresholds": {"default": {"hold": {"mains_lost": HOLD, "on_battery": HOLD, "link_down": HOLD},
                                   "clear_hold": {"mains_lost": HOLD, "on_battery": HOLD, "link_down": HOLD},
                                   "unreachable_after_polls": 2}},
        "sites": SITES,
        **extra,
    })


@asynccontextmanager
async def fleet_and_daemon(tmp: Path, config: Config) -> AsyncIterator[tuple[Fleet, Running, Path]]:
    async with Fleet(config, workdir=tmp / "sim") as fleet:
        path = tmp / "fleet.yaml"
        write_fleet_config(path, fleet_config(config, list(fleet.sites.values()), fleet.ports(),
                                              state_dir=tmp / "state"))
        async with running_daemon(path) as d:
            yield fleet, d, path


async def incidents(d: Running, **q: str) -> list[dict[str, Any]]:
    r = await d.http.get("/api/v1/incidents", params=q)
    r.raise_for_status()
    result: list[dict[str, Any]] = r.json()["incidents"]
    return result


async def wait_incidents(d: Running, check: Callable[[list[dict[str, Any]]], bool], within: float = 20,
                         **q: str) -> list[dict[str, Any]]:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = await incidents(d, **q)
        if check(found):
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"incidents never matched; last: {found}")
        await asyncio.sleep(0.2)


async def polled_since(d: Running, site: str, t: float) -> None:
    """Until a poll of ``site`` that started after ``t`` has been recorded (it saw what was set before)."""
    await d.wait_for(lambda m: (value(m, "sitewatch_site_last_poll_success_timestamp_seconds", site=site) or 0) > t)


async def run(*cmd: str, env: dict[str, str] | None = None, expect: int = 0) -> str:
    """A command run without blocking the loop the daemon shares with the test; its output."""
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                env={**os.environ, **(env or {})})
    out, err = await proc.communicate()
    assert proc.returncode == expect, (cmd, out, err)
    return out.decode() + err.decode()


def by_condition(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["condition"]: i for i in found}


async def test_mains_failure_battery_drain_and_restoration(tmp_path: Path) -> None:
    async with fleet_and_daemon(tmp_path, _config(tmp_path)) as (fleet, d, _):
        await d.wait_for(lambda m: any(lab.get("site") == "BTS1" for lab, _ in m.get("sitewatch_mains_ok", [])))
        assert await incidents(d, state="active") == []
        t_fail = fleet.clock.time()
        fleet.set_mains("BTS1", False)
        # 7 % of an 8 h battery (34 min) falling 5 % a minute: below the 30 min threshold within seconds
        fleet.set_battery("BTS1", charge=0.07, drain_per_minute=0.05)
        found = await wait_incidents(d, lambda f: {"mains_lost", "on_battery"} <= set(by_condition(f)),
                                     site="BTS1", state="open")
        c = by_condition(found)
        opened = c["mains_lost"]
        assert opened["severity"] == "warning" and opened["paging"] is True
        assert opened["site_name"] == "BTS Ia Blang" and opened["district"] == "Chư Sê"
        body = (await d.http.get(f"/api/v1/incidents/{opened['id']}")).json()
        first = body["timeline"][0]
        assert first["kind"] == "opened"
        from datetime import datetime
        assert datetime.fromisoformat(body["opened_at"]).timestamp() >= t_fail + HOLD - 0.5  # held first
        # the high-criticality sibling is untouched
        assert await incidents(d, site="BTS2", state="active") == []

        found = await wait_incidents(d, lambda f: "battery_runtime_low" in by_condition(f),
                                     site="BTS1", state="open", within=30)
        low = by_condition(found)["battery_runtime_low"]
        truth = fleet.status("BTS1")["battery"]["runtime_seconds"]
        est = low["battery_runtime"]["seconds"]
        assert 0.6 * truth <= est <= 1.4 * truth, (est, truth, low["battery_runtime"]["method"])
        assert low["battery_runtime"]["predicted_depletion_at"]
        # metrics show the estimate and the open incidents
        m = await d.metrics()
        assert any(lab["site"] == "BTS1" for lab, _ in m["sitewatch_battery_runtime_estimate_seconds"])
        open_by_cond = {lab["condition"]: v for lab, v in m["sitewatch_incidents_open"]}
        assert open_by_cond["mains_lost"] == 1 and open_by_cond["battery_runtime_low"] == 1

        # acknowledge needs a token with the write scope; the token is the actor, a name given is a comment
        inc_id = by_condition(found)["on_battery"]["id"]
        r = await d.anonymous.post(f"/api/v1/incidents/{inc_id}/ack", json={"actor": "Nguyễn Văn A"})
        assert r.status_code == 401
        r = await d.http.post(f"/api/v1/incidents/{inc_id}/ack", json={"actor": "Nguyễn Văn A"})
        assert r.status_code == 403 and "lacks the write scope" in r.json()["error"]  # the read-only token
        r = await d.http.post(f"/api/v1/incidents/{inc_id}/ack", json={"actor": "Nguyễn Văn A"},
                              headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401
        r = await d.http.post(f"/api/v1/incidents/{inc_id}/ack", json={"actor": "Nguyễn Văn A", "comment": "đang đến"},
                              headers={"Authorization": f"Bearer {API_TOKEN}"})
        assert r.status_code == 200 and r.json()["state"] == "acknowledged"
        assert r.json()["acknowledged_by"] == "api:noc"
        r = await d.http.post(f"/api/v1/incidents/{inc_id}/ack", headers={"Authorization": f"Bearer {API_TOKEN}"})
        assert r.status_code == 409

        fleet.set_mains("BTS1", True)
        await wait_incidents(d, lambda f: not ({"mains_lost", "on_battery"} & set(by_condition(f))),
                             site="BTS1", state="active")
        resolved = by_condition(await incidents(d, site="BTS1", state="resolved"))
        assert {"mains_lost", "on_battery"} <= set(resolved)
        timeline = (await d.http.get(f"/api/v1/incidents/{inc_id}")).json()["timeline"]
        kinds = [e["kind"] for e in timeline]
        assert kinds[0] == "opened" and "acknowledged" in kinds and kinds[-1] == "resolved"
        acked = next(e for e in timeline if e["kind"] == "acknowledged")
        assert acked["actor"] == "api:noc" and acked["text"].endswith("as Nguyễn Văn A: đang đến")
        schema = (await d.http.get("/api/v1/openapi.json")).json()
        assert "/api/v1/incidents/{incident_id}/ack" in schema["paths"]


async def test_parent_outage_suppresses_children_reachability_not_power(tmp_path: Path) -> None:
    async with fleet_and_daemon(tmp_path, _config(tmp_path)) as (fleet, d, _):
        await d.wait_for(lambda m: len(m.get("sitewatch_mains_ok", [])) == len(SITES))
        fleet.set_mains("BTS2", False)
        await wait_incidents(d, lambda f: "on_battery" in by_condition(f), site="BTS2", state="open")
        for sid in ("BTS1", "BTS2", "TS"):  # the station's outage cuts its BTS off too
            fleet.set_agent(sid, False)
        found = await wait_incidents(
            d, lambda f: sum(i["condition"] == "site_unreachable" for i in f) == 3, state="open")
        unreachable = {i["site"]: i for i in found if i["condition"] == "site_unreachable"}
        parent = unreachable["TS"]
        assert parent["paging"] is True and parent["suppressed_by"] is None
        for child in ("BTS1", "BTS2"):
            assert unreachable[child]["suppressed_by"] == parent["id"]
            assert unreachable[child]["paging"] is False
        power = by_condition(await incidents(d, site="BTS2", state="open"))["on_battery"]
        assert power["suppressed_by"] is None and power["paging"] is True  # never suppressed
        m = await d.metrics()
        assert sum(v for lab, v in m["sitewatch_incidents_open"] if lab["condition"] == "site_unreachable") == 3

        for sid in ("BTS1", "BTS2", "TS"):
            fleet.set_agent(sid, True)
        await wait_incidents(d, lambda f: not any(i["condition"] == "site_unreachable" for i in f), state="active")
        child_events = (await d.http.get(f"/api/v1/incidents/{unreachable['BTS1']['id']}")).json()["timeline"]
        assert "suppressed" in [e["kind"] for e in child_events]


@pytest.mark.skipif(shutil.which("snmptrap") is None, reason="net-snmp snmptrap (Debian package snmp) missing")
async def test_trap_opens_incident_without_waiting_for_a_poll(tmp_path: Path) -> None:
    config = _config(tmp_path, interval=60.0)  # the next poll is a minute away
    async with fleet_and_daemon(tmp_path, config) as (fleet, d, _):
        trap_port = d.daemon.config.traps.listen.rsplit(":", 1)[1]
        community = fleet.community("BC")
        fleet.set_mains("BC", False)  # what the confirmation poll the trap triggers will see
        t0 = asyncio.get_running_loop().time()
        await run("snmptrap", "-v2c", "-c", community, f"127.0.0.1:{trap_port}", "",
                  "1.3.6.1.2.1.33.2.1", "1.3.6.1.2.1.33.1.2.2.0", "i", "12", "1.3.6.1.2.1.33.1.2.3.0", "i", "9")
        found = await wait_incidents(d, lambda f: "on_battery" in by_condition(f), site="BC", state="open",
                                     within=5)
        assert asyncio.get_running_loop().time() - t0 < 5
        body = (await d.http.get(f"/api/v1/incidents/{by_condition(found)['on_battery']['id']}")).json()
        assert any("trap" in e["text"].lower() for e in body["timeline"])
        m = await d.metrics()
        assert {lab["result"]: v for lab, v in m["sitewatch_traps_total"]}["accepted"] >= 1
        # a wrong community is dropped and counted, and opens nothing
        await run("snmptrap", "-v2c", "-c", "not-a-site", f"127.0.0.1:{trap_port}", "", "1.3.6.1.2.1.33.2.1")
        await d.wait_for(lambda m: {lab["result"]: v for lab, v in m["sitewatch_traps_total"]}
                         .get("bad_community", 0) >= 1, within=5)


async def test_mains_flapping_at_every_poll_gives_one_flapping_incident(tmp_path: Path) -> None:
    config = _config(tmp_path)
    async with fleet_and_daemon(tmp_path, config) as (fleet, d, _):
        await d.wait_for(lambda m: len(m.get("sitewatch_mains_ok", [])) == len(SITES))
        ok = True
        for _ in range(14):  # mains changes at every poll
            ok = not ok
            fleet.set_mains("BC", ok)
            await polled_since(d, "BC", time.time())
        assert ok
        # polls with mains back for longer than the clear hold: the flapping incident stays open
        await polled_since(d, "BC", time.time() + HOLD + 0.5)
        every = [i for i in await incidents(d, site="BC") if i["condition"] == "mains_lost"]
        assert len(every) == 1, every
        assert every[0]["flapping"] is True
        assert every[0]["state"] == "open"  # stays open while flapping, no resolve/reopen churn

        # the CLI, talking to the running daemon
        cli = (sys.executable, "-m", "sitewatch", "incidents", "--url", d.base)
        out = await run(*cli, "list", "--site", "BC", expect=1)
        assert "(HTTP 401)" in out and "SITEWATCH_TOKEN" in out and "config/gialai/secrets/api-token-noc" in out
        token_file = tmp_path / "token"
        token_file.write_text(API_TOKEN + "\n")
        cli = (*cli, "--token-file", str(token_file))
        out = await run(*cli, "list", "--site", "BC")
        assert "mains_lost" in out and "(flapping)" in out and "Bưu cục Chư Sê" in out
        inc = str(every[0]["id"])
        viewer = (sys.executable, "-m", "sitewatch", "incidents", "--url", d.base)
        out = await run(*viewer, "ack", inc, "--as", "Trần B", env={"SITEWATCH_TOKEN": READ_TOKEN}, expect=1)
        assert "lacks the write scope (HTTP 403)" in out  # a read token cannot write
        out = await run(*viewer, "ack", inc, "--as", "Trần B", "-m", "kiểm tra ổn áp",
                        env={"SITEWATCH_TOKEN": API_TOKEN})
        assert "acknowledged by api:noc" in out and "Trần B" not in out.split("acknowledged by")[1].splitlines()[0]
        out = await run(*cli, "show", inc)
        assert "acknowledged" in out and "as Trần B: kiểm tra ổn áp" in out
        out = await run(*viewer, "--token", API_TOKEN, "resolve", inc)
        assert "state resolved" in out and "--token is visible to every user" in out
        out = await run(*cli, "list", "--site", "BC", "--state", "resolved")
        assert f"{inc}   resolved" in out


async def test_maintenance_window_through_the_api_holds_pages_back(tmp_path: Path) -> None:
    async with fleet_and_daemon(tmp_path, _config(tmp_path)) as (fleet, d, _):
        await d.wait_for(lambda m: len(m.get("sitewatch_mains_ok", [])) == len(SITES))
        auth = {"Authorization": f"Bearer {API_TOKEN}"}
        window = {"site": "BTS1", "start": "2026-01-01T00:00:00+07:00", "end": "2099-01-01T00:00:00+07:00",
                  "reason": "thay ắc quy", "author": "Lê Văn Cường"}
        assert (await d.anonymous.post("/api/v1/maintenance", json=window)).status_code == 401
        bad = await d.http.post("/api/v1/maintenance", json={**window, "district": "Chư Sê"}, headers=auth)
        assert bad.status_code == 400 and "exactly one" in bad.json()["error"]
        created = await d.http.post("/api/v1/maintenance", json=window, headers=auth)
        assert created.status_code == 201, created.text
        wid = created.json()["id"]
        listed = (await d.http.get("/api/v1/maintenance")).json()["windows"]
        assert [w["id"] for w in listed] == [wid] and listed[0]["author"] == "Lê Văn Cường (api:noc)"

        fleet.set_mains("BTS1", False)
        found = await wait_incidents(d, lambda f: "mains_lost" in by_condition(f), site="BTS1", state="open")
        inc = by_condition(found)["mains_lost"]
        assert inc["maintenance_id"] == wid and inc["paging"] is False  # recorded and marked, not paged
        assert (await d.http.delete(f"/api/v1/maintenance/{wid}", headers=auth)).status_code == 204
        found = await wait_incidents(d, lambda f: by_condition(f)["mains_lost"]["paging"], site="BTS1",
                                     state="open", within=20)
        assert by_condition(found)["mains_lost"]["maintenance_id"] is None  # the window ended: it pages now
        assert (await d.http.delete(f"/api/v1/maintenance/{wid + 100}", headers=auth)).status_code == 404


async def test_hostile_datagrams_are_dropped_and_counted(tmp_path: Path) -> None:
    async with fleet_and_daemon(tmp_path, _config(tmp_path)) as (_, d, _path):
        await d.wait_for(lambda m: len(m.get("sitewatch_mains_ok", [])) == len(SITES))
        port = d.daemon.clients.v1v2.local_port()  # type: ignore[attr-defined]
        assert port
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            for junk in (b"\x30\x03\x02\x01", b"not snmp at all", b"\x30\x82\xff\xff" + b"\0" * 8):
                sock.sendto(junk, ("127.0.0.1", port))
        finally:
            sock.close()
        m = await d.wait_for(lambda m: sum(v for _, v in m.get("sitewatch_snmp_packets_dropped_total", [])) >= 3,
                             within=5)
        dropped = {lab["reason"]: v for lab, v in m["sitewatch_snmp_packets_dropped_total"]}
        assert sum(dropped.values()) >= 3
        # and polling goes on
        assert all(v == 1 for _, v in m["sitewatch_site_up"])
