"""The composition root: the one place that wires configuration, clients, poller, scheduler,
snapshot, metrics and the HTTP listener together.

    poll (scheduler → poller → SNMP clients) → FleetState → metrics / HTTP API (read only)

The one module of wiring, at the top of the layers: only the entry points (``cli``, ``commands``)
import it. The process services it runs on (logs, systemd notify, supervisor, heartbeat) are in
``sitewatch.runtime``, near the bottom, so nothing below has to load the whole daemon to use them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from sitewatch.config.loader import load_config
from sitewatch.config.schema import Config, Site
from sitewatch.core.clock import Clock, SystemClock
from sitewatch.core.errors import ConfigError
from sitewatch.core.model import PollResult
from sitewatch.core.privatefiles import private_dir, private_file
from sitewatch.escalation.engine import EscalationEngine
from sitewatch.incidents.acks import IncidentAcks
from sitewatch.incidents.metrics import IncidentCollector
from sitewatch.incidents.service import IncidentService
from sitewatch.messages.acklinks import AckSigner
from sitewatch.metrics.exposition import Exposition
from sitewatch.metrics.self_metrics import SelfMetrics
from sitewatch.notify.model import Notifier
from sitewatch.notify.registry import build_notifiers
from sitewatch.oncall.checks import oncall_warnings
from sitewatch.oncall.schedule import shift_starts
from sitewatch.polling.fleet_snapshot import FleetState, SiteStatus
from sitewatch.polling.poller import ClientRouter, SitePlan, SitePoller
from sitewatch.polling.scheduler import PollScheduler
from sitewatch.polling.site_plans import site_plans
from sitewatch.runtime import logs
from sitewatch.runtime.gctune import tune_gc
from sitewatch.runtime.heartbeat import Heartbeat
from sitewatch.runtime.sdnotify import ServiceNotifier, keep_watchdog
from sitewatch.runtime.supervisor import Supervisor
from sitewatch.snmp.client import SnmpClient
from sitewatch.snmp.profiles import load_profiles
from sitewatch.store.database import SqliteDatabase, database_path
from sitewatch.store.incidents import IncidentStore
from sitewatch.traps import TrapReceiver, TrapSources
from sitewatch.web.ack import ack_routes
from sitewatch.web.app import build_app
from sitewatch.web.oncall import oncall_routes
from sitewatch.web.server import EmbeddedServer, server_config

__all__ = ["RESTART_NEEDED", "Daemon", "build_clients", "keep_fixed", "parse_listen", "with_overrides"]

log = logging.getLogger("sitewatch")


def parse_listen(listen: str) -> tuple[str, int]:
    """``127.0.0.1:9641`` / ``[::1]:9641`` / ``:9641`` → (host, port)."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port)


def build_clients(config: Config) -> ClientRouter:
    """The lean codec for v1/v2c (unless configured otherwise), pysnmp for v3."""
    from sitewatch.snmp.pysnmp_client import PysnmpClient

    v3: SnmpClient = PysnmpClient()
    v1v2: SnmpClient = v3
    if config.daemon.snmp_client == "lean":
        from sitewatch.snmp.lean_client import LeanSnmpClient

        v1v2 = LeanSnmpClient()
    return ClientRouter(v1v2=v1v2, v3=v3)


class Daemon:
    """Runs the whole of sitewatch in one asyncio loop."""

    def __init__(self, config: Config, *, config_path: str | Path | None = None, clock: Clock | None = None,
                 clients: ClientRouter | None = None, overrides: Overrides | None = None) -> None:
        self.config = config
        self.config_path = config_path
        self.overrides = overrides or {}  #: command-line settings, laid over every reloaded file
        self.clock = clock or SystemClock()
        self.clients = clients or build_clients(config)
        self.state = FleetState()
        self.self_metrics = SelfMetrics(dropped=self._dropped_counts)
        self.exposition = Exposition(state=self.state, sites=(), staleness=config.daemon.staleness_seconds,
                                     now=self.clock.time, own=self.self_metrics.registry)
        self.scheduler = PollScheduler(poll=self._poll_site, interval=config.daemon.poll_interval,
                                       concurrency=config.daemon.concurrency, clock=self.clock)
        # read when scraped, rather than moved up and down around every poll
        self.self_metrics.running.set_function(lambda: self.scheduler.running)
        self._sites: dict[str, Site] = {}
        self._plans: dict[str, SitePlan] = {}
        self.poller: SitePoller
        self._started_at = 0.0
        self._stop = asyncio.Event()
        private_dir(Path(config.daemon.state_dir))  # 0700: contacts, the outbox, the ack link key
        self.db = SqliteDatabase(database_path(config))
        self.store = IncidentStore(self.db)
        self.incidents = IncidentService(store=self.store, config=config, clock=self.clock,
                                         repoll=self.scheduler.poll_now)
        self.state.subscribe(self.incidents.on_poll)
        self.traps: TrapReceiver | None = None
        if config.traps.enabled:
            self.traps = TrapReceiver.from_config(config, on_event=self.incidents.on_trap, clock=self.clock)
        self.self_metrics.registry.register(IncidentCollector(
            self.incidents, traps=lambda: self.traps.counts if self.traps is not None else None))
        self.signer = ack_signer(config)
        self.escalation = EscalationEngine(store=self.store, config=config, clock=self.clock,
                                           notifiers=build_notifiers(config), signer=self.signer,
                                           incidents=self.incidents)
        self.incidents.subscribe(self.escalation.on_changes)
        self.self_metrics.registry.register(self.escalation.collector())
        self.acks = IncidentAcks(self.incidents, group_incidents=self.escalation.group_incidents)
        self.heartbeat = Heartbeat(config.notifications.heartbeat) if config.notifications.heartbeat else None
        self._heartbeat_beating = True
        self.systemd = ServiceNotifier.from_environment()
        self.supervisor = Supervisor(clock=self.clock, on_change=self._health_changed)
        self.self_metrics.registry.register(self.supervisor.collector())
        self.jobs: AsyncIOScheduler | None = None  # set while running
        self._heartbeat_job: Callable[[], Awaitable[None]] | None = None  # supervised, made once
        self._reloading: set[asyncio.Task[None]] = set()
        self._traps_moving = asyncio.Lock()
        self._shifts_checked_to = self.clock.time()
        self._apply(config)

    # -- configuration -------------------------------------------------------------------
    def _apply(self, config: Config) -> None:
        profiles = load_profiles(config.profile_dirs)
        self.poller = SitePoller(clients=self.clients, profiles=profiles, clock=self.clock)
        self.config = config
        self._sites = {s.id: s for s in config.sites}
        self._plans = site_plans(config)
        self.state.set_sites(self._plans)
        self.exposition.set_sites([s for s in config.sites if s.id in self._plans],
                                  power_watched=[s.id for s in config.sites if config.power_watched(s)])
        self.exposition.staleness = config.daemon.staleness_seconds
        self.self_metrics.sites.set(len(self._sites))
        self.scheduler.concurrency = config.daemon.concurrency
        self.scheduler.set_interval(config.daemon.poll_interval)
        self.scheduler.set_sites(self._plans)

    def reload(self) -> bool:
        """Re-read the configuration (SIGHUP) and adopt it everywhere; on any error keep running
        with the old one. Settings only a restart can change keep their running values, named
        in one warning."""
        if self.config_path is None:
            return False
        try:
            new = with_overrides(load_config(self.config_path), self.overrides)
            new, fixed = keep_fixed(self.config, new)
            # everything that can still refuse the new configuration, before anything changes
            signer, notifiers = ack_signer(new), build_notifiers(new)
        except (ConfigError, ValueError) as e:
            log.error("configuration reload failed, keeping the running configuration:\n%s", e)
            return False
        if fixed:
            log.warning("configuration reload: %s changed; the running value%s kept until sitewatch is "
                        "restarted", ", ".join(fixed), " is" if len(fixed) == 1 else "s are")
        self._adopt(new, signer, notifiers)
        log.info("configuration reloaded: %d sites", len(self._sites))
        return True

    def _adopt(self, config: Config, signer: AckSigner, notifiers: Mapping[str, Notifier]) -> None:
        # Swap the configuration into every service first, then let the incident changes it
        # caused (a removed maintenance window, a changed site tree) flow: they are routed,
        # composed and signed under the new configuration, never the old one.
        before = self.config
        self._apply(config)
        logs.set_format(config.daemon.log_format)
        self.signer = signer
        self.escalation.set_config(config, notifiers, signer=signer)
        changes = self.incidents.adopt_config(config)
        self._reload_traps(config)
        if config.notifications.heartbeat != before.notifications.heartbeat:
            self._reload_heartbeat(config)
        self.incidents.publish(changes)

    def _reload_traps(self, config: Config) -> None:
        if self.jobs is not None:
            self._in_background(self._move_traps(config))
        elif not self._adjust_traps(config):  # not running yet: run() starts the receiver
            self.traps = self._trap_receiver(config) if config.traps.enabled else None

    def _adjust_traps(self, config: Config) -> bool:
        """True when the receiver as it is serves ``config.traps`` (given the new sites)."""
        traps, current = config.traps, self.traps
        if current is None:
            return not traps.enabled
        if traps.enabled and traps.listen == current.listen:
            current.update(TrapSources.from_config(config))
            return True
        return False

    def _trap_receiver(self, config: Config) -> TrapReceiver:
        return TrapReceiver.from_config(config, on_event=self.incidents.on_trap, clock=self.clock)

    async def _move_traps(self, config: Config) -> None:
        """Start, stop or rebind the trap receiver: the new address is bound before the old one
        is let go, and if it cannot be bound, traps keep coming in where they did."""
        async with self._traps_moving:  # one reload after another, each from where the last left it
            if self._adjust_traps(config):
                return
            old, listen = self.traps, config.traps.listen
            new = self._trap_receiver(config) if config.traps.enabled else None
            if new is not None:
                try:
                    await new.start()
                except OSError as e:
                    if old is None:
                        log.error("cannot receive traps on %s: %s", listen, e)
                        return
                    old.update(TrapSources.from_config(config))
                    log.error("cannot receive traps on %s: %s; still receiving on %s (restart sitewatch to "
                              "move there)", listen, e, old.listen)
                    return
            self.traps = new
            if old is not None:
                await old.stop()
            log.info("receiving SNMP traps on %s" if new is not None else "no longer receiving SNMP traps", listen)

    def _reload_heartbeat(self, config: Config) -> None:
        old = self.heartbeat
        spec = config.notifications.heartbeat
        self.heartbeat = Heartbeat(spec) if spec is not None else None
        self._schedule_heartbeat()
        if old is not None:
            self._in_background(old.close())

    def _schedule_heartbeat(self) -> None:
        """(Re)schedule the supervised heartbeat job at the configured interval, or drop it."""
        jobs = self.jobs
        if jobs is None:
            return
        if jobs.get_job("heartbeat") is not None:
            jobs.remove_job("heartbeat")
        if self.heartbeat is not None:
            if self._heartbeat_job is None:
                self._heartbeat_job = self.supervisor.job("heartbeat", self._heartbeat, vital=False)
            jobs.add_job(self._heartbeat_job, "interval", seconds=self.heartbeat.interval, id="heartbeat",
                         name="heartbeat", max_instances=1, coalesce=True)

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        # reload() runs in a signal handler; what must await runs as a task kept until it ends
        task = asyncio.get_running_loop().create_task(work)
        self._reloading.add(task)
        task.add_done_callback(self._reloading.discard)

    # -- polling -------------------------------------------------------------------------
    def _dropped_counts(self) -> list[Mapping[str, int]]:
        dropped = getattr(self.clients.v1v2, "dropped", None)
        return [dropped] if isinstance(dropped, Mapping) else []

    async def _poll_site(self, site_id: str) -> None:
        plan = self._plans.get(site_id)
        if plan is None:
            return
        result = await self.poller.poll(plan)
        state = self.state
        before = state.get(site_id)
        state.record(result)
        self.self_metrics.observe(result)
        self._log_change(before, result)

    @staticmethod
    def _log_change(before: SiteStatus | None, result: PollResult) -> None:
        # log only state changes: a site down for a week makes two log lines
        was_up = before is not None and before.up
        first = before is None or before.last_result is None
        if result.ok and (not was_up) and not first:
            log.info("site %s is answering again", result.site_id, extra={"site": result.site_id})
        elif not result.ok and (was_up or first):
            log.warning("site %s poll failed: %s %s", result.site_id,
                        result.error.value if result.error else "", result.error_detail,
                        extra={"site": result.site_id})

    async def _incident_tick(self) -> None:
        self.incidents.tick()

    async def _escalation_tick(self) -> None:
        self.escalation.tick()

    async def _escalation_audit(self) -> None:
        overdue = self.escalation.audit()
        if overdue:
            log.warning("escalation audit ran %d overdue step(s)", overdue)

    async def _shift_notices(self) -> None:
        now = self.clock.time()
        for s in shift_starts(self.config, self._shifts_checked_to, now + 60):
            self.escalation.notify_shift(s.person, s.roster, s.start, s.end)
        self._shifts_checked_to = now + 60

    def _ack_actor(self, grant: Any) -> str:
        # the timeline shows the person's name; the id stays for matching the escalation's pages
        person = self.config.people.get(grant.person)
        return f"{person.name} ({grant.person}, ack link)" if person else f"{grant.person} (ack link)"

    async def _prune(self) -> None:
        pruned = self.escalation.prune()
        if pruned:
            log.info("pruned %d finished escalation record(s) older than 30 days", pruned)

    async def _heartbeat(self) -> None:
        # silent while a vital task is down, so the dead man's switch pages someone
        healthy = self.supervisor.healthy()
        if healthy != self._heartbeat_beating:
            self._heartbeat_beating = healthy
            if healthy:
                log.info("heartbeat resumes: every vital task is running")
            else:
                log.warning("heartbeat paused while vital task(s) are down: %s",
                            ", ".join(t.name for t in self.supervisor.down()))
        if healthy and self.heartbeat is not None:
            await self.heartbeat.ping()

    async def _checkpoint(self) -> None:
        # WAL checkpoints off the loop, so a large one never stalls polling
        await asyncio.to_thread(self.db.checkpoint)

    async def _dispatch_due(self) -> None:
        # a coroutine, so APScheduler runs it on the loop rather than in its thread pool
        self.scheduler.tick()

    def _escalation_audit_at_start(self) -> None:
        # resume what a restart interrupted: overdue levels, repeats, unsent notifications
        overdue = self.escalation.audit()
        if overdue:
            log.warning("resumed %d overdue escalation step(s) after restart", overdue)

    def ready(self) -> tuple[bool, list[str]]:
        """Ready once every site has been polled once (or one interval has passed) and while every
        vital task runs; with one line per check for ``/readyz``."""
        polled = (self.clock.monotonic() - self._started_at >= self.config.daemon.poll_interval
                  or all(s.last_result is not None for s in self.state.snapshot().values()))
        first = "[+] first poll cycle: complete" if polled else "[-] first poll cycle: not complete"
        return polled and self.supervisor.healthy(), [first, *self.supervisor.describe(),
                                                      *self.escalation.describe_channels()]

    # -- running -------------------------------------------------------------------------
    def request_stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Run until ``request_stop()`` (or SIGTERM/SIGINT when installed)."""
        tune_gc()
        self._started_at = self.clock.monotonic()
        host, port = parse_listen(self.config.daemon.listen)
        app = build_app(state=self.state, sites=lambda: self._sites, exposition=self.exposition,
                        staleness=lambda: self.config.daemon.staleness_seconds, now=self.clock.time,
                        ready=self.ready, incidents=self.incidents, config=lambda: self.config,
                        history=self.escalation.incident_history,
                        extra_routes=[
                            *oncall_routes(lambda: self.config, self.clock.time),
                            *ack_routes(signer_getter=lambda: self.signer, acknowledge=self.acks.acknowledge,
                                        describe=self.acks.describe, now=self.clock.time,
                                        timezone=self.config.daemon.timezone, actor_for=self._ack_actor),
                        ])
        server = EmbeddedServer(server_config(app, host, port, request_timeout=lambda: self.config.api.request_timeout))
        server_task = asyncio.create_task(server.serve(), name="http")  # if it ends, the daemon stops
        self.jobs = jobs = AsyncIOScheduler(timezone=self.config.daemon.timezone)
        for name, job, seconds, vital in self._jobs():
            jobs.add_job(self.supervisor.job(name, job, vital=vital), "interval", seconds=seconds, id=name, name=name,
                         max_instances=1, coalesce=True)
        self._schedule_heartbeat()
        for warning in oncall_warnings(self.config, self.clock.time()):
            log.warning("on-call: %s", warning)
        self._escalation_audit_at_start()
        self.supervisor.start("outbox", self.escalation.run, vital=True)
        jobs.start()
        if self.traps is not None:
            # optional: polling sees every condition without traps, only later
            self.supervisor.start("traps", self._receive_traps, vital=False)
        self.scheduler.tick()
        log.info("sitewatch polling %d sites every %gs; listening on %s", len(self._plans),
                 self.config.daemon.poll_interval, self.config.daemon.listen)
        self.systemd.notify("READY=1", f"STATUS={self._status()}")
        watchdog = asyncio.create_task(keep_watchdog(self.systemd, self.supervisor.healthy), name="watchdog")
        try:
            stop_task = asyncio.create_task(self._stop.wait())
            done, _ = await asyncio.wait({stop_task, server_task}, return_when=asyncio.FIRST_COMPLETED)
            if server_task in done and not stop_task.done():
                stop_task.cancel()
                exc = server_task.exception() if not server_task.cancelled() else None
                raise RuntimeError(f"HTTP listener on {self.config.daemon.listen} stopped: {exc!r}")
        finally:
            self.systemd.notify("STOPPING=1", "STATUS=stopping")
            watchdog.cancel()
            self.supervisor.stopping()
            jobs.shutdown(wait=False)
            await self.scheduler.stop()
            server.should_exit = True
            with contextlib.suppress(Exception, SystemExit):
                await server_task
            await self.escalation.stop()
            await self.supervisor.stop()
            if self._reloading:  # a trap rebind or heartbeat close a reload started
                await asyncio.wait(self._reloading)
            if self.traps is not None:
                await self.traps.stop()
            if self.heartbeat is not None:
                await self.heartbeat.close()
            await self.clients.close()
            self.db.close()
            log.info("sitewatch stopped")

    def _jobs(self) -> list[tuple[str, Callable[[], Awaitable[None]], float, bool]]:
        """The periodic jobs: (name, job, every seconds, vital)."""
        tick = max(0.05, min(1.0, self.config.daemon.poll_interval / 20))
        jobs: list[tuple[str, Callable[[], Awaitable[None]], float, bool]] = [
            ("dispatch-due-polls", self._dispatch_due, tick, True),
            ("incident-housekeeping", self._incident_tick, 10, True),
            ("store-checkpoint", self._checkpoint, 60, False),
            ("escalation-timers", self._escalation_tick, 1, True),
            ("escalation-audit", self._escalation_audit, 30, True),
            ("shift-notices", self._shift_notices, 30, False),
            ("escalation-prune", self._prune, 86400, False),
        ]
        return jobs  # and the heartbeat, which a reload may add, move or drop: _schedule_heartbeat

    async def _receive_traps(self) -> None:
        # a port still held (the previous process, another trap daemon) is retried with backoff
        assert self.traps is not None
        await self.traps.start()
        log.info("receiving SNMP traps on %s", self.config.traps.listen)
        await asyncio.Event().wait()  # the receiver works from callbacks until stop()

    def _status(self) -> str:
        """The one-line status ``systemctl status`` shows."""
        down = self.supervisor.down()
        if down:
            return "degraded: down: " + ", ".join(f"{t.name} ({t.error})" for t in down)
        return f"polling {len(self._plans)} sites every {self.config.daemon.poll_interval:g}s"

    def _health_changed(self) -> None:
        self.systemd.notify(f"STATUS={self._status()}")

    def install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.request_stop)
        loop.add_signal_handler(signal.SIGINT, self.request_stop)
        loop.add_signal_handler(signal.SIGHUP, self.reload)


def ack_signer(config: Config) -> AckSigner:
    """The ack-link signer: the configured secret, or a key kept in the state directory (made
    once, mode 0600) so links keep working across restarts without any configuration."""
    links = config.notifications.ack_links
    if links.secret is not None:
        return AckSigner(links.secret.reveal().encode(), links.ttl)
    path = Path(config.daemon.state_dir) / "ack-links.key"
    if not path.exists():
        private_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32))
    private_file(path, create=False)
    return AckSigner(path.read_text().strip().encode(), links.ttl)


#: settings bound at start (sockets, files, clients): a reload keeps the running value
RESTART_NEEDED: tuple[tuple[str, str], ...] = (
    ("daemon", "listen"), ("daemon", "state_dir"), ("daemon", "snmp_client"), ("daemon", "timezone"),
    ("incidents", "database"))

Overrides = Mapping[str, Mapping[str, Any]]


def with_overrides(config: Config, overrides: Overrides) -> Config:
    """``config`` with command-line settings laid over it: ``{"daemon": {"listen": ...}}``."""
    if not overrides:
        return config
    return config.model_copy(update={section: getattr(config, section).model_copy(update=dict(fields))
                                     for section, fields in overrides.items()})


def keep_fixed(running: Config, new: Config) -> tuple[Config, list[str]]:
    """``new`` with the ``RESTART_NEEDED`` settings at their running values, and the names of
    those the new configuration would change."""
    changed = [f"{section}.{name}" for section, name in RESTART_NEEDED
               if getattr(getattr(new, section), name) != getattr(getattr(running, section), name)]
    kept: dict[str, dict[str, Any]] = {}
    for section, name in RESTART_NEEDED:
        kept.setdefault(section, {})[name] = getattr(getattr(running, section), name)
    return with_overrides(new, kept), changed


def run_daemon(config_path: str | Path, *, traps_listen: str | None = None, **overrides: Any) -> int:
    """Load the configuration and run until signalled; ``overrides`` replace ``daemon`` fields
    (in every reload too). Returns the process exit code."""
    os.umask(0o077)  # whatever the daemon writes (database, key, caches) is its own
    laid: dict[str, dict[str, Any]] = {}
    if overrides:
        laid["daemon"] = overrides
    if traps_listen:
        laid["traps"] = {"listen": traps_listen}
    config = with_overrides(load_config(config_path), laid)
    logs.set_format(config.daemon.log_format)

    async def main() -> None:
        d = Daemon(config, config_path=config_path, overrides=laid)
        d.install_signal_handlers()
        await d.run()

    asyncio.run(main())
    return 0
