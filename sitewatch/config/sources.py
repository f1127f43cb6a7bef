"""Gather the files of one configuration and merge them into the data for one ``Config``.

The path given is a YAML file or a directory (every ``*.yaml``/``*.yml`` in it, sorted).
Each file may ``include:`` more files (paths or globs, relative to itself) and pull site tables
in with ``sites_csv:``; a file reached twice is read once. Sections merge by shape:

- mappings (``credentials``, ``utilities``, ``teams``, ...) merge by key; a key defined in two
  places is an issue that names both;
- lists (``sites``, ``profile_dirs``) concatenate in load order;
- ``daemon`` and other scalars may appear in one file only.

Relative paths in ``profile_dirs`` and ``daemon.state_dir`` are made relative to the file that
names them, as secret files are (see ``secrets``), so a config directory can move as a whole.

A file that cannot be loaded (missing, unreadable, a YAML syntax error, an alias bomb, or empty:
no YAML document at all) is kept apart in ``Sources.unloaded``: every check after it would
only report, once per use, the names that file should have defined.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sitewatch.config.csvsites import read_sites_csv
from sitewatch.config.locations import ConfigPath, Origin, Where, render_path
from sitewatch.config.yamlsource import YamlDoc, YamlOrigin, read_yaml
from sitewatch.core.errors import ConfigIssue

__all__ = ["DIRECTIVES", "Locator", "Sources", "collect"]

#: top-level keys handled here rather than by the schema
DIRECTIVES = ("include", "sites_csv")
#: mapping sections that must not be split over files
_ONCE = frozenset({"daemon", "thresholds", "incidents", "traps", "api", "notifications"})


class Locator:
    """Maps a path in the merged data back to the file, line and field it came from."""

    def __init__(self, default_file: str) -> None:
        self._default_file = default_file
        #: (section, key or merged index) → origin of that item
        self.items: dict[tuple[str, str | int], Origin] = {}
        #: section → origin of the section as a whole (its first appearance)
        self.sections: dict[str, YamlOrigin] = {}

    def locate(self, path: ConfigPath) -> Where:
        if len(path) >= 2 and isinstance(path[0], str):
            item = self.items.get((path[0], path[1]))
            if item is not None:
                return item.locate(path[2:])
        if path and isinstance(path[0], str) and path[0] in self.sections:
            return self.sections[path[0]].locate(path[1:])
        return Where(file=self._default_file, line=None, field=render_path(path))


@dataclass(slots=True)
class Sources:
    """The merged data, where each part came from, and the issues found so far."""

    data: dict[str, Any]
    locator: Locator
    issues: list[ConfigIssue] = field(default_factory=list)
    #: files named but not loaded (see the module docstring); also in ``issues``
    unloaded: list[ConfigIssue] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def not_loaded(self, issue: ConfigIssue) -> None:
        self.issues.append(issue)
        self.unloaded.append(issue)


def collect(path: Path) -> Sources:
    """Read and merge every file of the configuration at ``path``."""
    sources = Sources(data={}, locator=Locator(str(path)))
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        if not files:
            sources.not_loaded(ConfigIssue(str(path), None, "", "no *.yaml or *.yml file in this directory"))
    elif path.exists():
        files = [path]
    else:
        sources.not_loaded(ConfigIssue(str(path), None, "", "no such file or directory"))
        files = []
    merger = _Merger(sources)
    for file in files:
        merger.file(file)
    return sources


class _Merger:
    def __init__(self, sources: Sources) -> None:
        self.s = sources
        self.seen: set[Path] = set()

    def _first_visit(self, file: Path) -> str | None:
        """The name to show for ``file``, or None if it was already read."""
        real = file.resolve()
        if real in self.seen:
            return None
        self.seen.add(real)
        display = os.path.normpath(file)
        self.s.files.append(display)
        return display

    def file(self, file: Path, included_at: Where | None = None) -> None:
        display = self._first_visit(file)
        if display is None:
            return
        doc, issues = read_yaml(file, display)
        if doc is None:
            for issue in issues:
                self.s.not_loaded(issue)
            return
        self.s.issues += issues
        if doc.empty:
            at = f" (included at {included_at.at()})" if included_at is not None else ""
            self.s.not_loaded(ConfigIssue(display, None, "", f"empty file: it defines nothing{at}"))
            return
        base = Path(display).parent
        for key, value in doc.data.items():
            if key in DIRECTIVES or value is None:
                continue
            self._section(doc, key, _rebase(key, value, base))
        for csv_path, where in self._paths(doc, "sites_csv", base):
            self._csv(csv_path, where)
        for included, where in self._paths(doc, "include", base):
            self.file(included, where)

    def _paths(self, doc: YamlDoc, key: str, base: Path) -> list[tuple[Path, Where]]:
        """The files named by a directive (a path or glob, or a list of them)."""
        value = doc.data.get(key)
        if value is None:
            return []
        entries = value if isinstance(value, list) else [value]
        found: list[tuple[Path, Where]] = []
        for i, entry in enumerate(entries):
            where = doc.where((key, i) if isinstance(value, list) else (key,))
            if not isinstance(entry, str) or not entry:
                self.s.issues.append(where.issue("expected a file path or glob"))
                continue
            pattern = str(base / entry)
            if glob.has_magic(entry):
                found += [(Path(p), where) for p in sorted(glob.glob(pattern)) if Path(p).is_file()]
            elif Path(pattern).is_file():
                found.append((Path(pattern), where))
            else:
                self.s.not_loaded(where.issue(f"no such file: {os.path.normpath(pattern)}"))
        return found

    def _csv(self, path: Path, where: Where) -> None:
        display = self._first_visit(path)
        if display is None:
            self.s.issues.append(where.issue(f"{os.path.normpath(path)} is already loaded"))
            return
        rows, issues = read_sites_csv(path, display)
        self.s.issues += issues
        sites = self.s.data.setdefault("sites", [])
        if not isinstance(sites, list):
            return  # ``sites:`` is not a list; validation reports it
        for site, origin in rows:
            self.s.locator.items[("sites", len(sites))] = origin
            sites.append(site)

    def _section(self, doc: YamlDoc, key: str, value: Any) -> None:
        data, loc = self.s.data, self.s.locator
        first = loc.sections.setdefault(key, YamlOrigin(doc=doc, base=(key,)))
        existing = data.get(key)
        if existing is not None:
            here = doc.where((key,))
            if key in _ONCE or not isinstance(value, dict | list):
                self.s.issues.append(here.issue(f"section {key!r} is also defined at {first.locate(()).at()}"))
                return
            if type(value) is not type(existing):
                self.s.issues.append(
                    here.issue(f"section {key!r} is a {_shape(value)} here but a {_shape(existing)} elsewhere")
                )
                return
        if isinstance(value, list):
            merged: list[Any] = data.setdefault(key, [])
            for i, item in enumerate(value):
                loc.items[(key, len(merged))] = YamlOrigin(doc=doc, base=(key, i))
                merged.append(item)
        elif isinstance(value, dict) and key not in _ONCE:
            merged_map: dict[str, Any] = data.setdefault(key, {})
            for name, item in value.items():
                other = loc.items.get((key, name))
                if other is not None:
                    self.s.issues.append(
                        doc.where((key, name)).issue(f"defined twice: here and at {other.locate(()).at()}")
                    )
                    continue
                loc.items[(key, name)] = YamlOrigin(doc=doc, base=(key, name))
                merged_map[name] = item
        else:
            data[key] = value


def _shape(value: Any) -> str:
    return "mapping" if isinstance(value, dict) else "list" if isinstance(value, list) else "single value"


def _rebase(key: str, value: Any, base: Path) -> Any:
    """Relative ``profile_dirs`` and ``daemon.state_dir`` → relative to the naming file."""
    if key == "profile_dirs" and isinstance(value, list):
        return [_join(base, v) for v in value]
    if key == "daemon" and isinstance(value, dict) and isinstance(value.get("state_dir"), str):
        return value | {"state_dir": _join(base, value["state_dir"])}
    return value


def _join(base: Path, value: Any) -> Any:
    if not isinstance(value, str) or not value or os.path.isabs(value):
        return value
    return os.path.normpath(base / value)
