"""Where a configuration value came from, so every issue can name file, line and field.

A config is assembled from several YAML files and CSV tables before it is validated as one
``Config``. Each top-level item (a site, a credential, the daemon section) keeps an
``Origin``; given a path inside the item (``("snmp", 0, "credential")``) the origin answers
with a ``Where``: the file, the line (YAML) or row (CSV), and the field as the operator
would write it (``sites[12] (GL-BTS-0042).snmp[0].credential``, or a CSV column name).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sitewatch.core.errors import ConfigIssue

__all__ = ["ConfigPath", "Origin", "Where", "did_you_mean", "render_path"]

#: a path into the configuration data: mapping keys and list indices
ConfigPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Where:
    """A place in a configuration file."""

    file: str
    line: int | None
    field: str

    def issue(self, reason: str) -> ConfigIssue:
        return ConfigIssue(self.file, self.line, self.field, reason)

    def at(self) -> str:
        """``file:line``, for naming another place inside a reason."""
        return f"{self.file}:{self.line}" if self.line is not None else self.file


class Origin(Protocol):
    """The source of one top-level item; ``rel`` is a path inside that item."""

    def locate(self, rel: ConfigPath) -> Where: ...


def render_path(path: ConfigPath, label: dict[ConfigPath, str] | None = None) -> str:
    """``("sites", 12, "snmp", 0, "credential")`` → ``sites[12].snmp[0].credential``;
    ``label`` adds a note after a step, e.g. the site id: ``sites[12] (GL-BTS-0042)``."""
    out = ""
    for i, step in enumerate(path):
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += f".{step}" if out else step
        note = label.get(path[: i + 1]) if label else None
        if note:
            out += f" ({note})"
    return out


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'snmp'?)`` when a candidate is close to ``word``, else ``""``."""
    close = difflib.get_close_matches(word, [str(c) for c in candidates], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
