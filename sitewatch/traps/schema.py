"""The trap map file format: which notification means what, declared in YAML.

One file per MIB (``sitewatch/traps/maps/*.yaml``). Each trap entry names a notification by
its OID and says which conditions it asserts (``state`` true) or clears (``state`` false):

    - name: upsTrapAlarmEntryAdded
      oid: 1.3.6.1.2.1.33.2.3
      select:                            # conditions chosen by a varbind's value
        varbind: 1.3.6.1.2.1.33.1.6.2.1.2      # upsAlarmDescr (any instance)
        rules:
          - {oid: 1.3.6.1.2.1.33.1.6.3.2, conditions: [on_battery]}   # upsAlarmOnBattery
      state: true                        # or {varbind: OID, on: [1], off: [0]}

``conditions`` (fixed) and ``select`` (by varbind) are alternatives; neither means the trap is
known but asserts nothing (coldStart). ``clears: false`` on a trap or rule keeps an "off" from
clearing a condition that other sources also raise (one contactor closing says nothing about
the others): the confirmation poll the daemon runs after every trap clears it instead.
``subject`` names the interface for link traps. Varbind OIDs are column or scalar OIDs and
match any instance below them.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from sitewatch.config.base import Strict
from sitewatch.core.conditions import Condition

__all__ = ["SelectRule", "SelectSpec", "StateFrom", "SubjectSpec", "TrapMapFile", "TrapSpec"]

_OID = r"^[0-2](\.(0|[1-9][0-9]*))+$"
Oid = Annotated[str, Field(pattern=_OID)]


class StateFrom(Strict):
    """Asserted or cleared according to an integer varbind (e.g. alarm(1) / normal(0))."""

    varbind: Oid
    on: tuple[int, ...] = ()
    off: tuple[int, ...] = ()

    @model_validator(mode="after")
    def _disjoint(self) -> StateFrom:
        if not self.on and not self.off:
            raise ValueError("give the values meaning on and/or off")
        if set(self.on) & set(self.off):
            raise ValueError("a value cannot mean both on and off")
        return self


class SelectRule(Strict):
    """One value of the selecting varbind: exactly one of ``oid`` (equal), ``prefix`` (an OID
    value under it), ``value`` (integer), ``pattern`` (case-insensitive regex on the text)."""

    oid: Oid | None = None
    prefix: Oid | None = None
    value: int | None = None
    pattern: str | None = None
    conditions: tuple[Condition, ...] = ()
    clears: bool = True

    @model_validator(mode="after")
    def _one(self) -> SelectRule:
        if sum(x is not None for x in (self.oid, self.prefix, self.value, self.pattern)) != 1:
            raise ValueError("give exactly one of oid, prefix, value or pattern")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as e:
                raise ValueError(f"bad pattern: {e}") from None
        return self


class SelectSpec(Strict):
    varbind: Oid
    rules: tuple[SelectRule, ...]


class SubjectSpec(Strict):
    """The incident subject (an interface name): the text of the first ``from`` varbind
    present and non-empty; else ``fallback`` with ``{index}`` = the instance after the first
    ``index`` column present. Without either, the trap asserts nothing (no subject known)."""

    from_: tuple[Oid, ...] = Field(default=(), alias="from")
    index: tuple[Oid, ...] = ()
    fallback: str = "{index}"

    @field_validator("fallback")
    @classmethod
    def _fallback(cls, v: str) -> str:
        if "{index}" not in v:
            raise ValueError("fallback must contain {index}")
        return v


class TrapSpec(Strict):
    name: Annotated[str, Field(min_length=1)]
    oid: Oid
    conditions: tuple[Condition, ...] = ()
    select: SelectSpec | None = None
    state: bool | StateFrom = True
    clears: bool = True
    subject: SubjectSpec | None = None

    @model_validator(mode="after")
    def _either(self) -> TrapSpec:
        if self.conditions and self.select is not None:
            raise ValueError("give conditions or select, not both")
        return self


class TrapMapFile(Strict):
    """One MIB's traps. ``traps`` may be empty when the MIB defines none usable (say why in
    ``notes``)."""

    mib: str
    source: str = ""
    notes: str = ""
    traps: tuple[TrapSpec, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> TrapMapFile:
        seen: set[str] = set()
        for t in self.traps:
            if t.oid in seen:
                raise ValueError(f"trap {t.oid} is listed twice")
            seen.add(t.oid)
        return self
