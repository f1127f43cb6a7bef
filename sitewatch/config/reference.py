"""The configuration reference (``docs/configuration.md``), generated from the models.

Every key with its type, default and meaning, one table per section, walked from ``Config``
and each channel type's settings model. The meaning is the field's ``description``, else its
``#:`` comment (the line or lines above it, or at the end of its line), else an attribute
docstring under it. ``undocumented()`` lists the keys without one.

    python -m sitewatch.config.reference > docs/configuration.md      (make docs)
"""

from __future__ import annotations

import ast
import enum
import functools
import inspect
import json
import sys
import textwrap
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import annotated_types
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticSerializationError, PydanticUndefined, to_jsonable_python

from sitewatch.config.base import OneOf, SecretRef
from sitewatch.config.incident_schema import ThresholdOverrides, Thresholds
from sitewatch.config.schema import Config

__all__ = ["Key", "Section", "render", "sections", "undocumented"]


def _parses_durations(names: set[str]) -> bool:
    """A validator that calls (or is) one of these accepts ``60``, ``"30s"``, ``"5m"``, ``"2h"``:
    ``parse_duration``, ``optional_duration`` and the schemas' own ``_dur``/``_duration(s)``."""
    return any("duration" in n or n == "_dur" for n in names)


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    type: str
    default: str  #: "required" when the key must be given
    meaning: str


@dataclass(frozen=True, slots=True)
class Section:
    path: str  #: ``sites[].snmp[]``, ``credentials.<name>`` ...
    doc: str  #: the model's docstring, first paragraph
    keys: tuple[Key, ...]
    same_as: str | None = None  #: the path whose table this section shares


# -- where meanings come from --------------------------------------------------------------

@functools.cache
def _source_comments(cls: type) -> dict[str, str]:
    """``field → meaning`` from the class source: ``#:`` comments above or beside a field, or a
    string right under it. Classes without readable source give nothing."""
    try:
        lines, _ = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return {}
    src = textwrap.dedent("".join(lines))
    lines = src.splitlines()
    try:
        body = ast.parse(src).body[0]
    except (SyntaxError, IndexError):
        return {}
    if not isinstance(body, ast.ClassDef):
        return {}
    found: dict[str, str] = {}
    stmts = body.body
    for i, stmt in enumerate(stmts):
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            continue
        name = stmt.target.id
        _, beside, comment = lines[stmt.lineno - 1].partition("#:")
        if beside.strip() and comment.strip():
            found[name] = comment.strip()
            continue
        above: list[str] = []
        n = stmt.lineno - 2
        while n >= 0 and lines[n].strip().startswith("#:"):
            above.insert(0, lines[n].strip()[2:].strip())
            n -= 1
        if above:
            found[name] = " ".join(above)
            continue
        nxt = stmts[i + 1] if i + 1 < len(stmts) else None
        if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant) and isinstance(nxt.value.value, str):
            found[name] = " ".join(nxt.value.value.split())
    return found


def _markdown(text: str) -> str:
    """Docstring text (reStructuredText ``literals``) as one line of Markdown."""
    return " ".join(text.split()).replace("``", "`")


def _meaning(model: type[BaseModel], name: str, info: FieldInfo) -> str:
    if info.description:
        return _markdown(info.description)
    for cls in model.__mro__:
        if isinstance(cls, type) and issubclass(cls, BaseModel) and name in inspect.get_annotations(cls):
            found = _source_comments(cls).get(name)
            if found:
                return _markdown(found)
    return ""


def _doc(model: type[BaseModel]) -> str:
    doc = model.__dict__.get("__doc__")
    if not doc:
        return ""
    return _markdown(inspect.cleandoc(doc).split("\n\n")[0])


def _durations(model: type[BaseModel]) -> frozenset[str]:
    """Fields whose validator parses durations (``"5m"``), by the names the validator calls."""
    out: set[str] = set()
    for dec in model.__pydantic_decorators__.field_validators.values():
        func = getattr(dec.func, "__func__", dec.func)
        code = getattr(func, "__code__", None)
        names = set(code.co_names) if code is not None else set()
        if _parses_durations(names | {getattr(func, "__name__", "")}):
            out.update(dec.info.fields)
    return frozenset(out)


# -- types and defaults --------------------------------------------------------------------

_PLAIN: dict[Any, str] = {
    str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null",
    datetime: "date-time (ISO 8601)", date: "date (YYYY-MM-DD)", time: "local time (HH:MM)",
    SecretStr: "secret string", Any: "any",
}


def _constraints(metadata: list[Any]) -> str:
    parts: list[str] = []
    for m in metadata:
        if isinstance(m, FieldInfo):
            parts += [p for p in [_constraints(m.metadata)] if p]
            continue
        for attr, sign in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤"), ("min_length", "length ≥"),
                           ("max_length", "length ≤")):
            value = getattr(m, attr, None)
            if isinstance(m, annotated_types.BaseMetadata) and value is not None:
                parts.append(f"{sign} {_number(value)}")
        pattern = getattr(m, "pattern", None)
        if isinstance(pattern, str):
            parts.append(f"matching `{pattern}`")
    return ", ".join(parts)


def _number(v: Any) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


class _Types:
    """Renders annotations, and collects the models met on the way (to document them next)."""

    def __init__(self) -> None:
        self.models: list[tuple[str, type[BaseModel]]] = []

    def render(self, tp: Any, path: str, duration: bool = False) -> str:
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is typing.Annotated:
            one_of = [m for m in args[1:] if isinstance(m, OneOf)]
            if one_of:
                return "one of " + ", ".join(f"`{name}`" for name in one_of[0].names())
            inner = self.render(args[0], path, duration)
            limits = _constraints(list(args[1:]))
            return f"{inner} ({limits})" if limits else inner
        if origin in (typing.Union, types.UnionType):
            options = [a for a in args if a is not type(None)]
            models = {a: m.__name__ for a in options if (m := _model_of(a)) is not None}
            text = " or ".join(self.render(a, f"{path} ({models[a]})" if len(models) > 1 and a in models else path,
                                           duration) for a in options)
            return f"{text}, or null" if len(options) < len(args) else text
        if origin is typing.Literal:
            return "one of " + ", ".join(f"`{a}`" for a in args)
        if origin in (tuple, list, set, frozenset):
            items = [a for a in args if a is not Ellipsis] or [Any]
            return f"list of {self.render(items[0], path + '[]', duration)}"
        if origin is dict:
            return f"mapping of name → {self.render(args[1] if len(args) == 2 else Any, path + '.<name>', duration)}"
        if tp is SecretRef:
            return "secret"
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            self.models.append((path, tp))
            return f"[{tp.__name__}](#{_anchor(path)})"
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return "one of " + ", ".join(f"`{m.value}`" for m in tp)
        if duration and tp in (float, int):
            return "duration"
        return _PLAIN.get(tp, getattr(tp, "__name__", str(tp)))


def _model_of(tp: Any) -> type[BaseModel] | None:
    """The model ``tp`` is, or annotates."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _default(info: FieldInfo) -> str:
    if info.default_factory is not None:
        try:
            value = info.default_factory()  # type: ignore[call-arg]
        except TypeError:  # a factory of the other fields' values
            return "computed from the other keys"
    elif info.default is PydanticUndefined:
        return "required"
    else:
        value = info.default
    if isinstance(value, BaseModel):
        return "its keys' defaults"
    try:
        plain = _whole(to_jsonable_python(value))
    except PydanticSerializationError:
        return f"`{value!r}`"
    if plain is None:
        return "null"
    empty = {"{}": {}, "[]": [], '""': ""}
    for shown, value in empty.items():
        if plain == value and type(plain) is type(value):
            return f"`{shown}`"
    return f"`{json.dumps(plain, ensure_ascii=False, default=str)}`"


def _whole(plain: Any) -> Any:
    """Whole floats as integers, all the way down (``30``, not ``30.0``)."""
    if isinstance(plain, float) and plain.is_integer():
        return int(plain)
    if isinstance(plain, dict):
        return {k: _whole(v) for k, v in plain.items()}
    if isinstance(plain, list):
        return [_whole(v) for v in plain]
    return plain


def _anchor(path: str) -> str:
    """GitHub's heading anchor for ``## `path```."""
    return "".join(c for c in path.lower() if c.isalnum() or c in "-_ ").replace(" ", "-")


# -- walking -------------------------------------------------------------------------------

#: overrides whose keys mean what the base model's keys mean; their default is the base's
_OVERRIDES: dict[type[BaseModel], type[BaseModel]] = {ThresholdOverrides: Thresholds}


def _keys(model: type[BaseModel], path: str, found: _Types) -> tuple[Key, ...]:
    durations = _durations(model)
    base = _OVERRIDES.get(model)
    keys = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        prefix = f"{path}." if path else ""
        annotation = info.rebuild_annotation() if info.metadata else info.annotation
        default, meaning = _default(info), _meaning(model, name, info)
        if base is not None and name in base.model_fields:
            default = f"built in: {_default(base.model_fields[name])}"
            meaning = meaning or _meaning(base, name, base.model_fields[name])
        keys.append(Key(name=key, type=found.render(annotation, prefix + key, name in durations),
                        default=default, meaning=meaning))
    return tuple(keys)


def _walk(model: type[BaseModel], path: str, seen: dict[type[BaseModel], str]) -> Iterator[Section]:
    if model in seen:
        yield Section(path=path, doc=_doc(model), keys=(), same_as=seen[model])
        return
    seen[model] = path
    found = _Types()
    yield Section(path=path, doc=_doc(model), keys=_keys(model, path, found))
    for sub_path, sub in found.models:
        yield from _walk(sub, sub_path, seen)


def sections(root: type[BaseModel] = Config) -> list[Section]:
    """Every section of the configuration, top-level keys first, then depth first; after
    ``channels.<name>``, the settings of each channel type."""
    from sitewatch.notify.registry import CHANNELS  # notify imports config: import late

    seen: dict[type[BaseModel], str] = {}
    out: list[Section] = []
    for section in _walk(root, "", seen):
        out.append(section)
        if section.path == "channels.<name>":
            for kind, channel in sorted(CHANNELS.items()):
                out.extend(_walk(channel.settings, f"channels.<name>.settings (type {kind})", seen))
    return out


def undocumented() -> list[str]:
    """``path.key`` of every key without a meaning."""
    return [f"{s.path}.{k.name}".lstrip(".") for s in sections() for k in s.keys if not k.meaning]


# -- rendering -----------------------------------------------------------------------------

def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    lines = [
        "# Configuration reference",
        "",
        "Every key sitewatch reads from its YAML configuration, with its type, default and meaning.",
        "Unknown keys are errors. Durations take seconds or a unit: `30s`, `5m`, `2h`, `1d`.",
        "A secret is given as `{env: NAME}` (an environment variable), `{file: PATH}` (a file, relative",
        "to the configuration file that names it) or `{value: ...}` (inline: for labs and simulations).",
        "",
        "Generated from the configuration models by `make docs`",
        "(`python -m sitewatch.config.reference > docs/configuration.md`); do not edit by hand.",
    ]
    for s in sections():
        lines += ["", f"## `{s.path}`" if s.path else "## Top-level keys", ""]
        if s.doc:
            lines += [s.doc, ""]
        if s.same_as is not None:
            lines.append(f"The same keys as [`{s.same_as}`](#{_anchor(s.same_as)}).")
            continue
        lines += ["| Key | Type | Default | Meaning |", "|---|---|---|---|"]
        lines += [f"| `{k.name}` | {_cell(k.type)} | {_cell(k.default)} | {_cell(k.meaning)} |" for k in s.keys]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
