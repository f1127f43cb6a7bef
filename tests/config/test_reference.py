"""``docs/configuration.md``: generated from the configuration models, never stale, every key
with a meaning."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sitewatch.config.reference import render, sections, undocumented

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"


def test_the_configuration_reference_is_not_stale() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), "docs/configuration.md is stale: run make docs"


def test_every_key_has_a_meaning() -> None:
    missing = undocumented()
    assert not missing, ("keys without a meaning (a Field description or a #: comment above the field): "
                         + ", ".join(missing))


def test_the_command_prints_what_the_doc_holds() -> None:
    out = subprocess.run([sys.executable, "-m", "sitewatch.config.reference"], capture_output=True, text=True,
                         check=True, cwd=ROOT, timeout=60).stdout
    assert out == render()


def test_keys_types_and_defaults_come_from_the_models() -> None:
    by_path = {s.path: {k.name: k for k in s.keys} for s in sections()}
    daemon = by_path["daemon"]
    assert daemon["poll_interval"].default == "`60`"
    assert daemon["poll_interval"].type.startswith("duration")
    assert daemon["snmp_retries"].type == "integer (≥ 0, ≤ 10)"
    assert by_path["sites[]"]["id"].default == "required"
    assert by_path["sites[].snmp[]"]["community"].type == "secret, or null"
    # overrides show the built-in value they override, and its meaning
    hold = by_path["sites[].thresholds"]["unreachable_after_polls"]
    assert hold.default == "built in: `3`" and "failed polls" in hold.meaning
    # every channel type's settings, each under its own heading
    assert {p for p in by_path if p.startswith("channels.<name>.settings") and p.endswith(")")} == {
        f"channels.<name>.settings (type {t})" for t in
        ("alertmanager", "email", "slack", "sms_gateway", "telegram", "webhook")}
