"""The example Prometheus configuration and rules, checked by promtool itself (check, and the
unit tests in sitewatch.rules.test.yml: which alert fires when, with which labels and text)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.grafana.dashboards import GRAFANA

PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian package prometheus)")


def promtool(*args: str | Path) -> str:
    assert PROMTOOL is not None
    r = subprocess.run([PROMTOOL, *map(str, args)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout + r.stderr


def test_rules_file_is_valid() -> None:
    assert "SUCCESS: 21 rules found" in promtool("check", "rules", GRAFANA / "rules/sitewatch.rules.yml")


def test_example_prometheus_config_is_valid_and_loads_the_rules() -> None:
    out = promtool("check", "config", GRAFANA / "prometheus.yml")
    assert "SUCCESS: 1 rule files found" in out


def test_alerts_fire_when_and_as_the_unit_tests_say() -> None:
    promtool("test", "rules", Path(__file__).with_name("sitewatch.rules.test.yml"))
