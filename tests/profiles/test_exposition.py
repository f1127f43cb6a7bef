"""Every recording in the repository, read by the profiles detection picks and exposed as
/metrics, passes ``promtool check metrics``: metric names, label names (``if_index``, not
``ifIndex``) and values are what Prometheus accepts, for every shipped profile."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sitewatch.config.schema import Site
from sitewatch.core.model import PollResult
from sitewatch.metrics.exposition import Exposition
from sitewatch.polling.fleet_snapshot import FleetState
from sitewatch.snmp.contacts import wire, wiring_of
from sitewatch.snmp.profiles import (
    SYS_OBJECT_ID,
    Profile,
    compile_profiles,
    detect_profiles,
    detection_plan,
    load_profiles,
)
from tests.profiles.expected import BUILT
from tests.profiles.snmprec import apply_plan, read_snmprec

PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian package prometheus)")

#: every recording kept in the repository, real (librenms/) or built from MIB text
ALL_RECORDINGS = sorted(BUILT.rglob("*.snmprec"))
#: a site wiring every input of the SNR-ERD, so the contact readings are exposed too
WIRED = {1: {"means": "flood"}, 2: {"means": "mains"}, 3: {"means": "door"}, 4: {"means": "smoke"},
         5: {"means": "alarm", "name": "high_temperature"}}


@pytest.fixture(scope="module")
def profiles() -> dict[str, Profile]:
    return load_profiles()


def _exposition(raw_recording: Path, profiles: dict[str, Profile]) -> bytes:
    recording = read_snmprec(raw_recording)
    answers = apply_plan(recording, detection_plan(profiles))
    sys_oid = answers.get(SYS_OBJECT_ID)
    names = detect_profiles(sys_oid if isinstance(sys_oid, str) else None, answers, profiles)
    site = Site.model_validate({"id": "GL-BTS-0042", "name": "Trạm BTS Ia Grai", "kind": "bts",
                                "province": "Gia Lai", "snmp": [{"host": "127.0.0.1", "credential": "c",
                                                                 "profiles": list(names) or ["if-mib"],
                                                                 "inputs": WIRED if "snr-erd" in names else {}}]})
    compiled = compile_profiles([wire(profiles[n], wiring_of(site.snmp[0].inputs)) for n in names])
    readings = compiled.readings(apply_plan(recording, compiled.plan)) if names else ()
    state = FleetState([site.id])
    state.record(PollResult(site_id=site.id, started_at=1_000_000.0, duration_seconds=0.1, ok=True,
                            readings=readings))
    return Exposition(state=state, sites=[site], staleness=180, now=lambda: 1_000_000.0).render()


@pytest.mark.parametrize("recording", ALL_RECORDINGS, ids=lambda p: str(p.relative_to(BUILT)))
def test_promtool_accepts_the_exposition_of_every_recording(recording: Path, profiles: dict[str, Profile]) -> None:
    text = _exposition(recording, profiles)
    assert b"sitewatch_site_up" in text
    proc = subprocess.run([str(PROMTOOL), "check", "metrics"], input=text, capture_output=True, timeout=60)
    assert proc.returncode == 0, (proc.stdout + proc.stderr).decode() + "\n" + text.decode()


def test_the_link_info_family_is_among_those_checked(profiles: dict[str, Profile]) -> None:
    # the family promtool once rejected (label ifIndex) must be in what the test above checks
    text = _exposition(BUILT / "librenms" / "aviat-wtm.snmprec", profiles)
    assert b'sitewatch_link_info{' in text and b'if_index="1537"' in text
    text = _exposition(BUILT / "librenms" / "snr-erd.snmprec", profiles)
    assert b"sitewatch_door_open{" in text and b"sitewatch_mains_ok{" in text
