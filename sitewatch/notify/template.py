"""``{to}``, ``{text}`` and ``{secret:api_key}`` in operator-written URLs, headers and bodies.

Every SMS provider spells its API differently, so the operator writes the request and we fill
in the blanks. Only ``{name}`` and ``{secret:NAME}`` are placeholders; any other brace is left
alone, so a literal ``{`` in a header value needs no escaping. Placeholders are checked at
load: an unknown field or secret name fails there, not at 3 a.m. A value filled into a URL is
percent-encoded and one filled into a header kept on one line; JSON and form bodies are
encoded by their serialiser.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from sitewatch.config.locations import ConfigPath
from sitewatch.notify.channel import Problem, Secrets

__all__ = ["fill", "fill_all", "header_value", "strings_in", "template_problems", "unused_secrets", "url_value"]

_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([A-Za-z0-9_.-]*))?\}")


def fill(template: str, values: Mapping[str, str], secrets: Secrets,
         encode: Callable[[str], str] | None = None) -> str:
    """Substitute fields and secrets (names were checked at load), each passed through
    ``encode`` when given (``url_value`` for a URL, ``header_value`` for a header)."""

    def one(m: re.Match[str]) -> str:
        if m[1] == "secret":
            value = secrets[m[2]]
        elif m[1] in values:
            value = values[m[1]]
        else:
            return m[0]
        return encode(value) if encode is not None else value

    return _PLACEHOLDER.sub(one, template)


def url_value(value: str) -> str:
    """A value percent-encoded for any part of a URL: ``&``, ``=``, ``?``, ``#``, ``/`` and
    spaces in a text or a key cannot start another parameter or change the path."""
    return quote(value, safe="")


def header_value(value: str) -> str:
    """A value on one header line: line breaks and other controls become spaces (a CR LF
    would otherwise end the header and start another, or make the HTTP library refuse it)."""
    return "".join(c if c.isprintable() else " " for c in value)


def fill_all(value: Any, values: Mapping[str, str], secrets: Secrets) -> Any:
    """``fill`` every string inside a JSON-like structure (mapping values and list items)."""
    if isinstance(value, str):
        return fill(value, values, secrets)
    if isinstance(value, Mapping):
        return {k: fill_all(v, values, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [fill_all(v, values, secrets) for v in value]
    return value


def strings_in(value: Any, path: ConfigPath) -> Iterator[tuple[ConfigPath, str]]:
    """Every string in a JSON-like structure with its path, for ``template_problems``."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from strings_in(v, (*path, k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from strings_in(v, (*path, i))


def template_problems(
    templates: Iterable[tuple[ConfigPath, str]], fields: Collection[str], secret_names: Collection[str]
) -> list[Problem]:
    """Placeholders naming an unknown field or a secret not given in ``secrets``."""
    problems: list[Problem] = []
    for path, text in templates:
        for m in _PLACEHOLDER.finditer(text):
            if m[1] == "secret":
                if m[2] not in secret_names:
                    problems.append((path, f"{m[0]} names a secret not given under secrets"))
            elif m[1] not in fields:
                known = ", ".join(f"{{{f}}}" for f in sorted(fields))
                problems.append((path, f"unknown placeholder {m[0]} (known: {known}, {{secret:NAME}})"))
    return problems


def unused_secrets(
    templates: Iterable[tuple[ConfigPath, str]], secret_names: Collection[str], fixed: Collection[str] = ()
) -> list[Problem]:
    """Secrets neither named by a ``{secret:NAME}`` nor one the channel uses itself (``fixed``):
    most likely a misspelling, which would otherwise send requests without the secret."""
    used = {m[2] for _, text in templates for m in _PLACEHOLDER.finditer(text) if m[1] == "secret"}
    hint = f"{', '.join(sorted(fixed))} or " if fixed else ""
    return [(("secrets", name), f"secret {name!r} is not used (use {hint}{{secret:{name}}} in a template)")
            for name in sorted(set(secret_names) - used - set(fixed))]
