"""pydantic ``ValidationError`` → ``ConfigIssue``s located in the operator's files.

A pydantic ``loc`` is almost a path into the data, except that a discriminated union adds its
tag (``("credentials", "noc", "3", "username")``) and a missing field is, by definition, not
in the data. We walk the data along the ``loc``: steps present in the data are kept, other
steps are skipped, and a last step that is absent (a missing field) is kept so the field path
names it; the line is then that of the mapping that lacks it. Messages are reworded where
pydantic's are vague for a config file ("Extra inputs are not permitted").
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Collection, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from sitewatch.config.locations import ConfigPath, Where, did_you_mean
from sitewatch.core.errors import ConfigIssue

__all__ = ["data_path", "validation_issues"]

#: errors about a union's discriminator → the key holding it (point at ``version:``, not above)
_DISCRIMINATOR_KEYS = {"snmp_version": "version"}
#: keys whose values are never echoed back in a reason
_SECRET_KEYS = frozenset({"value", "community", "auth_password", "priv_password", "password", "token"})


def validation_issues(
    error: ValidationError,
    data: Any,
    locate: Callable[[ConfigPath], Where],
    *,
    model: type[BaseModel],
    directives: Collection[str] = (),
) -> list[ConfigIssue]:
    """One issue per pydantic error. ``data`` is what was validated against ``model``;
    ``locate`` maps a path in ``data`` to its place; ``directives`` are extra top-level keys
    the caller handles itself (offered in "did you mean" suggestions)."""
    issues = []
    for err in error.errors(include_url=False):
        loc = tuple(err["loc"])
        path = data_path(data, loc)
        key = _DISCRIMINATOR_KEYS.get(err["type"])
        if key is not None and _child(_node_at(data, path), key)[0]:
            path = (*path, key)
        issues.append(locate(path).issue(_reason(err, path, loc, model, directives)))
    return issues


def data_path(data: Any, loc: Sequence[str | int]) -> ConfigPath:
    """The path in ``data`` that a pydantic ``loc`` designates (see module docstring)."""
    path: list[str | int] = []
    node = data
    matched_last = True
    for step in loc:
        found, child = _child(node, step)
        matched_last = found
        if found:
            node = child
            path.append(step)
    if loc and not matched_last:
        path.append(loc[-1])
    return tuple(path)


def _node_at(data: Any, path: ConfigPath) -> Any:
    for step in path:
        data = _child(data, step)[1]
    return data


def _child(node: Any, step: str | int) -> tuple[bool, Any]:
    if isinstance(node, dict) and step in node:
        return True, node[step]
    if isinstance(node, list | tuple) and isinstance(step, int) and 0 <= step < len(node):
        return True, node[step]
    if isinstance(node, BaseModel) and isinstance(step, str) and step in type(node).model_fields:
        return True, getattr(node, step)
    return False, None


def _reason(
    err: ErrorDetails,
    path: ConfigPath,
    loc: tuple[str | int, ...],
    model: type[BaseModel],
    directives: Collection[str],
) -> str:
    kind = err["type"]
    if kind == "missing":
        return f"missing required field {loc[-1]!r}"
    if kind == "extra_forbidden":
        allowed = set(_fields_at(model, loc[:-1]))
        if len(loc) == 1:
            allowed |= set(directives)
        return f"unknown key {loc[-1]!r}{did_you_mean(str(loc[-1]), allowed)}"
    msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    value = err.get("input")
    secret = any(step in _SECRET_KEYS for step in path)
    if kind != "value_error" and not secret and isinstance(value, str | int | float | bool):
        msg += f" (got {value!r})"
    return msg


def _fields_at(model: type[BaseModel], loc: Sequence[str | int]) -> Collection[str]:
    """The field names of the model found at ``loc`` (following the annotations), or ()."""
    tp: Any = model
    for step in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(step) if isinstance(step, str) else None
            if field is None:
                return ()
            tp = field.annotation
            continue
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (tuple, list) and args:
            tp = args[0]
        elif origin is dict and len(args) == 2:
            tp = args[1]
        elif origin in (typing.Union, types.UnionType):
            tp = _union_member(args, step)
            if tp is None:
                return ()
        else:
            return ()
    tp = _unwrap(tp)
    if _is_union(tp):
        # the loc stops at a union of models (no tag seen yet): offer all their fields
        members = [_unwrap(a) for a in typing.get_args(tp)]
        return {f for m in members if _is_model(m) for f in m.model_fields}
    return tp.model_fields.keys() if _is_model(tp) else ()


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated`` and ``X | None``."""
    while True:
        if typing.get_origin(tp) is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if _is_union(tp):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def _union_member(args: Sequence[Any], step: str | int) -> Any:
    """The member of a discriminated union that a tag in the loc designates: the model with a
    ``Literal`` field allowing that value (``version: Literal["3"]`` for tag ``"3"``)."""
    for arg in args:
        member = _unwrap(arg)
        if not _is_model(member):
            continue
        for field in member.model_fields.values():
            if typing.get_origin(field.annotation) is typing.Literal and step in typing.get_args(field.annotation):
                return member
        tags = [m for m in typing.get_args(arg)[1:] if getattr(m, "tag", None) == step]
        if tags:
            return member
    return None
