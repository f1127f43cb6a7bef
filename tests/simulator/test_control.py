"""The control API over a real socket, and ``sitewatch simulate ctl`` against it."""

from __future__ import annotations

import asyncio
import re
import sys

import httpx
import pytest

from sitewatch.cli import build_parser
from sitewatch.simulator import Fleet
from sitewatch.simulator.control import ControlServer
from tests.simulator.conftest import NoAnswer, ctl, snmpget, value
from tests.simulator.test_fleet import ELTEK_AC, IF_OPER_STATUS, SYS_NAME, UPS_OUTPUT_SOURCE


async def ctl_command(control: ControlServer, *words: str) -> tuple[int, str, str]:
    """``sitewatch simulate ctl`` as a separate process."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sitewatch", "simulate", "ctl", "--control", control.url, *words,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_api_changes_sites(fleet: Fleet, control: ControlServer) -> None:
    async with httpx.AsyncClient(base_url=control.url) as http:
        sites = (await http.get("/sites")).json()
        assert {s["id"] for s in sites} == set(fleet.sites)
        noc = (await http.get("/sites/NOC-1")).json()
        assert noc["source"] == "generated:ups" and noc["port"] == fleet.endpoint("NOC-1")[1]

        r = await http.post("/sites/NOC-1/mains", json={"ok": False})
        assert r.status_code == 200 and r.json()["on_battery"] is True
        assert await value(fleet, "NOC-1", UPS_OUTPUT_SOURCE) == "5"

        r = await http.post("/sites/NOC-1/battery", json={"drain_per_minute": 0.05, "charge": 0.5})
        assert r.json()["battery"]["charge_ratio"] == pytest.approx(0.5, abs=0.001)
        # half the battery at the site's own load; the drain only fast-forwards the charge
        b = r.json()["battery"]
        full = b["capacity_ah"] * b["nominal_volts"] / b["load_watts"] * 3600
        assert b["runtime_seconds"] == pytest.approx(0.5 * full, abs=2)
        assert b["current_amperes"] == pytest.approx(-b["load_watts"] / b["voltage_volts"], abs=0.1)

        r = await http.post("/sites/BTS-A/links/ge-0/0/1", json={"up": False})
        assert r.json()["links"] == {"ge-0/0/1": False, "ge-0/0/2": True}
        assert await value(fleet, "BTS-A", f"{IF_OPER_STATUS}.1") == "2"

        assert (await http.post("/sites/BTS-A/generator", json={"running": True})).json()["generator_running"]
        assert (await http.post("/sites/PO-1/agent", json={"answering": False})).json()["answering"] is False
        with pytest.raises(NoAnswer):
            await snmpget(fleet, "PO-1", SYS_NAME, within=0.3)

        assert (await http.post("/clock/advance", json={"seconds": 60})).status_code == 200
        assert (await http.get("/sites/NOC-1")).json()["battery"]["charge_ratio"] == pytest.approx(0.45, abs=0.002)

        assert (await http.get("/sites/NOPE")).status_code == 404
        assert (await http.post("/sites/BTS-A/links/ge-9/9/9", json={"up": False})).status_code == 404
        assert (await http.post("/sites/NOC-1/mains", json={"ok": "no"})).status_code == 400
        assert (await http.post("/sites/NOC-1/mains", content=b"not json")).status_code == 400
        assert (await http.post("/sites/NOC-1/battery", json={"drain_per_minute": 5})).status_code == 409
        r = await http.post("/sites/BTS-B/generator", json={"running": True})
        assert r.status_code == 409 and "no generator" in r.json()["error"]


async def test_cli_changes_sites(fleet: Fleet, control: ControlServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = await ctl_command(control, "BTS-B", "mains", "off")
    assert code == 0 and "BTS-B" in out and "MAINS FAILED" in out
    assert (await snmpget(fleet, "BTS-B", *ELTEK_AC)) == dict.fromkeys(ELTEK_AC, "0")

    code, out, _ = await ctl(capsys, control, "BTS-B", "battery", "--drain", "0.02")
    # the device's runtime at the site's load, and when the fast-forwarded charge runs out (100 % at 2 %/min)
    assert code == 0 and re.search(r"-\d+\.\d A, runtime \d+h\d\dm \(empty in (50m00s|49m5\ds) at the set drain\)",
                                   out), out
    code, _, _ = await ctl(capsys, control, "BTS-A", "link", "ge-0/0/2", "down")
    assert code == 0 and await value(fleet, "BTS-A", f"{IF_OPER_STATUS}.2") == "2"
    code, _, _ = await ctl(capsys, control, "BTS-A", "generator", "on")
    assert code == 0 and fleet.status("BTS-A")["generator_running"]
    code, _, _ = await ctl(capsys, control, "NOC-1", "agent", "off")
    assert code == 0
    with pytest.raises(NoAnswer):
        await snmpget(fleet, "NOC-1", SYS_NAME, within=0.3)

    code, out, _ = await ctl(capsys, control, "status")
    lines = out.splitlines()
    assert code == 0 and len(lines) == len(fleet.sites)
    assert any(line.startswith("BTS-B") and "MAINS FAILED" in line for line in lines)
    assert any(line.startswith("BTS-A") and "links down: ge-0/0/2" in line for line in lines)
    assert any(line.startswith("NOC-1") and "SILENT" in line for line in lines)
    code, out, _ = await ctl(capsys, control, "status", "BTS-A")
    assert code == 0 and '"generator_running": true' in out

    code, _, err = await ctl(capsys, control, "NOPE", "mains", "off")
    assert code == 1 and "no simulated site 'NOPE'" in err


def test_cli_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    # refused before any request is made
    parser = build_parser()
    for words, complaint in ((["BTS-A", "mains", "sideways"], "on/off"), (["BTS-A", "battery"], "--drain"),
                             (["BTS-A", "reboot", "now"], "cannot understand")):
        args = parser.parse_args(["simulate", "ctl", "--control", "127.0.0.1:9", *words])
        assert args.func(args) == 2
        assert complaint in capsys.readouterr().err
