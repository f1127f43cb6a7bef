"""Supervision of sitewatch's long-running work: nothing vital may stop quietly.

    task (outbox worker, trap receiver) ──raises / ends──▶ logged (traceback once per outage),
        counted, down ──backoff──▶ restarted ──runs SETTLE s──▶ up
    job (an APScheduler interval job)  ──a run raises──▶ logged, counted, down, later runs skipped
        during the backoff ──next run succeeds──▶ up

A *vital* task is one without which sitewatch would look alive while failing its purpose (no
polls, no escalation timers, no notifications). While any vital task is down ``healthy()`` is
false: ``/readyz`` fails, the dead man's switch heartbeat and the systemd watchdog pings stop, so
the outside world notices even though the process still answers.

A restarted task counts as up once it has run ``settle`` seconds without failing again, so a task
that fails at once on every restart stays down rather than flickering up between attempts.
Backoff and settling run on the event loop's time, as the scheduler's runs do; the injected clock
only dates the outages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from sitewatch.core.clock import Clock

__all__ = ["Backoff", "Supervisor", "TaskStatus"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Backoff:
    """Delay before restart ``n`` (1 = the first after a failure): ``initial`` doubling up to
    ``maximum``. A task that ran ``maximum`` seconds before failing starts again from ``initial``."""

    initial: float = 1.0
    maximum: float = 30.0

    def delay(self, failures: int) -> float:
        return min(self.maximum, self.initial * 2.0 ** max(0, failures - 1))


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskStatus:
    """One supervised task as ``/readyz`` and ``status()`` show it."""

    name: str
    vital: bool
    up: bool
    #: failures since start (each one is followed by a restart or, for a job, its next run)
    restarts: int
    #: unix time of the failure that began the current outage; None while up
    down_since: float | None
    #: the last failure, ``"OperationalError: disk I/O error"``; None until one happens
    error: str | None

    def describe(self, now: float) -> str:
        """``[+] outbox (vital): running`` / ``[-] outbox (vital): down for 12 s, 3 restart(s), ...``"""
        kind = "vital" if self.vital else "optional"
        if self.up:
            return f"[+] {self.name} ({kind}): running" + (f", {self.restarts} restart(s)" if self.restarts else "")
        down_for = now - (self.down_since if self.down_since is not None else now)
        return (f"[-] {self.name} ({kind}): down for {down_for:.0f} s, {self.restarts} restart(s), "
                f"last error: {self.error}")


class _Watched:
    """The supervisor's mutable record of one task."""

    __slots__ = ("down_since", "error", "failures", "name", "restarts", "retry_at", "run", "vital")

    def __init__(self, name: str, vital: bool) -> None:
        self.name = name
        self.vital = vital
        self.restarts = 0
        self.failures = 0  # in a row
        self.error: str | None = None
        self.down_since: float | None = None
        self.retry_at = 0.0  # event loop time; a job skips its runs until then
        self.run = 0  # a task's current run, counted from 1


class _TaskCollector(Collector):
    def __init__(self, supervisor: Supervisor) -> None:
        self._supervisor = supervisor

    def collect(self) -> Iterable[Metric]:
        restarts = CounterMetricFamily("sitewatch_task_restarts", "Failures of a supervised task, each followed "
                                       "by a restart (or, for a periodic job, its next run)", labels=["task"])
        up = GaugeMetricFamily("sitewatch_task_up", "1 while a supervised task runs; vital=\"true\" ones "
                               "fail /readyz and stop the heartbeat while down", labels=["task", "vital"])
        for s in self._supervisor.status():
            restarts.add_metric([s.name], s.restarts)
            up.add_metric([s.name, "true" if s.vital else "false"], 1 if s.up else 0)
        yield restarts
        yield up


class Supervisor:
    """Watches tasks and jobs; ``on_change()`` runs whenever one goes down or comes back up."""

    def __init__(self, *, clock: Clock, backoff: Backoff | None = None, settle: float | None = None,
                 on_change: Callable[[], None] = lambda: None) -> None:
        self.clock = clock
        self.backoff = backoff or Backoff()
        self.settle = self.backoff.initial if settle is None else settle
        self.on_change = on_change
        self._watched: dict[str, _Watched] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopping = False

    def collector(self) -> Collector:
        """``sitewatch_task_restarts_total{task}`` and ``sitewatch_task_up{task,vital}``."""
        return _TaskCollector(self)

    # -- state --------------------------------------------------------------------------------

    def status(self) -> list[TaskStatus]:
        """Every supervised task, in the order they were added."""
        out = []
        for w in self._watched.values():
            up = w.down_since is None
            out.append(TaskStatus(name=w.name, vital=w.vital, up=up, restarts=w.restarts,
                                  down_since=None if up else w.down_since, error=w.error))
        return out

    def down(self) -> list[TaskStatus]:
        """Vital tasks that are down now."""
        return [s for s in self.status() if s.vital and not s.up]

    def healthy(self) -> bool:
        """True while every vital task is up."""
        return not self.down()

    def describe(self, now: float | None = None) -> list[str]:
        """One line per task, ``[+]`` up or ``[-]`` down (the ``/readyz`` body)."""
        now = self.clock.time() if now is None else now
        return [s.describe(now) for s in self.status()]

    def _watch(self, name: str, vital: bool) -> _Watched:
        if name in self._watched:
            raise ValueError(f"task {name!r} is already supervised")
        w = self._watched[name] = _Watched(name, vital)
        return w

    def _failed(self, w: _Watched, exc: BaseException) -> float:
        """Record a failure; returns the backoff delay before the next attempt."""
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        first = w.down_since is None
        w.restarts += 1
        w.failures += 1
        delay = self.backoff.delay(w.failures)
        if first or error != w.error:  # the traceback once per outage (and again if the error changes)
            log.error("%s task %s failed; restarting in %.0f s", "vital" if w.vital else "optional", w.name, delay,
                      exc_info=exc)
        else:
            log.debug("task %s failed again (%s); restarting in %.0f s", w.name, error, delay)
        w.error = error
        w.retry_at = asyncio.get_running_loop().time() + delay
        if first:
            w.down_since = self.clock.time()
            self.on_change()
        return delay

    def _recovered(self, w: _Watched, *, reset: bool = True) -> None:
        if w.down_since is not None:
            log.info("task %s is running again after %d failure(s), down %.0f s", w.name, w.failures,
                     self.clock.time() - w.down_since)
            w.down_since = None
            self.on_change()
        if reset:
            w.failures = 0

    # -- long-running tasks -------------------------------------------------------------------

    def start(self, name: str, run: Callable[[], Awaitable[None]], *, vital: bool) -> None:
        """Run ``run()`` as a task now, and again (with backoff) whenever it raises or returns
        before ``stop()``."""
        w = self._watch(name, vital)
        self._tasks[name] = asyncio.create_task(self._keep_running(w, run), name=f"supervise-{name}")

    async def _keep_running(self, w: _Watched, run: Callable[[], Awaitable[None]]) -> None:
        while not self._stopping:
            started = asyncio.get_running_loop().time()
            w.run += 1
            settling = None
            if w.down_since is not None:
                settling = asyncio.get_running_loop().call_later(self.settle, self._settled, w, w.run)
            try:
                await run()
                if self._stopping:
                    return
                raise RuntimeError("the task ended on its own")
            except Exception as exc:
                if self._stopping:
                    return
                if asyncio.get_running_loop().time() - started >= self.backoff.maximum:
                    w.failures = 0  # it ran long enough: start the backoff over
                delay = self._failed(w, exc)
            finally:
                if settling is not None:
                    settling.cancel()
            await asyncio.sleep(delay)

    def _settled(self, w: _Watched, run: int) -> None:
        if w.run == run:  # that run is still going; the backoff grows on until one runs long
            self._recovered(w, reset=False)

    async def stop(self) -> None:
        """Stop restarting; cancel what is still running (stop the work itself first, e.g.
        ``EscalationEngine.stop()``, so it can finish cleanly)."""
        self._stopping = True
        for t in self._tasks.values():
            t.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()

    def stopping(self) -> None:
        """Mark the shutdown as begun: tasks that end from now on are not restarted."""
        self._stopping = True

    # -- periodic jobs ------------------------------------------------------------------------

    def job(self, name: str, run: Callable[[], Awaitable[None]], *, vital: bool) -> Callable[[], Awaitable[None]]:
        """A supervised version of ``run`` for a scheduler: a run that raises is logged and
        counted and marks the job down until a run succeeds; runs due during the backoff are
        skipped."""
        w = self._watch(name, vital)

        async def supervised() -> None:
            if w.down_since is not None and asyncio.get_running_loop().time() < w.retry_at:
                return
            try:
                await run()
            except Exception as exc:
                self._failed(w, exc)
            else:
                self._recovered(w)

        return supervised
