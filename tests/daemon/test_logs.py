"""What the daemon logs, as operators read it: JSON lines on request with the site, incident and
escalation a line concerns; and quiet, one line per change, not one per poll."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from sitewatch.cli import build_parser
from sitewatch.config.loader import load_config
from sitewatch.daemon import Daemon
from tests.agents import free_udp_port
from tests.daemon.conftest import site, write_config

#: a route and a policy paging someone with no contact: the escalation reaches nobody, and says so
PAGING: dict[str, Any] = {
    "people": {"an": {"name": "Nguyễn Văn An"}},
    "policies": {"power": {"levels": [{"notify": [{"people": ["an"]}], "wait": 600}]}},
    "routes": [{"policy": "power", "group_wait": 0}],
    "thresholds": {"default": {"unreachable_after_polls": 1}},
}


async def _read_until(stream: asyncio.StreamReader, lines: list[str], done: Any, within: float) -> None:
    async with asyncio.timeout(within):
        while not done(lines):
            line = await stream.readline()
            if not line:
                return
            lines.append(line.decode())


async def test_log_format_json_gives_one_object_per_line_with_its_context(tmp_path: Path) -> None:
    # nothing answers on this port: the site goes down, an incident opens, its escalation runs
    path = write_config(tmp_path, [site("BTS01", free_udp_port(), "public")],
                        extra={**PAGING, "traps": {"enabled": False}}, poll_interval=0.5, snmp_timeout=0.2)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sitewatch", "run", "--config", str(path), "--log-format", "json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stderr is not None
    lines: list[str] = []
    try:
        await _read_until(proc.stderr, lines, lambda seen: any('"escalation"' in line for line in seen), 60)
        # what the HTTP server logs goes the same way
        host, port = yaml.safe_load(path.read_text())["daemon"]["listen"].split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"NOT HTTP\r\n\r\n")
        assert (await reader.read()).startswith(b"HTTP/1.1 400 ")
        writer.close()
        await _read_until(proc.stderr, lines, lambda seen: "Invalid HTTP request" in seen[-1], 30)
    finally:
        proc.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(proc.stderr.read(), 30)
        await proc.wait()
    lines += rest.decode().splitlines(keepends=True)
    records = [json.loads(line) for line in lines]  # every line of stderr is one JSON object
    assert proc.returncode == 0, lines
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    assert all(r["time"].endswith("Z") and r["level"] in ("debug", "info", "warning", "error") for r in records)
    down = [r for r in records if r["message"].startswith("site BTS01 poll failed")]
    assert len(down) == 1 and down[0]["site"] == "BTS01" and down[0]["level"] == "warning", down
    opened = [r for r in records if " opened: site_unreachable at BTS01" in r["message"]]
    assert len(opened) == 1 and opened[0]["site"] == "BTS01" and opened[0]["logger"] == "sitewatch.incidents.service"
    assert opened[0]["message"] == f"incident #{opened[0]['incident']} opened: site_unreachable at BTS01"
    nobody = next(r for r in records if "escalation" in r)
    assert nobody["escalation"].startswith("g") and "reaches nobody" in nobody["message"], nobody
    assert records[-1]["message"] == "sitewatch stopped"
    assert any(r["logger"].startswith("uvicorn") and r["level"] == "warning" for r in records)
    assert not any({"site", "incident", "escalation"} & r.keys() for r in records
                   if r["message"].startswith(("sitewatch polling", "sitewatch stopped")))


async def test_plain_text_is_the_default(tmp_path: Path) -> None:
    path = write_config(tmp_path, [site("BTS01", free_udp_port(), "public")], extra={"traps": {"enabled": False}},
                        poll_interval=0.5, snmp_timeout=0.2)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sitewatch", "run", "--config", str(path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stderr is not None
    lines: list[str] = []
    try:
        await _read_until(proc.stderr, lines, lambda seen: any("poll failed" in line for line in seen), 60)
    finally:
        proc.send_signal(signal.SIGTERM)
        await proc.communicate()
    line = next(x for x in lines if "poll failed" in x)
    assert " WARNING sitewatch: site BTS01 poll failed: " in line and not line.startswith("{")


async def test_log_format_from_the_configuration(tmp_path: Path) -> None:
    path = write_config(tmp_path, [site("BTS01", free_udp_port(), "public")], extra={"traps": {"enabled": False}},
                        poll_interval=0.5, snmp_timeout=0.2, log_format="json")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sitewatch", "run", "--config", str(path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stderr is not None
    lines: list[str] = []
    try:
        await _read_until(proc.stderr, lines, lambda seen: any("poll failed" in line for line in seen), 60)
    finally:
        proc.send_signal(signal.SIGTERM)
        lines += (await proc.communicate())[1].decode().splitlines()
    assert [json.loads(x)["site"] for x in lines if "poll failed" in x] == ["BTS01"]


async def test_a_reload_switches_the_log_format(tmp_path: Path) -> None:
    path = write_config(tmp_path, [], extra={"traps": {"enabled": False}}, poll_interval=0.5)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sitewatch", "run", "--config", str(path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stderr is not None
    lines: list[str] = []
    try:
        await _read_until(proc.stderr, lines, lambda seen: any("sitewatch polling" in line for line in seen), 60)
        config = yaml.safe_load(path.read_text())
        config["daemon"]["log_format"] = "json"
        path.write_text(yaml.safe_dump(config))
        proc.send_signal(signal.SIGHUP)
        await _read_until(proc.stderr, lines, lambda seen: "configuration reloaded" in seen[-1], 30)
    finally:
        proc.send_signal(signal.SIGTERM)
        lines += (await proc.communicate())[1].decode().splitlines()
    assert " INFO sitewatch: sitewatch polling 0 sites" in lines[0]
    reloaded = next(i for i, line in enumerate(lines) if "configuration reloaded" in line)
    assert [json.loads(line)["message"] for line in lines[reloaded:]] == [
        "configuration reloaded: 0 sites", "sitewatch stopped"]


class FakeClock:
    def __init__(self) -> None:
        self.t = 1_790_000_000.0

    def time(self) -> float:
        return self.t

    def monotonic(self) -> float:
        return self.t


async def test_a_site_failing_50_polls_in_a_row_logs_going_down_once(tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    interval = 60.0
    path = write_config(tmp_path, [site("BTS01", free_udp_port(), "public")], extra={"traps": {"enabled": False}},
                        poll_interval=interval, snmp_timeout=0.05)
    clock = FakeClock()
    daemon = Daemon(load_config(path), config_path=path, clock=clock)
    polled = asyncio.Event()
    daemon.state.subscribe(lambda status, result: polled.set())
    caplog.set_level(logging.INFO)
    try:
        for _ in range(50):  # the daemon's own scheduler, on the injected clock: one poll per interval
            polled.clear()
            clock.t += interval
            daemon.scheduler.tick()
            await asyncio.wait_for(polled.wait(), 10)
        status = daemon.state.get("BTS01")
        assert status is not None and status.last_result is not None and not status.last_result.ok
        assert status.consecutive_failures == 50
    finally:
        await daemon.scheduler.stop()
        await daemon.clients.close()
        daemon.db.close()
    about_site = [r.getMessage() for r in caplog.records if getattr(r, "site", None) == "BTS01"]
    # 50 failed polls: one line for going down, and one for each change that follows from it
    assert len(about_site) == 3 and about_site[0].startswith("site BTS01 poll failed: timeout"), about_site
    assert about_site[1:] == ["incident #1 opened: site_unreachable at BTS01",
                              "incident #1 (site_unreachable at BTS01) is not paged: no routes are configured"]


def test_log_format_goes_before_or_after_the_command() -> None:
    parser = build_parser()
    assert parser.parse_args(["run", "-c", "x.yaml", "--log-format", "json"]).log_format == "json"
    assert parser.parse_args(["--log-format", "json", "run", "-c", "x.yaml"]).log_format == "json"
    assert parser.parse_args(["demo", "--log-format", "json"]).log_format == "json"
    assert parser.parse_args(["run", "-c", "x.yaml"]).log_format is None  # then daemon.log_format decides
