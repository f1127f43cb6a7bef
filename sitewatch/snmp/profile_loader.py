"""Find and load device profiles: the ones shipped in ``sitewatch/profiles`` plus users' own.

Profiles are YAML files named after the profile (``ups-mib.yaml`` holds ``name: ups-mib``).
A user's directory may add profiles or replace a shipped one by using the same name. Every
problem in a file is reported at once, as ``file:line: field: reason``, in a ``ProfileError``.
The shipped set is parsed once per process.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from sitewatch.config.validation import validation_issues
from sitewatch.config.yamlsource import read_yaml
from sitewatch.core.errors import ConfigIssue, ProfileError
from sitewatch.snmp.profile_checks import profile_issues
from sitewatch.snmp.profile_schema import Profile

__all__ = ["SHIPPED_DIR", "available_profile_names", "load_profile_file", "load_profiles", "shipped_profile"]

#: where the shipped profiles live (package data)
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "profiles"
_SUFFIXES = (".yaml", ".yml")


def load_profile_file(path: str | Path, display: str | None = None) -> Profile:
    """Load one profile file. Raises ``ProfileError`` naming file, line and field."""
    path = Path(path)
    shown = display or str(path)
    doc, issues = read_yaml(path, shown)
    if doc is None or issues:
        raise ProfileError(_text(issues))
    try:
        profile = Profile.model_validate(doc.data)
    except ValidationError as e:
        raise ProfileError(_text(validation_issues(e, doc.data, doc.where, model=Profile))) from None
    found = [doc.where(p).issue(reason) for p, reason in profile_issues(profile)]
    if profile.name != path.stem:
        found.insert(0, doc.where(("name",)).issue(f"the profile {profile.name!r} must be in a file named "
                                                    f"{profile.name}.yaml (this one is {path.name})"))
    if found:
        raise ProfileError(_text(found))
    return profile


def load_profiles(extra_dirs: Sequence[str | Path] = ()) -> dict[str, Profile]:
    """The shipped profiles, then each directory's in order (same name = replaces)."""
    profiles = dict(_shipped())
    for d in extra_dirs:
        profiles.update(_load_dir(Path(d)))
    return profiles


def available_profile_names(extra_dirs: Sequence[str | Path] = ()) -> frozenset[str]:
    """Names a site may reference (loading, hence checking, every profile)."""
    return frozenset(load_profiles(extra_dirs))


def shipped_profile(name: str) -> Profile:
    """One shipped profile (e.g. ``system``, included in every compilation)."""
    return _shipped()[name]


@functools.cache
def _shipped() -> dict[str, Profile]:
    return _load_dir(SHIPPED_DIR)


def _load_dir(d: Path) -> dict[str, Profile]:
    if not d.is_dir():
        raise ProfileError(f"{d}: not a directory of profiles")
    out: dict[str, Profile] = {}
    errors: list[str] = []
    for path in sorted(p for p in d.iterdir() if p.suffix in _SUFFIXES and p.is_file()):
        try:
            profile = load_profile_file(path)
        except ProfileError as e:
            errors.append(str(e))
            continue
        if profile.name in out:
            errors.append(f"{path}: profile {profile.name!r} is defined twice in {d}")
        out[profile.name] = profile
    if errors:
        raise ProfileError("\n".join(errors))
    return out


def _text(issues: Sequence[ConfigIssue]) -> str:
    return "\n".join(str(i) for i in issues)
