"""``sitewatch simulate`` as the demo runs it: a subprocess that writes the daemon configuration
once every agent answers, and stops everything on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
from pathlib import Path

import httpx

from sitewatch.config.loader import load_config
from sitewatch.config.schema import SnmpV1V2Credential
from tests.simulator.conftest import CONFIG


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


async def _snmpget(host: str, port: int, community: str, oid: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        "snmpget", "-v2c", "-c", community, "-On", "-Oqv", "-t", "1", "-r", "1", f"{host}:{port}", oid,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={"MIBS": ""})
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode().strip().strip('"')


async def test_serves_writes_config_when_ready_and_stops_on_sigterm(
        config_files: tuple[Path, Path], tmp_path: Path) -> None:
    config_path, fleet_path = config_files
    out = tmp_path / "out" / "fleet-daemon.yaml"
    out.parent.mkdir()
    out.write_text("stale: a previous run's file must not be taken for this one\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sitewatch", "simulate", "--config", str(config_path), "--fleet", str(fleet_path),
        "--state-dir", str(tmp_path / "state"), "--control", "127.0.0.1:0", "--write-config", str(out),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        ready = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert out.exists() and "stale" not in out.read_text()
        m = re.search(r"control API (http://127\.0\.0\.1:\d+)", ready)
        assert m, ready

        written = load_config(out)  # with its check that every profile named exists
        source = load_config(config_path)
        assert [s.id for s in written.sites] == [s.id for s in source.sites]
        for before, after in zip(source.sites, written.sites, strict=True):
            assert after.model_copy(update={"snmp": ()}) == before.model_copy(update={"snmp": ()})
            (target,) = after.snmp
            assert target.host == "127.0.0.1" and target.community is not None
            assert isinstance(written.credentials[target.credential], SnmpV1V2Credential)
        monitor = "packetflux-sitemonitor"  # the site monitor beside every generated device
        assert {s.id: s.snmp[0].profiles for s in written.sites} == {
            "BTS-A": ("eltek-smartpack", "if-mib", monitor), "BTS-B": ("eltek-smartpack", "if-mib", monitor),
            "NOC-1": ("ups-mib", "if-mib", monitor), "PO-1": ("ups-mib", "if-mib", monitor),
            "RTR-1": ("if-mib", monitor), "REC-UPS": (), "REC-ELTEK": (), "REC-ALGCOM": ("algcom-dc-ups",)}
        # its inputs wired as the simulator serves them: door, smoke, and the generator's contact
        assert {s.id: {n: x.means for n, x in s.snmp[0].inputs.items()} for s in written.sites
                if s.id in ("BTS-A", "BTS-B")} == {"BTS-A": {1: "door", 2: "smoke", 3: "generator"},
                                                    "BTS-B": {1: "door", 2: "smoke"}}
        assert len({s.snmp[0].port for s in written.sites}) == len(written.sites)
        assert written.daemon.state_dir == str(tmp_path / "state" / "daemon")
        assert written.daemon.poll_interval == source.daemon.poll_interval == 30
        assert written.utilities == source.utilities

        # the written targets reach the simulated agents, and the control API changes them
        noc = written.site("NOC-1").snmp[0]
        assert noc.community is not None
        assert await _snmpget(noc.host, noc.port, noc.community.reveal(), "1.3.6.1.2.1.1.5.0") == "NOC-1"
        async with httpx.AsyncClient(base_url=m.group(1)) as http:
            assert (await http.post("/sites/NOC-1/mains", json={"ok": False})).status_code == 200
        assert await _snmpget(noc.host, noc.port, noc.community.reveal(), "1.3.6.1.2.1.33.1.4.1.0") == "5"

        # and sitewatch's own poller, with the profiles the file names, reads what is simulated
        poll = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sitewatch", "poll", "--config", str(out), "NOC-1", "--json",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        polled = json.loads((await poll.communicate())[0])
        readings = {r["name"]: r["value"] for r in polled["readings"] if not r["labels"]}
        assert polled["ok"] and readings["mains_ok"] == 0 and readings["on_battery"] == 1
        assert readings["output_source"] == "battery" and readings["battery_charge_ratio"] == 1

        (snmpsim,) = _children(proc.pid)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 15) == 0
        assert not _alive(snmpsim), "snmpsim outlived the simulator"
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_bad_configuration_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(CONFIG.replace("kind: bts", "kind: tower", 1))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sitewatch", "simulate", "--config", str(bad), "--control", "127.0.0.1:0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    assert proc.returncode == 2
    assert "bad.yaml" in err.decode() and "kind" in err.decode()
