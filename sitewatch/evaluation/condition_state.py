"""Evaluation state of one site: hold timers, flap history, failed-poll count, battery window.

The store persists it after a change (``changed_from``) and hands it back after a restart, so a
``kill -9`` loses no timer: a condition half-way through its hold opens when it would have.
It stays small: a healthy site's state is empty, flap history is trimmed to the flap window
and the battery window is bounded (``sitewatch.evaluation.battery.add_sample``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sitewatch.core.conditions import Condition, RuntimeEstimate
from sitewatch.evaluation.battery import BatterySample

__all__ = ["ConditionKey", "ConditionState", "SiteEvalState"]

#: (condition, subject); subject is the interface for link_down, "" otherwise
ConditionKey = tuple[Condition, str]

_VERSION = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionState:
    """One (condition, subject): its last known raw state and its incident's state."""

    raw: bool = False  #: the condition as last observed (hysteresis applied), before holds
    since: float = 0.0  #: when ``raw`` took its current value
    open: bool = False  #: an incident is open (OPENED emitted, RESOLVED not yet)
    flapping: bool = False
    changes: tuple[float, ...] = ()  #: times ``raw`` changed, within the flap window
    #: the runtime estimate last put on the incident (battery conditions)
    runtime: RuntimeEstimate | None = None
    #: of a condition combining several readings, those that said active at the last observation
    #: (``evaluation.conditions.combine``): while one of them is unknown, nothing moves
    signals: frozenset[str] = frozenset()

    @property
    def idle(self) -> bool:
        """Nothing to remember: clear, no incident, no recent changes."""
        return not (self.raw or self.open or self.changes)


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteEvalState:
    """Everything evaluation remembers about one site between polls. Compare with ``==``."""

    #: only non-idle conditions; treat as read-only
    conditions: Mapping[ConditionKey, ConditionState] = field(default_factory=dict)
    failed_polls: int = 0  #: consecutive failed polls (timeout, auth, network)
    last_error: str = ""  #: kind of the latest failure
    on_battery_since: float | None = None
    battery: tuple[BatterySample, ...] = ()  #: the on-battery window
    #: cells in the string inferred from the float voltage (when not configured)
    cells: int | None = None
    #: the latest runtime estimate while on battery (None on mains)
    runtime: RuntimeEstimate | None = None
    #: the battery readings ``runtime`` was made from (reported, charge, cell_volts, current)
    battery_inputs: frozenset[str] = frozenset()

    def condition(self, condition: Condition, subject: str = "") -> ConditionState:
        return self.conditions.get((condition, subject)) or _IDLE

    def open_keys(self) -> frozenset[ConditionKey]:
        """Keys whose incident evaluation considers open."""
        return frozenset(k for k, c in self.conditions.items() if c.open)

    def without_incident(self, key: ConditionKey) -> SiteEvalState:
        """This state with ``key``'s incident forgotten (it was resolved by hand). What was
        observed stays (raw state, since when, flap history), so the next poll or trap that still
        finds the condition opens a new incident at once instead of holding it open unseen."""
        cs = self.conditions.get(key)
        if cs is None or not cs.open:
            return self
        conds = dict(self.conditions)
        forgotten = dataclasses.replace(cs, open=False, flapping=False, runtime=None)
        if forgotten.idle:
            del conds[key]
        else:
            conds[key] = forgotten
        return dataclasses.replace(self, conditions=conds)

    def changed_from(self, other: SiteEvalState) -> bool:
        """Whether this state differs from ``other`` (worth writing to the store)."""
        return self is not other and self != other

    def to_json(self) -> str:
        """Compact JSON text; ``from_json`` reads it back equal."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"v": _VERSION}
        if self.conditions:
            d["conditions"] = [_cond_dict(k, c) for k, c in sorted(
                self.conditions.items(), key=lambda kv: (kv[0][0].value, kv[0][1]))]
        if self.failed_polls:
            d["failed_polls"] = self.failed_polls
        if self.last_error:
            d["last_error"] = self.last_error
        if self.on_battery_since is not None:
            d["on_battery_since"] = self.on_battery_since
        if self.battery:
            d["battery"] = [[s.at, s.charge, s.voltage_charge] for s in self.battery]
        if self.cells is not None:
            d["cells"] = self.cells
        if self.runtime is not None:
            d["runtime"] = _runtime_list(self.runtime)
        if self.battery_inputs:
            d["battery_inputs"] = sorted(self.battery_inputs)
        return d

    @classmethod
    def from_json(cls, text: str) -> SiteEvalState:
        """Read ``to_json`` output. Raises ValueError on anything else."""
        try:
            return cls.from_dict(json.loads(text))
        except (TypeError, KeyError, IndexError, AttributeError) as e:
            raise ValueError(f"not a sitewatch evaluation state: {e!r}") from e

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SiteEvalState:
        if d.get("v") != _VERSION:
            raise ValueError(f"evaluation state version {d.get('v')!r}, expected {_VERSION}")
        conds = {}
        for c in d.get("conditions", ()):
            conds[(Condition(c["c"]), str(c.get("s", "")))] = ConditionState(
                raw=bool(c.get("raw", False)), since=float(c.get("since", 0.0)), open=bool(c.get("open", False)),
                flapping=bool(c.get("flapping", False)), changes=tuple(float(t) for t in c.get("changes", ())),
                runtime=_runtime(c.get("runtime")), signals=frozenset(str(x) for x in c.get("signals", ())))
        since = d.get("on_battery_since")
        cells = d.get("cells")
        return cls(
            conditions=conds,
            failed_polls=int(d.get("failed_polls", 0)),
            last_error=str(d.get("last_error", "")),
            on_battery_since=None if since is None else float(since),
            battery=tuple(BatterySample(at=float(at), charge=_opt(ch), voltage_charge=_opt(v))
                          for at, ch, v in d.get("battery", ())),
            cells=None if cells is None else int(cells),
            runtime=_runtime(d.get("runtime")),
            battery_inputs=frozenset(str(x) for x in d.get("battery_inputs", ())),
        )


_IDLE = ConditionState()


def _opt(v: Any) -> float | None:
    return None if v is None else float(v)


def _runtime_list(r: RuntimeEstimate) -> list[Any]:
    return [r.seconds, r.method, r.at]


def _runtime(v: Any) -> RuntimeEstimate | None:
    if v is None:
        return None
    seconds, method, at = v
    return RuntimeEstimate(seconds=float(seconds), method=str(method), at=float(at))


def _cond_dict(key: ConditionKey, c: ConditionState) -> dict[str, Any]:
    d: dict[str, Any] = {"c": key[0].value, "since": c.since}
    if key[1]:
        d["s"] = key[1]
    for name in ("raw", "open", "flapping"):
        if getattr(c, name):
            d[name] = True
    if c.changes:
        d["changes"] = list(c.changes)
    if c.runtime is not None:
        d["runtime"] = _runtime_list(c.runtime)
    if c.signals:
        d["signals"] = sorted(c.signals)
    return d
