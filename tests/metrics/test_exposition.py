"""The /metrics exposition: what a NOC's Prometheus and Grafana see."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sitewatch.config.schema import Site
from sitewatch.core.model import PollErrorKind, PollResult, Reading
from sitewatch.metrics.exposition import Exposition
from sitewatch.metrics.self_metrics import SelfMetrics
from sitewatch.polling.fleet_snapshot import FleetState


def _site(sid: str, **kw: object) -> Site:
    base = {"id": sid, "name": f"BTS {sid} Phường Hoa Lư \"A\"", "kind": "bts", "province": "Gia Lai",
            "district": "Pleiku", "criticality": "high", "latitude": 13.98, "longitude": 108.0,
            "parent": "GL-TS-PLK"}
    base.update(kw)
    return Site.model_validate(base)


READINGS = (
    Reading(name="mains_ok", value=0.0, source="1.3.6.1.2.1.33.1.4.1.0=5"),
    Reading(name="on_battery", value=1.0),
    Reading(name="battery_status", value="low"),
    Reading(name="battery_voltage_volts", value=46.25),
    Reading(name="battery_current_amperes", value=None),  # unknown: must be absent
    Reading(name="input_voltage_volts", value=0.0, labels=(("phase", "1"),)),
    Reading(name="input_voltage_volts", value=0.0, labels=(("phase", "2"),)),
    Reading(name="link_up", value=1.0, labels=(("interface", "eth0"),), info=(("alias", "uplink to PLK"),)),
    Reading(name="link_up", value=0.0, labels=(("interface", "eth1"),)),
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


def _families(text: bytes) -> dict[str, list[tuple[dict[str, str], float]]]:
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for fam in text_string_to_metric_families(text.decode()):
        for s in fam.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


@pytest.fixture
def setup() -> tuple[FleetState, Exposition, Clock]:
    clock = Clock()
    state = FleetState(["A", "B", "C"])
    sites = [_site("A"), _site("B", kind="post_office", criticality="normal"), _site("C")]
    own = SelfMetrics()
    expo = Exposition(state=state, sites=sites, staleness=180, now=clock.time, own=own.registry)
    return state, expo, clock


def test_site_readings_and_labels(setup: tuple[FleetState, Exposition, Clock]) -> None:
    state, expo, clock = setup
    state.record(PollResult(site_id="A", started_at=clock.now, duration_seconds=0.01, ok=True, readings=READINGS))
    state.record(PollResult(site_id="B", started_at=clock.now, duration_seconds=2.0, ok=False,
                            error=PollErrorKind.TIMEOUT))
    fams = _families(expo.render())
    a = {"site": "A", "kind": "bts", "province": "Gia Lai", "district": "Pleiku", "criticality": "high"}
    assert (a, 0.0) in fams["sitewatch_mains_ok"]
    assert (a, 1.0) in fams["sitewatch_on_battery"]
    assert ({**a, "status": "low"}, 1.0) in fams["sitewatch_battery_status"]
    assert ({**a, "status": "normal"}, 0.0) in fams["sitewatch_battery_status"]
    assert (a, 46.25) in fams["sitewatch_battery_voltage_volts"]
    assert "sitewatch_battery_current_amperes" not in fams  # unknown is absent, not 0
    assert ({**a, "phase": "2"}, 0.0) in fams["sitewatch_input_voltage_volts"]
    assert ({**a, "interface": "eth1"}, 0.0) in fams["sitewatch_link_up"]
    assert ({**a, "interface": "eth0", "alias": "uplink to PLK"}, 1.0) in fams["sitewatch_link_info"]
    up = {lab["site"]: v for lab, v in fams["sitewatch_site_up"]}
    assert up == {"A": 1.0, "B": 0.0}  # C never polled yet: no series
    assert (dict(a), clock.now) in fams["sitewatch_site_last_poll_success_timestamp_seconds"]
    errs = [lab for lab, _ in fams["sitewatch_site_poll_error"]]
    assert errs == [{"site": "B", "kind": "post_office", "province": "Gia Lai", "district": "Pleiku",
                     "criticality": "normal", "reason": "timeout"}]
    info = {lab["site"]: lab for lab, _ in fams["sitewatch_site_info"]}
    assert info["A"]["name"] == 'BTS A Phường Hoa Lư "A"'
    assert info["A"]["latitude"] == "13.980000" and info["A"]["parent"] == "GL-TS-PLK"
    # sitewatch's own metrics follow the site families
    assert "sitewatch_poll_duration_seconds_bucket" in fams


def test_stale_readings_are_not_exported_as_current(setup: tuple[FleetState, Exposition, Clock]) -> None:
    state, expo, clock = setup
    state.record(PollResult(site_id="A", started_at=clock.now, duration_seconds=0.01, ok=True, readings=READINGS))
    clock.now += 100
    state.record(PollResult(site_id="A", started_at=clock.now, duration_seconds=2, ok=False,
                            error=PollErrorKind.TIMEOUT))
    fams = _families(expo.render())
    assert "sitewatch_mains_ok" in fams  # last good values, 100 s old, still shown
    assert fams["sitewatch_site_up"][0][1] == 0.0
    clock.now += 100  # now 200 s old > 180 s staleness
    fams = _families(expo.render())
    assert "sitewatch_mains_ok" not in fams
    assert "sitewatch_battery_voltage_volts" not in fams
    assert fams["sitewatch_site_up"][0][1] == 0.0
    assert fams["sitewatch_site_last_poll_success_timestamp_seconds"][0][1] == clock.now - 200


def test_removed_site_leaves_no_series(setup: tuple[FleetState, Exposition, Clock]) -> None:
    state, expo, clock = setup
    for sid in "ABC":
        state.record(PollResult(site_id=sid, started_at=clock.now, duration_seconds=0.01, ok=True,
                                readings=READINGS))
    state.set_sites(["A", "C"])
    expo.set_sites([_site("A"), _site("C")])
    text = expo.render().decode()
    assert 'site="B"' not in text
    assert 'site="C"' in text


def test_values_follow_each_poll(setup: tuple[FleetState, Exposition, Clock]) -> None:
    state, expo, clock = setup
    state.record(PollResult(site_id="A", started_at=clock.now, duration_seconds=0.01, ok=True, readings=READINGS))
    assert _families(expo.render())["sitewatch_mains_ok"][0][1] == 0.0
    restored = (Reading(name="mains_ok", value=1.0),)
    state.record(PollResult(site_id="A", started_at=clock.now + 60, duration_seconds=0.01, ok=True,
                            readings=restored))
    fams = _families(expo.render())
    assert fams["sitewatch_mains_ok"][0][1] == 1.0
    assert "sitewatch_on_battery" not in fams


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian package prometheus) missing")
def test_promtool_accepts_the_exposition(setup: tuple[FleetState, Exposition, Clock]) -> None:
    state, expo, clock = setup
    state.record(PollResult(site_id="A", started_at=clock.now, duration_seconds=0.01, ok=True, readings=READINGS))
    state.record(PollResult(site_id="B", started_at=clock.now, duration_seconds=2.0, ok=False,
                            error=PollErrorKind.AUTH))
    proc = subprocess.run(["promtool", "check", "metrics"], input=expo.render(), capture_output=True)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()


def test_power_visibility_of_sites_with_power_equipment(setup: tuple[FleetState, Exposition, Clock]) -> None:
    state, expo, clock = setup
    expo.set_sites([_site("A"), _site("B", kind="post_office"), _site("C")], power_watched=["A", "C"])
    links_only = tuple(r for r in READINGS if r.name.startswith("link"))
    for sid, readings in (("A", READINGS), ("B", links_only), ("C", links_only)):
        state.record(PollResult(site_id=sid, started_at=clock.now, duration_seconds=0.01, ok=True, readings=readings))
    seen = {lab["site"]: v for lab, v in _families(expo.render())["sitewatch_site_power_visibility"]}
    assert seen == {"A": 1.0, "C": 0.0}  # B has no power equipment to watch: not exported
    # a contact wired to mains later: visible, even while its value is unknown
    state.record(PollResult(site_id="C", started_at=clock.now + 60, duration_seconds=0.01, ok=True,
                            readings=(*links_only, Reading(name="mains_ok", value=None))))
    seen = {lab["site"]: v for lab, v in _families(expo.render())["sitewatch_site_power_visibility"]}
    assert seen["C"] == 1.0
