"""``load_config``: files → one validated, cross-checked ``Config`` with secrets resolved.

The stages, each reporting every issue it finds rather than stopping at the first:

1. ``sources``    read the YAML files (and CSV site tables) and merge them;
2. the schema     validate the merged data with pydantic, located back to file:line;
3. ``crossref``   check the names sites use (parents, credentials, profiles, utilities, teams),
   and ``sitewatch.oncall.checks`` the names the duty sections use (people, rosters, policies, routes);
4. ``secrets``    read each secret reference (env var or file).

When stage 2 fails, the items that failed are set aside and stages 3 and 4 still run on the
rest, so an operator fixing a config sees all its problems in one run. Any issue at all
raises ``ConfigError`` with the issues in file and line order. The exception: when a file
cannot be loaded at all (missing, unreadable, a syntax error, empty), that is reported alone
and nothing else is checked, since every later check would only list what the file should
have defined (one tab in ``teams.yaml`` is one issue, not one ``unknown team`` per site).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sitewatch.config.crossref import Known, check_references
from sitewatch.config.schema import Config, Site
from sitewatch.config.secrets import resolve_secrets
from sitewatch.config.sources import DIRECTIVES, Sources, collect
from sitewatch.config.validation import data_path, validation_issues
from sitewatch.core.errors import ConfigError, ConfigIssue, ProfileError
from sitewatch.oncall.checks import check_oncall

__all__ = ["load_config"]


def load_config(path: str | Path, *, known_profiles: Collection[str] | None = None) -> Config:
    """Load the configuration at ``path`` (a YAML file or a directory of them).

    ``known_profiles`` are the device profile names sites may use; None asks
    ``sitewatch.snmp.profiles.available_profile_names(profile_dirs)`` (the shipped profiles and
    those in ``profile_dirs``). Raises ``ConfigError`` listing every issue."""
    sources = collect(Path(path))
    if sources.unloaded:
        raise ConfigError(_in_file_order(sources.unloaded, sources.files))
    issues = list(sources.issues)
    config: Config | None
    try:
        config = Config.model_validate(sources.data)
        site_index: Sequence[int] = range(len(config.sites))
    except ValidationError as e:
        issues += validation_issues(e, sources.data, sources.locator.locate, model=Config, directives=DIRECTIVES)
        config, site_index = _valid_part(sources.data, e)
    if config is not None:
        if known_profiles is None:
            known_profiles = _available_profiles(config, sources, issues)
        inputs = _profile_inputs(config) if known_profiles is not None else None
        issues += check_references(
            config,
            sources.locator.locate,
            site_index=site_index,
            known=_known(sources.data),
            known_profiles=known_profiles,
            profile_inputs=inputs,
        )
        issues += check_oncall(config, sources.locator.locate, data=sources.data)
        issues += _channel_issues(config, sources.locator.locate)
        issues += resolve_secrets(config, sources.locator.locate, site_index=site_index)
    if issues or config is None:
        raise ConfigError(_in_file_order(issues, sources.files))
    return config


def _valid_part(data: dict[str, Any], error: ValidationError) -> tuple[Config | None, list[int]]:
    """The config without the items that failed validation, and for each remaining site its
    index in the merged ``sites`` list."""
    bad_sections: set[str] = set()
    bad_items: dict[str, set[str | int]] = {}  # section → failing keys or indices
    for err in error.errors(include_url=False):
        path = data_path(data, err["loc"])
        if len(path) >= 2 and isinstance(data.get(str(path[0])), dict | list):
            bad_items.setdefault(str(path[0]), set()).add(path[1])
        elif path:
            bad_sections.add(str(path[0]))
    part: dict[str, Any] = {}
    site_index: list[int] = []
    for section, value in data.items():
        if section in bad_sections:
            continue
        drop = bad_items.get(section, set())
        if isinstance(value, list):
            kept = [i for i in range(len(value)) if i not in drop]
            part[section] = [value[i] for i in kept]
            if section == "sites":
                site_index = kept
        elif isinstance(value, dict):
            part[section] = {k: v for k, v in value.items() if k not in drop}
        else:
            part[section] = value
    try:
        return Config.model_validate(part), site_index
    except ValidationError:
        return None, []


def _known(data: dict[str, Any]) -> Known:
    """Names defined in the raw data, including by items that failed validation."""

    def keys(section: str) -> frozenset[str]:
        value = data.get(section)
        return frozenset(str(k) for k in value) if isinstance(value, dict) else frozenset()

    sites = data.get("sites")
    ids = set()
    for site in sites if isinstance(sites, list) else []:
        site_id = site.id if isinstance(site, Site) else site.get("id") if isinstance(site, dict) else None
        if site_id is not None:
            ids.add(str(site_id))
    return Known(
        site_ids=frozenset(ids), credentials=keys("credentials"), utilities=keys("utilities"), teams=keys("teams")
    )


def _channel_issues(config: Config, locate: Any) -> list[ConfigIssue]:
    """Each channel's own settings model (unknown keys, bad URLs, templates), at file:line."""
    from sitewatch.notify.registry import channel_issues  # notify imports config: import late

    return [i for name, cfg in config.channels.items() for i in channel_issues(name, cfg, locate)]


def _available_profiles(config: Config, sources: Sources, issues: list[ConfigIssue]) -> Collection[str] | None:
    """The shipped profile names and those in ``profile_dirs``; None (no check) only when a
    profile directory cannot be read, which is itself reported."""
    from sitewatch.snmp.profiles import available_profile_names  # the profiles read config: import late

    try:
        return available_profile_names(config.profile_dirs)
    except ProfileError as e:
        issues.append(sources.locator.locate(("profile_dirs",)).issue(str(e)))
        return None


def _profile_inputs(config: Config) -> dict[str, frozenset[int]] | None:
    """Each profile's dry-contact input numbers, read only when some target wires inputs."""
    if not any(t.inputs for s in config.sites for t in s.snmp):
        return None
    from sitewatch.snmp.profiles import load_profiles  # the profiles read config: import late

    try:
        profiles = load_profiles(config.profile_dirs)
    except ProfileError:
        return None  # reported where the profiles are loaded for good
    return {name: frozenset(c.input for c in p.contacts) for name, p in profiles.items()}


def _in_file_order(issues: list[ConfigIssue], files: list[str]) -> list[ConfigIssue]:
    order = {f: n for n, f in enumerate(files)}
    return sorted(issues, key=lambda i: (order.get(i.file, len(order)), i.file, i.line or 0))
