"""Poll one site: fetch every target's plan, map to canonical readings, return a ``PollResult``.

A failed poll is data, not an exception: everything is caught at the site boundary and
classified into a ``PollErrorKind``. Which client serves a target is decided here (the lean
codec for v1/v2c, pysnmp for v3); profiles are compiled once per combination and, for targets
configured without profiles, detected once from sysObjectID and a probe of the MIB tree.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sitewatch.core.clock import Clock
from sitewatch.core.errors import PollError
from sitewatch.core.model import PollErrorKind, PollResult, Reading, SnmpException, SnmpValue
from sitewatch.snmp.client import SnmpClient, Target
from sitewatch.snmp.contacts import Wiring, wire
from sitewatch.snmp.profiles import CompiledProfiles, Profile, compile_profiles, detect_profiles, detection_plan

__all__ = ["BUDGET_SWEEP_SECONDS", "ClientRouter", "SitePlan", "SitePoller", "TargetPlan"]

log = logging.getLogger(__name__)

_SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
_NO_RAW: Mapping[str, SnmpValue] = MappingProxyType({})
#: how late a poll's budget may be enforced, at most (seconds)
BUDGET_SWEEP_SECONDS = 0.1


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetPlan:
    """One SNMP target of a site and the profiles to read from it (empty = detect)."""

    target: Target
    profile_names: tuple[str, ...] = ()
    #: what the dry-contact inputs mean at this site (None: the profiles' defaults)
    inputs: tuple[Wiring, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SitePlan:
    """Everything needed to poll one site."""

    site_id: str
    targets: tuple[TargetPlan, ...]
    #: upper bound for the whole poll of this site, seconds
    budget: float = 60.0


class ClientRouter:
    """Chooses the client for a target: ``lean`` for v1/v2c when configured, pysnmp otherwise."""

    def __init__(self, *, v1v2: SnmpClient, v3: SnmpClient) -> None:
        self.v1v2 = v1v2
        self.v3 = v3

    def for_target(self, target: Target) -> SnmpClient:
        return self.v3 if target.version == "3" else self.v1v2

    async def close(self) -> None:
        await self.v1v2.close()
        if self.v3 is not self.v1v2:
            await self.v3.close()


class _Watch:
    """One running poll's budget."""

    __slots__ = ("cancelling", "deadline", "done", "fired", "task")

    def __init__(self, deadline: float, task: asyncio.Task[object]) -> None:
        self.deadline = deadline
        self.task = task
        self.cancelling = task.cancelling()
        self.fired = False
        self.done = False

    def expired(self) -> bool:
        """After a ``CancelledError``: True when it was this budget's, and only its."""
        return self.fired and self.task.uncancel() <= self.cancelling


class _Budgets:
    """The budgets of running polls, enforced by one periodic check rather than a timer each.

    ``asyncio.timeout()`` costs a ``TimerHandle`` per poll, pushed on the loop's heap (compared
    in Python) and left there, cancelled, for the whole budget: at 10,000 polls a minute a
    measurable share of the poll path. Polls with the same budget reach it in the order they
    started, so one FIFO per budget value, checked every ``BUDGET_SWEEP_SECONDS``, finds the
    overdue ones; their tasks are cancelled and the poll turns that into a TIMEOUT result,
    as ``asyncio.timeout`` would (``Task.uncancel`` tells its cancellation from anyone else's).
    """

    def __init__(self) -> None:
        self._fifos: dict[float, deque[_Watch]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def watch(self, budget: float) -> _Watch:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        if task is None:
            raise RuntimeError("a poll runs in a task")
        if loop is not self._loop:  # a poller used from another loop: the old one's polls are gone
            self._fifos.clear()
            self._timer = None
            self._loop = loop
        w = _Watch(loop.time() + budget, task)
        fifo = self._fifos.get(budget)
        if fifo is None:
            fifo = self._fifos[budget] = deque()
        fifo.append(w)
        if self._timer is None:
            self._timer = loop.call_later(BUDGET_SWEEP_SECONDS, self._sweep, loop)
        return w

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        if loop is not self._loop:
            return  # a timer of a loop this poller has left
        self._timer = None
        now = loop.time()
        for budget, fifo in list(self._fifos.items()):
            while fifo and (fifo[0].done or fifo[0].deadline <= now):
                w = fifo.popleft()
                if not w.done:
                    w.fired = True
                    w.task.cancel()
            if not fifo:
                del self._fifos[budget]
        if self._fifos and not loop.is_closed():
            self._timer = loop.call_later(BUDGET_SWEEP_SECONDS, self._sweep, loop)


@dataclass(slots=True)
class _Compiled:
    by_names: dict[tuple[tuple[str, ...], tuple[Wiring, ...] | None], CompiledProfiles] = field(default_factory=dict)
    detected: dict[Target, tuple[str, ...]] = field(default_factory=dict)


class SitePoller:
    """Polls sites. One instance serves the whole fleet; it holds no per-poll state."""

    def __init__(self, *, clients: ClientRouter, profiles: Mapping[str, Profile], clock: Clock,
                 keep_raw: bool = False) -> None:
        self._clients = clients
        self._profiles = profiles
        self._clock = clock
        self._keep_raw = keep_raw
        self._cache = _Compiled()
        self._detect_plan = detection_plan(profiles)
        self._budgets = _Budgets()

    def compiled(self, names: tuple[str, ...], inputs: tuple[Wiring, ...] | None = None) -> CompiledProfiles:
        """The compiled profiles for these names and input wiring (cached: many sites share a
        combination)."""
        c = self._cache.by_names.get((names, inputs))
        if c is None:
            c = compile_profiles([wire(self._profiles[n], inputs) for n in names])
            self._cache.by_names[(names, inputs)] = c
        return c

    async def _profile_names(self, tp: TargetPlan, client: SnmpClient) -> tuple[str, ...]:
        if tp.profile_names:
            return tp.profile_names
        names = self._cache.detected.get(tp.target)
        if names is None:
            probe = await client.fetch(tp.target, self._detect_plan)
            sys_oid = probe.get(_SYS_OBJECT_ID)
            names = detect_profiles(sys_oid if isinstance(sys_oid, str) else None, probe, self._profiles)
            if not names:
                raise PollError(PollErrorKind.NO_SUCH_OBJECT, "no known profile matches this agent")
            self._cache.detected[tp.target] = names
            log.info("detected profiles %s for %r", ",".join(names), tp.target)
        return names

    async def _poll_target(self, tp: TargetPlan) -> tuple[tuple[Reading, ...], Mapping[str, SnmpValue],
                                                          tuple[str, ...]]:
        client = self._clients.for_target(tp.target)
        names = await self._profile_names(tp, client)
        compiled = self.compiled(names, tp.inputs)
        raw = await client.fetch(tp.target, compiled.plan)
        if raw and all(isinstance(v, SnmpException) for v in raw.values()):
            raise PollError(PollErrorKind.NO_SUCH_OBJECT, "the agent has none of the profiles' objects")
        if not raw:
            raise PollError(PollErrorKind.NO_SUCH_OBJECT, "the agent returned no objects")
        return compiled.readings(raw), raw, compiled.names

    async def poll(self, plan: SitePlan) -> PollResult:
        """Poll every target of the site. Never raises (except cancellation)."""
        clock = self._clock
        started = clock.time()
        t0 = clock.monotonic()
        readings: tuple[Reading, ...] | list[Reading] = ()
        raw_all: Mapping[str, SnmpValue] = _NO_RAW
        used: tuple[str, ...] | list[str] = ()
        error: PollErrorKind | None = None
        detail = ""
        watch = self._budgets.watch(plan.budget)
        try:
            if len(plan.targets) == 1:  # most sites: no lists to join
                try:
                    readings, raw, used = await self._poll_target(plan.targets[0])
                    if self._keep_raw:
                        raw_all = dict(raw)
                except PollError as e:
                    error, detail = e.kind, e.detail
            else:  # filled as targets answer, so a budget overrun keeps what came in
                readings, raw_all, used = [], {}, []
                error, detail = await self._poll_targets(plan.targets, readings, raw_all, used)
        except asyncio.CancelledError:
            if not watch.expired():
                raise
            error, detail = PollErrorKind.TIMEOUT, f"site poll exceeded its {plan.budget:g}s budget"
        except TimeoutError:
            error, detail = PollErrorKind.TIMEOUT, f"site poll exceeded its {plan.budget:g}s budget"
        except Exception as e:  # a bug must not stop the fleet: classify and carry on
            log.exception("internal error polling %s", plan.site_id, extra={"site": plan.site_id})
            error, detail = PollErrorKind.INTERNAL, type(e).__name__
        finally:
            watch.done = True
        return PollResult(
            site_id=plan.site_id, started_at=started, duration_seconds=clock.monotonic() - t0,
            ok=error is None, error=error, error_detail=detail, readings=tuple(readings),
            raw=raw_all, profiles=tuple(used),
        )

    async def _poll_targets(self, targets: tuple[TargetPlan, ...], readings: list[Reading],
                            raw_all: dict[str, SnmpValue], used: list[str]) -> tuple[PollErrorKind | None, str]:
        error: PollErrorKind | None = None
        detail = ""
        for tp in targets:
            try:
                r, raw, names = await self._poll_target(tp)
            except PollError as e:
                error, detail = error or e.kind, detail or e.detail
                continue
            readings.extend(r)
            used.extend(n for n in names if n not in used)
            if self._keep_raw:
                raw_all.update(raw)
        return error, detail
