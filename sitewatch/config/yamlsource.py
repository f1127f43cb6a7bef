"""YAML files read with the line of every key and list item.

PyYAML's ``SafeLoader`` builds plain data and forgets where it came from; we compose the node
graph (which keeps ``start_mark``) and build the data ourselves, recording one line per path.
That lets a pydantic error ``loc`` be mapped back to ``file:line``. The same walk reports what
``SafeLoader`` silently accepts: a key given twice in one mapping (the later one would win).

Anchors and aliases are expanded as copies (each copy has its own lines), so the walk is
bounded: a file may expand to at most ``ALIAS_RATIO`` times the values written in it (or
``ALIAS_FLOOR``, whichever is more). An "alias bomb" of a few hundred bytes, each anchor nine
of the one before, would otherwise build hundreds of millions of values, gigabytes and minutes
later. Merge keys (``<<: *defaults``) follow YAML: the mapping's own keys win over merged ones,
and of several merged mappings the first wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sitewatch.config.locations import ConfigPath, Where, render_path
from sitewatch.core.errors import ConfigIssue

__all__ = ["ALIAS_FLOOR", "ALIAS_RATIO", "MAX_DEPTH", "YamlDoc", "YamlOrigin", "read_yaml"]

#: libyaml's parser when PyYAML was built with it (about 10x faster; nodes keep their marks)
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: a file may build this many values whatever it holds (about 25 MB and a fraction of a second)
ALIAS_FLOOR = 100_000
#: ... or this many times the values written in it, if more (a large fleet sharing blocks)
ALIAS_RATIO = 10
#: no configuration nests deeper (a site's thresholds are 4 levels); deeper is refused, not a crash
MAX_DEPTH = 64
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True, slots=True, kw_only=True)
class YamlDoc:
    """One YAML file: its data, and the 1-based line of each key (mapping entries) or item
    (list entries)."""

    file: str
    data: dict[str, Any]
    lines: dict[ConfigPath, int]
    #: the file holds no YAML document at all (nothing, or only comments); ``data`` is ``{}``
    empty: bool = False

    def line_of(self, path: ConfigPath) -> int:
        """The line of ``path``, or of its nearest ancestor present in the file (a missing
        field is reported at the mapping that lacks it)."""
        for n in range(len(path), 0, -1):
            line = self.lines.get(path[:n])
            if line is not None:
                return line
        return self.lines.get((), 1)

    def where(self, path: ConfigPath) -> Where:
        return Where(file=self.file, line=self.line_of(path), field=render_path(path, self._labels(path)))

    def _labels(self, path: ConfigPath) -> dict[ConfigPath, str]:
        """The ``id`` of each list item along ``path``, to name sites by id as well as index."""
        labels: dict[ConfigPath, str] = {}
        node: Any = self.data
        for n, step in enumerate(path):
            if isinstance(node, dict) and step in node:
                node = node[step]
            elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
                node = node[step]
                if isinstance(node, dict) and isinstance(node.get("id"), str | int):
                    labels[path[: n + 1]] = str(node["id"])
            else:
                break
        return labels


@dataclass(frozen=True, slots=True, kw_only=True)
class YamlOrigin:
    """An item at ``base`` inside a YAML file."""

    doc: YamlDoc
    base: ConfigPath

    def locate(self, rel: ConfigPath) -> Where:
        return self.doc.where(self.base + rel)


def read_yaml(path: Path, display: str) -> tuple[YamlDoc | None, list[ConfigIssue]]:
    """Read one YAML file whose top level must be a mapping (an empty file is ``{}``, marked
    ``empty``). Syntax errors and alias bombs come back as issues at their line, not as
    exceptions."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        return None, [ConfigIssue(display, None, "", f"cannot read: {e.strerror or e}")]
    except UnicodeDecodeError as e:
        return None, [ConfigIssue(display, None, "", f"not UTF-8 text: {e.reason} at byte {e.start}")]
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        builder = _Builder(loader, root)
        data = builder.build(root, ()) if root is not None else {}
    except _Refused as e:
        return None, [ConfigIssue(display, e.line, "", e.reason)]
    except yaml.MarkedYAMLError as e:
        return None, [_syntax_issue(display, e)]
    except yaml.YAMLError as e:
        return None, [ConfigIssue(display, None, "", f"YAML error: {e}")]
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        line = root.start_mark.line + 1 if root is not None else 1
        return None, [ConfigIssue(display, line, "", "the top level must be a mapping of sections")]
    builder.lines[()] = 1
    doc = YamlDoc(file=display, data=data, lines=builder.lines, empty=root is None)
    return doc, [
        ConfigIssue(
            display,
            line,
            doc.where(key_path).field,
            f"key {key_path[-1]!r} given twice in this mapping (first at line {doc.lines[key_path]})",
        )
        for key_path, line in builder.duplicates
    ]


def _syntax_issue(display: str, e: yaml.MarkedYAMLError) -> ConfigIssue:
    """At the line where parsing failed; the reason names where the construct began."""
    mark = e.problem_mark or e.context_mark
    context = e.context or ""
    if context and e.context_mark is not None and e.context_mark is not mark:
        context += f" started at line {e.context_mark.line + 1}"
    reason = ": ".join(p for p in (context, e.problem or "") if p) or "invalid YAML"
    return ConfigIssue(display, mark.line + 1 if mark else None, "", f"YAML syntax error: {reason}")


class _Builder:
    """Builds plain data from composed nodes, recording lines and duplicate keys, within the
    alias budget."""

    def __init__(self, loader: yaml.SafeLoader, root: Node | None) -> None:
        self.loader = loader
        self.lines: dict[ConfigPath, int] = {}
        #: (path of a key given twice in one mapping, line of the repeat)
        self.duplicates: list[tuple[ConfigPath, int]] = []
        self._open: set[int] = set()  # nodes being built: an alias to one of them is a cycle
        self._written = _count_values(root) if root is not None else 0
        self._budget = max(ALIAS_FLOOR, ALIAS_RATIO * self._written)
        self._built = 0
        self._seen: set[int] = set()  # nodes built once: building one again expands an alias
        self._expansion: ConfigPath | None = None  # where the outermost alias being expanded is used
        self._merged: dict[int, list[tuple[ScalarNode, Node]]] = {}

    def build(self, node: Node, path: ConfigPath) -> Any:
        self._count(node, path)
        if len(path) > MAX_DEPTH:
            raise _Refused(f"nested more than {MAX_DEPTH} levels deep", node.start_mark.line + 1)
        outermost = self._expansion is None and id(node) in self._seen
        if outermost:
            self._expansion = path
        self._seen.add(id(node))
        try:
            return self._build(node, path)
        finally:
            if outermost:
                self._expansion = None

    def _count(self, node: Node, path: ConfigPath) -> None:
        self._built += 1
        if self._built <= self._budget:
            return
        used = self._expansion if self._expansion is not None else path
        if used and isinstance(used[-1], int):
            used = used[:-1]  # an alias in a list: its line is not kept; name the list's key
        line = self.lines.get(used, node.start_mark.line + 1)
        raise _Refused(
            f"too many alias expansions (more than {self._budget:,} values once expanded, from "
            f"{self._written:,} written in the file)", line)

    def _build(self, node: Node, path: ConfigPath) -> Any:
        if isinstance(node, ScalarNode):
            return self.loader.construct_object(node)
        if id(node) in self._open:
            raise yaml.constructor.ConstructorError(
                None, None, "a recursive alias (an anchor used inside itself)", node.start_mark
            )
        self._open.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self._item(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
        finally:
            self._open.discard(id(node))
        raise yaml.constructor.ConstructorError(None, None, f"unexpected node {node.tag}", node.start_mark)

    def _item(self, node: Node, path: ConfigPath) -> Any:
        self.lines[path] = node.start_mark.line + 1
        return self.build(node, path)

    def _mapping(self, node: MappingNode, path: ConfigPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in _own_pairs(node):
            # Keys are names: keep their text (YAML 1.1 would read a team called ``no`` as False).
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in out:
                self.duplicates.append(((*path, key), line))
                continue
            self.lines[(*path, key)] = line
            out[key] = self.build(value_node, (*path, key))
        for key_node, value_node in self._merged_pairs(node):
            key = str(key_node.value)
            if key not in out:  # the mapping's own keys win over merged ones
                self.lines[(*path, key)] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, (*path, key))
        return out

    def _merged_pairs(self, node: MappingNode) -> list[tuple[ScalarNode, Node]]:
        """The pairs ``<<:`` brings into ``node``, first source first, each key once (merged
        mappings may merge in turn). Computed once per node: merges do not multiply."""
        done = self._merged.get(id(node))
        if done is not None:
            return done
        sources: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources += value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        self._merged[id(node)] = []  # a mapping merged into itself adds nothing more
        pairs: dict[str, tuple[ScalarNode, Node]] = {}
        for source in sources:
            if not isinstance(source, MappingNode):
                raise yaml.constructor.ConstructorError(
                    "while merging into a mapping", node.start_mark,
                    "expected a mapping (or a list of them) to merge, but found "
                    + ("a list" if isinstance(source, SequenceNode) else "a single value"),
                    source.start_mark)
            for key_node, value_node in [*_own_pairs(source), *self._merged_pairs(source)]:
                pairs.setdefault(str(key_node.value), (key_node, value_node))
        self._merged[id(node)] = found = list(pairs.values())
        return found


class _Refused(Exception):
    """A file refused before it is built (an alias bomb, absurd nesting), at a line."""

    def __init__(self, reason: str, line: int) -> None:
        super().__init__(reason)
        self.reason, self.line = reason, line


def _own_pairs(node: MappingNode) -> list[tuple[ScalarNode, Node]]:
    """The mapping's pairs other than ``<<`` merges; a non-scalar key is an error."""
    pairs: list[tuple[ScalarNode, Node]] = []
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode):
            raise yaml.constructor.ConstructorError(None, None, "a mapping key must be a plain value",
                                                    key_node.start_mark)
        if key_node.tag != _MERGE_TAG:
            pairs.append((key_node, value_node))
    return pairs


def _count_values(root: Node) -> int:
    """How many distinct value nodes (scalars, lists, mappings; not keys) the file writes."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            todo += node.value
        elif isinstance(node, MappingNode):
            todo += [value for _, value in node.value]
    return len(seen)
