"""The shipped systemd unit passes ``systemd-analyze verify`` (Debian package systemd) and runs
sitewatch as a notify service with a watchdog."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).parents[2] / "systemd" / "sitewatch.service"
INSTALLED = "/opt/sitewatch/bin/sitewatch"


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        message = "systemd-analyze not found: install the Debian package systemd (make system-deps)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify checks that ExecStart= exists: point it at this checkout's sitewatch instead of /opt
    script = Path(sys.executable).with_name("sitewatch")
    assert script.exists(), script
    text = UNIT.read_text()
    assert INSTALLED in text
    unit = tmp_path / UNIT.name
    unit.write_text(text.replace(INSTALLED, str(script)))
    r = subprocess.run([systemd_analyze(), "verify", "--man=no", str(unit)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), r.stdout + r.stderr


def test_the_unit_waits_for_ready_and_watches_the_heartbeat() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read_string(UNIT.read_text())
    service = unit["Service"]
    assert service["Type"] == "notify" and service["NotifyAccess"] == "main"
    assert service["WatchdogSec"] == "90s" and service["Restart"] == "on-failure"
