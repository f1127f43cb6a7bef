"""Readings and traps in, transitions out: pure, with the time passed in.

    evaluate(state, site, poll_result, now) -> (state, transitions)
    evaluate_trap(state, site, trap, now)   -> (state, transitions)

No I/O and no clock: the daemon passes ``now`` and persists the returned state (when
``changed_from`` the old one) before acting on the transitions. A poll in which nothing changed
returns the very same state object and no transitions, cheaply.

A failed poll (timeout, auth, network) counts towards ``site_unreachable`` and leaves every
other condition as it was; an agent that answered with an error (decode, agentError, no such
object) is reachable. A trap asserting a condition opens it at once; a trap clearing one only
records it, and the confirmation poll resolves it after its clear hold.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from functools import partial

from sitewatch.core.conditions import (
    Condition,
    Phrase,
    RuntimeEstimate,
    Summary,
    Transition,
    TransitionKind,
    TrapEvent,
    part,
)
from sitewatch.core.model import PollErrorKind, PollResult
from sitewatch.evaluation.battery import (
    BatteryNow,
    BatterySample,
    add_sample,
    cells_from_float_voltage,
    estimate_runtime,
)
from sitewatch.evaluation.condition_state import ConditionKey, ConditionState, SiteEvalState
from sitewatch.evaluation.conditions import CONDITIONS, PollView, combine, link_down, link_summary
from sitewatch.evaluation.context import SiteContext
from sitewatch.evaluation.machine import step

__all__ = ["BATTERY_CONDITIONS", "RUNTIME_HOLD", "evaluate", "evaluate_trap"]

#: conditions whose transitions carry the runtime estimate (and get UPDATED when it moves)
BATTERY_CONDITIONS = frozenset({Condition.MAINS_LOST, Condition.ON_BATTERY, Condition.BATTERY_LOW,
                                Condition.BATTERY_RUNTIME_LOW, Condition.BATTERY_DEPLETED})
_UNREACHABLE_ERRORS = frozenset({PollErrorKind.TIMEOUT, PollErrorKind.AUTH, PollErrorKind.NETWORK})
_ANSWERED_ERRORS = frozenset({PollErrorKind.DECODE, PollErrorKind.AGENT_ERROR, PollErrorKind.NO_SUCH_OBJECT})
_UPDATED = TransitionKind.UPDATED
_UNREACHABLE = (Condition.SITE_UNREACHABLE, "")
#: how long a runtime prediction outlives a reading it was made from going unknown; then the
#: estimate is made from the readings at hand
RUNTIME_HOLD = 900.0
#: an estimate is not "moved" by less than a fraction of this many seconds (noise near the end),
#: nor updated on an incident more often than this
_MIN_RUNTIME_SCALE = 300.0


class _Run:
    """One evaluation's scratch: conditions copied on first write, transitions collected."""

    __slots__ = ("conds", "ctx", "now", "out", "runtime", "source", "written")

    def __init__(self, state: SiteEvalState, ctx: SiteContext, now: float, source: str,
                 runtime: RuntimeEstimate | None) -> None:
        self.conds: Mapping[ConditionKey, ConditionState] = state.conditions
        self.written = False
        self.ctx, self.now, self.source, self.runtime = ctx, now, source, runtime
        self.out: list[Transition] = []

    def observe(self, key: ConditionKey, raw: bool, text: Summary | Callable[[], Summary], *, hold: float | None = None,
                may_resolve: bool = True, signals: frozenset[str] = frozenset()) -> None:
        """Step ``key`` with ``raw``; a callable ``text`` is called only if something happened.
        ``signals``: the readings that say it is active, of a condition combining several."""
        cs = self.conds.get(key)
        if cs is None:
            if not raw:
                return
            cs = _IDLE
        timing = self.ctx.timings[key[0]]
        if hold is not None:
            timing = (hold, *timing[1:])
        new, events = step(cs, raw, self.now, timing, may_resolve=may_resolve)
        battery = key[0] in BATTERY_CONDITIONS
        if battery and new.open and self.runtime is not None and (
                events or _moved(new.runtime, self.runtime, self.now, self.ctx.runtime_change_fraction)):
            if not events:
                events = (_UPDATED,)
            new = dataclasses.replace(new, runtime=self.runtime)
        if events:
            words = text if isinstance(text, Summary) else text()
            for kind in events:
                self.out.append(Transition(
                    site_id=self.ctx.id, condition=key[0], subject=key[1], kind=kind, at=self.now, summary=words,
                    flapping=new.flapping or kind is TransitionKind.FLAPPING,
                    runtime=self.runtime if battery else None, source=self.source))
        if signals != new.signals:
            new = dataclasses.replace(new, signals=signals)
        if new is not cs:
            self.set(key, new)

    def set(self, key: ConditionKey, cs: ConditionState) -> None:
        if not self.written:
            self.conds = dict(self.conds)
            self.written = True
        conds = self.conds
        assert isinstance(conds, dict)
        if cs.idle:
            conds.pop(key, None)
        else:
            conds[key] = cs


_IDLE = ConditionState()
_NONE: frozenset[str] = frozenset()


def _moved(before: RuntimeEstimate | None, now_estimate: RuntimeEstimate, now: float, fraction: float) -> bool:
    """The predicted depletion moved by more than ``fraction`` of the time left (or first estimate),
    at most once per ``_MIN_RUNTIME_SCALE`` seconds."""
    if before is None:
        return True
    if now - before.at < _MIN_RUNTIME_SCALE:
        return False
    shift = abs(now_estimate.depletion_at - before.depletion_at)
    return shift > fraction * max(now_estimate.seconds, _MIN_RUNTIME_SCALE)


def _battery(state: SiteEvalState, ctx: SiteContext, v: PollView, now: float
             ) -> tuple[float | None, tuple[BatterySample, ...], int | None, RuntimeEstimate | None, frozenset[str]]:
    """(on-battery since, window, inferred cells, runtime estimate, the readings it was made from)
    after this poll.

    When a reading the estimate was made from goes unknown, the estimate is not made again from
    what is left (another method, a different figure): its prediction stands for up to
    ``RUNTIME_HOLD``, so an unknown reading neither opens nor resolves ``battery_runtime_low``.
    """
    cells = state.cells
    volts = v.num("battery_voltage_volts")
    if ctx.cells is None and v.on_battery is not True and v.mains_lost is False and volts is not None:
        cells = cells_from_float_voltage(volts) or cells
    n = ctx.cells or cells
    v.cell_volts = volts / n if volts is not None and n else None
    if v.on_battery is False:
        return None, (), cells, None, _NONE
    if v.on_battery is None:
        return state.on_battery_since, state.battery, cells, state.runtime, state.battery_inputs
    sob = v.num("seconds_on_battery")
    since = state.on_battery_since if state.on_battery_since is not None else now - (sob or 0.0)
    battery_now = BatteryNow(at=now, reported_runtime=v.num("battery_runtime_seconds"),
                             charge=v.num("battery_charge_ratio"), cell_volts=v.cell_volts,
                             current=v.num("battery_current_amperes"),
                             on_battery_seconds=sob if sob is not None else now - since)
    window = add_sample(state.battery, BatterySample.of(battery_now))
    inputs = frozenset(name for name, x in (
        ("reported", battery_now.reported_runtime), ("charge", battery_now.charge),
        ("cell_volts", battery_now.cell_volts), ("current", battery_now.current)) if x is not None)
    held = state.runtime
    if held is not None and state.battery_inputs - inputs and now - held.at <= RUNTIME_HOLD:
        return since, window, cells, held, state.battery_inputs
    return since, window, cells, estimate_runtime(battery_now, window, ctx.battery), inputs


def evaluate(state: SiteEvalState, site: SiteContext, result: PollResult, now: float
             ) -> tuple[SiteEvalState, tuple[Transition, ...]]:
    """The site's state after ``result`` at ``now``, and the incidents' transitions it causes."""
    if not result.ok:
        return _failed(state, site, result, now)
    v = PollView(result.readings, site)
    since, window, cells, runtime, inputs = _battery(state, site, v, now)
    v.runtime = runtime if runtime is None or runtime.at == now else RuntimeEstimate(
        seconds=max(0.0, runtime.depletion_at - now), method=runtime.method, at=now)
    run = _Run(state, site, now, "poll", runtime)
    if state.failed_polls or _UNREACHABLE in run.conds:
        run.observe(_UNREACHABLE, False, Summary.of(
            part(Phrase.ANSWERING_AGAIN_AFTER, polls=state.failed_polls) if state.failed_polls
            else part(Phrase.ANSWERING_AGAIN)))
    conds = run.conds
    for condition, raw_of, text_of in CONDITIONS:
        cs = conds.get((condition, "")) if conds else None  # a healthy site: no lookups at all
        signals = raw_of(v, cs is not None and cs.raw)
        if len(signals) == 1 and not signals[0][0]:  # one unnamed signal: nothing to combine
            raw, held = signals[0][1], _NONE
        elif cs is None:  # nothing held: active if any signal says so
            if not any(s for _, s in signals):
                continue
            raw, held = combine(signals, _NONE)
        else:
            raw, held = combine(signals, _NONE if cs is None else cs.signals)
        if raw is None or (cs is None and not raw):
            continue
        run.observe((condition, ""), raw, partial(text_of, v, raw), signals=held)
    _links(run, v)
    changed = (run.written or since != state.on_battery_since or window is not state.battery
               or cells != state.cells or runtime is not state.runtime or inputs != state.battery_inputs
               or state.failed_polls or state.last_error)
    if not changed:
        return state, ()
    new = SiteEvalState(conditions=run.conds, failed_polls=0, last_error="", on_battery_since=since,
                        battery=window, cells=cells, runtime=runtime, battery_inputs=inputs)
    return new, tuple(run.out)


def _links(run: _Run, v: PollView) -> None:
    named = bool(run.ctx.uplinks)
    # without named uplinks: every interface not explicitly shut (admin up, or an admin status
    # that is missing or invalid, as microwave radios report it)
    interfaces = run.ctx.uplinks if named else [i for i in v.links if v.admin.get(i) != 0]
    conds = run.conds
    if conds:
        seen = set(interfaces)
        interfaces = [*interfaces, *(k[1] for k in conds if k[0] is Condition.LINK_DOWN and k[1] not in seen)]
    for interface in interfaces:
        raw = link_down(v, interface, named and interface in run.ctx.uplinks)
        if raw is None or (not raw and not conds):
            continue
        run.observe((Condition.LINK_DOWN, interface), raw, partial(link_summary, v, interface, raw))


def _failed(state: SiteEvalState, ctx: SiteContext, result: PollResult, now: float
            ) -> tuple[SiteEvalState, tuple[Transition, ...]]:
    if result.error in _UNREACHABLE_ERRORS:
        assert result.error is not None
        failed, error = state.failed_polls + 1, result.error.value
        raw = failed >= ctx.thresholds.unreachable_after_polls
    elif result.error in _ANSWERED_ERRORS:
        if not state.failed_polls and _UNREACHABLE not in state.conditions:
            return state, ()
        failed, error, raw = 0, "", False
    else:
        return state, ()  # our own bug: says nothing about the site
    run = _Run(state, ctx, now, "poll", state.runtime)
    run.observe(_UNREACHABLE, raw, Summary.of(part(Phrase.NO_ANSWER, polls=failed, error=error) if raw
                                              else part(Phrase.ANSWERING_AGAIN)))
    return dataclasses.replace(state, conditions=run.conds, failed_polls=failed, last_error=error), tuple(run.out)


def evaluate_trap(state: SiteEvalState, site: SiteContext, trap: TrapEvent, now: float
                  ) -> tuple[SiteEvalState, tuple[Transition, ...]]:
    """Apply a trap: asserted conditions open at once (no hold); cleared ones wait for a poll."""
    run = _Run(state, site, now, f"trap:{trap.name}", state.runtime)
    for condition, subject, asserted in trap.asserts:
        key = (condition, subject)
        words = _join_trap(trap, subject, asserted)
        before = len(run.out)
        cs_open = run.conds.get(key, _IDLE).open
        run.observe(key, asserted, words, hold=0.0, may_resolve=False)
        if asserted and cs_open and len(run.out) == before:
            run.out.append(Transition(site_id=site.id, condition=condition, subject=subject, kind=_UPDATED, at=now,
                                      summary=words, flapping=run.conds[key].flapping,
                                      runtime=state.runtime if condition in BATTERY_CONDITIONS else None,
                                      source=run.source))
    if not run.written:
        return state, tuple(run.out)
    return dataclasses.replace(state, conditions=run.conds), tuple(run.out)


def _join_trap(trap: TrapEvent, subject: str, asserted: bool) -> Summary:
    if not subject:
        return Summary.of(part(Phrase.TRAP, name=trap.name, source=trap.source))
    key = Phrase.TRAP_SUBJECT_DOWN if asserted else Phrase.TRAP_SUBJECT_UP
    return Summary.of(part(key, subject=subject, name=trap.name, source=trap.source))

