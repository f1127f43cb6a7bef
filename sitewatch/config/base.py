"""Building blocks shared by every configuration section: strict models, durations, secrets."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, PrivateAttr, SecretStr, model_validator
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

__all__ = ["OneOf", "SecretRef", "Strict", "optional_duration", "parse_duration"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


@dataclass(frozen=True, slots=True)
class OneOf:
    """Field metadata (``Annotated[str, OneOf(names)]``): the value must be one of ``names()``,
    asked at validation time, so a registry elsewhere (the channel types) is the one list. The
    error reads as a ``Literal``'s does, and the configuration reference lists the names."""

    names: Callable[[], Collection[str]]

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def _check(self, value: str) -> str:
        names = list(self.names())
        if value not in names:
            quoted = [repr(n) for n in names]
            expected = f"{', '.join(quoted[:-1])} or {quoted[-1]}" if len(quoted) > 1 else "".join(quoted)
            raise PydanticCustomError("literal_error", "Input should be {expected}", {"expected": expected})
        return value


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration(value: object) -> float:
    """``60``, ``"60s"``, ``"5m"``, ``"1.5h"`` → seconds (float). Raises ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 60, '30s', '5m' or '2h'")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return float(m.group(1)) * _UNIT[m.group(2)]
    raise ValueError(f"expected a duration such as 60, '30s', '5m' or '2h', got {value!r}")


def optional_duration(v: object) -> float | None:
    return None if v is None else parse_duration(v)


class SecretRef(Strict):
    """A secret given by reference: ``{env: NAME}`` or ``{file: PATH}``; or ``{value: ...}``
    literally (acceptable for lab and simulated fleets). The loader resolves env and file
    references once, at load time (a file path is relative to the config file that names it);
    ``reveal()`` then returns the secret. The secret is never part of ``repr``, ``str`` or
    ``model_dump`` (a private attribute, and ``SecretStr`` for inline values)."""

    #: name of the environment variable holding the secret
    env: str | None = None
    #: file holding the secret (trailing newline dropped), relative to the configuration file naming it
    file: str | None = None
    #: the secret itself, inline (for labs and simulated fleets)
    value: SecretStr | None = None
    _resolved: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        given = [k for k in ("env", "file", "value") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of env, file or value")
        return self

    def describe(self) -> str:
        """Where the secret comes from, safe to print."""
        if self.env is not None:
            return f"env:{self.env}"
        if self.file is not None:
            return f"file:{self.file}"
        return "inline value"

    def reveal(self) -> str:
        """The secret itself. Only for the code that hands it to the SNMP engine."""
        if self.value is not None:
            return self.value.get_secret_value()
        if self._resolved is None:
            raise LookupError(
                f"secret {self.describe()} was not resolved: load the configuration with "
                "sitewatch.config.loader.load_config"
            )
        return self._resolved

    def set_resolved(self, secret: str) -> None:
        """Record the secret read from the environment or a file (the loader calls this once).
        A private attribute, so the frozen model stays equal-by-fields and never prints it."""
        self._resolved = secret
