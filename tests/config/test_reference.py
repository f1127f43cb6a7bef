"""``docs/configuration.md``: generated from the configuration models, never stale, every key
with a meaning."""

from __future__ import annotations

import subprocess
import sys
from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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


class _Leaf(BaseModel):
    """A leaf."""

    size: int = 1
    """an attribute docstring"""


class _Other(BaseModel):
    kind: Literal["other"] = "other"  #: a comment beside


class _Odd(BaseModel):
    """Shapes a key added tomorrow may have."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    #: a comment above,
    #: on two lines
    tree: _Odd | None = None
    either: _Leaf | _Other = Field(default_factory=_Leaf, description="a union of two sections")
    renamed: str = Field(default="x", alias="from")
    when: time = time(8, 0)
    opaque: Path = Path("/var/lib")
    by_factory: dict[str, float] = Field(default_factory=lambda: {"a": 1.0})
    from_data: int = Field(default_factory=lambda data: 2)
    undocumented: frozenset[int] = frozenset()


def test_the_generator_takes_whatever_shape_a_new_key_has() -> None:
    found = sections(_Odd)
    assert [s.path for s in found] == ["", "tree", "either (_Leaf)", "either (_Other)"]
    assert found[1].same_as == ""  # a section that contains itself is described once
    keys = {k.name: k for k in found[0].keys}
    assert keys["tree"].meaning == "a comment above, on two lines"
    assert keys["either"].meaning == "a union of two sections" and keys["either"].default == "its keys' defaults"
    assert keys["either"].type == "[_Leaf](#either-_leaf) or [_Other](#either-_other)"
    assert "from" in keys and keys["from"].default == '`"x"`'
    assert keys["when"].type == "local time (HH:MM)" and keys["when"].default == '`"08:00:00"`'
    assert keys["opaque"].type == "Path" and keys["opaque"].default == '`"/var/lib"`'
    assert keys["by_factory"].default == '`{"a": 1}`'
    assert keys["from_data"].default == "computed from the other keys"
    assert keys["undocumented"].type == "list of integer" and keys["undocumented"].meaning == ""
    assert {k.name: k.meaning for k in found[2].keys} == {"size": "an attribute docstring"}
    assert {k.name: k.meaning for k in found[3].keys} == {"kind": "a comment beside"}
