"""Thresholds resolve in layers: built-in < built-in per kind < config default < config by kind < site."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from sitewatch.config.loader import load_config
from sitewatch.config.schema import Config
from sitewatch.core.errors import ConfigError


def _config(**thresholds: object) -> Config:
    sites = [
        {"id": "B1", "name": "BTS", "kind": "bts", "province": "Gia Lai"},
        {"id": "B2", "name": "BTS 2", "kind": "bts", "province": "Gia Lai",
         "thresholds": {"battery_runtime_low": "45m", "battery_runtime_clear": "1h", "hold": {"link_down": "5m"}}},
        {"id": "P1", "name": "Bưu cục", "kind": "post_office", "province": "Gia Lai"},
        {"id": "N1", "name": "NOC", "kind": "noc_building", "province": "Gia Lai"},
    ]
    return Config.model_validate({"sites": sites, "thresholds": thresholds})


def test_builtin_defaults_differ_by_kind() -> None:
    c = _config()
    bts, po, noc = (c.thresholds_for(c.site(i)) for i in ("B1", "P1", "N1"))
    assert bts.battery_runtime_low == 1800 and bts.hold_for("mains_lost") == 30
    assert po.battery_runtime_low == 900 and po.hold_for("mains_lost") == 120
    assert noc.battery_runtime_low == 3600 and noc.hold_for("mains_lost") == 10
    assert bts.hold_for("generator_failed") == 120 and bts.hold_for("battery_low") == 0


def test_layers_override_in_order() -> None:
    c = _config(default={"battery_runtime_low": 1200, "battery_runtime_clear": 1500, "hold": {"mains_lost": 5}},
                by_kind={"post_office": {"hold": {"mains_lost": 60}}})
    b1, b2, p1, n1 = (c.thresholds_for(c.site(i)) for i in ("B1", "B2", "P1", "N1"))
    assert b1.battery_runtime_low == 1200 and b1.hold_for("mains_lost") == 5
    assert n1.battery_runtime_low == 1200  # the config default beats the built-in kind default
    assert p1.hold_for("mains_lost") == 60 and p1.hold_for("on_battery") == 120  # hold merges per condition
    assert b2.battery_runtime_low == 2700 and b2.hold_for("link_down") == 300 and b2.hold_for("mains_lost") == 5


def test_hysteresis_and_names_are_checked() -> None:
    c = _config(default={"battery_charge_low": 0.5, "battery_charge_clear": 0.4})
    with pytest.raises(ValidationError, match="hysteresis"):
        c.thresholds_for(c.site("B1"))
    with pytest.raises(ValidationError, match="unknown condition"):
        _config(default={"hold": {"mains_lsot": 30}})
    with pytest.raises(ValidationError, match="unknown site kind"):
        _config(by_kind={"tower": {}})


def test_a_site_override_breaking_hysteresis_fails_at_load_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("""thresholds:
  default: {battery_charge_low: 0.5, battery_charge_clear: 0.6}
sites:
  - id: X
    name: X
    kind: bts
    province: Gia Lai
    thresholds:
      battery_charge_clear: 0.45
""")
    with pytest.raises(ConfigError) as e:
        load_config(path, known_profiles=())
    (issue,) = e.value.issues
    assert issue.line == 8 and issue.field.endswith("thresholds") and "hysteresis" in issue.reason
