"""The outbox worker: sends due deliveries through the notifiers, one lane per channel.

    due (per channel) ──up or probe?──token?──▶ re-read row, check sent log ──▶ Notifier.send ──▶ sent
                                       retryable ──▶ backoff with jitter (≥ Retry-After) until max_retry_time
                                       permanent, or retries exhausted ──▶ dead + on_dead (the takeover)

Each channel is its own lane: an SMTP server that hangs for its whole timeout delays email, not
SMS. Within a lane deliveries go one at a time, oldest first, as the channel's token bucket
allows. A channel that keeps failing is **down** (``channel_health``): while down it gets one
probe message at a time instead of every message on its own backoff, and the first success makes
everything waiting for it due at once, oldest first (a gateway back up is used again at once).
``run()`` is the daemon's task; ``send_due(now)`` is one pass over every channel (tests drive it
with an injected clock).

The worker owns the notifiers it is given: replaced ones (a config reload) are closed once no
send is in flight, and ``close()`` closes the rest.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import replace

from sitewatch.core.clock import Clock
from sitewatch.core.errors import PermanentSendError, RetryableSendError
from sitewatch.escalation.channel_health import ChannelHealth
from sitewatch.escalation.metrics import EscalationStats
from sitewatch.escalation.outbox import Outbox
from sitewatch.escalation.ratelimit import TokenBucket, retry_delay
from sitewatch.notify.model import Message, Notifier
from sitewatch.store.outbox import OutboxEntry

__all__ = ["IDLE_WAKE", "SEND_TIMEOUT", "OutboxWorker"]

log = logging.getLogger(__name__)


def _about(e: OutboxEntry) -> dict[str, object]:
    """The ``escalation`` field of a log line about a delivery (an escalation's key is ``g<id>``)."""
    return {"escalation": f"g{e.escalation_id}"} if e.escalation_id is not None else {}

#: a send that takes longer than this is treated as a timeout (channels have their own, shorter ones)
SEND_TIMEOUT = 120.0
#: the worker looks for due deliveries at least this often even when nothing woke it
IDLE_WAKE = 5.0


class OutboxWorker:
    """``on_dead(entry, now)`` runs right after ``entry`` is dead-lettered (the engine's takeover);
    ``seal(message, now)`` gives the message as sent (its ack link signed at that moment);
    ``on_sent_cancelled(entry, now)`` runs right after a delivery cancelled while it was on the
    wire went through all the same (the engine then follows it with the news it was cancelled for)."""

    def __init__(self, *, outbox: Outbox, clock: Clock, notifiers: Mapping[str, Notifier], stats: EscalationStats,
                 max_retry_time: float = 3600.0, rate_limits: Mapping[str, float | None] | None = None,
                 rng: random.Random | None = None,
                 on_dead: Callable[[OutboxEntry, float], None] = lambda entry, now: None,
                 seal: Callable[[Message, float], Message] = lambda message, now: message,
                 on_sent_cancelled: Callable[[OutboxEntry, float], None] = lambda entry, now: None) -> None:
        self.outbox = outbox
        #: signs the stored message's draft ack link right before each attempt
        self.seal = seal
        self.clock = clock
        self.stats = stats
        self.max_retry_time = max_retry_time
        self.on_dead = on_dead
        self.on_sent_cancelled = on_sent_cancelled
        self._rng = rng or random.Random()
        self._notifiers: Mapping[str, Notifier] = notifiers
        self._retired: list[Notifier] = []
        self._buckets: dict[str, TokenBucket] = {}
        self.health = ChannelHealth()
        self.set_channels(notifiers, rate_limits or {})
        self._wake = asyncio.Event()
        self._stopping = False
        self._done: asyncio.Event | None = None
        self._busy: dict[str, asyncio.Task[float | None]] = {}
        outbox.woken = self.wake

    # -- channels -----------------------------------------------------------------------------

    def set_channels(self, notifiers: Mapping[str, Notifier], rate_limits: Mapping[str, float | None]) -> None:
        """Adopt (re)configured channels; a channel keeps its bucket if its rate is unchanged."""
        self._retired += [n for name, n in self._notifiers.items() if notifiers.get(name) is not n]
        self._notifiers = notifiers
        self.health.forget(set(notifiers))
        now = self.clock.monotonic()
        buckets: dict[str, TokenBucket] = {}
        for name, rate in rate_limits.items():
            if rate is None:
                continue
            old = self._buckets.get(name)
            buckets[name] = old if old is not None and old.rate == rate else TokenBucket(rate, now)
        self._buckets = buckets

    @property
    def channels(self) -> frozenset[str]:
        """Channels that can send (a notifier is configured)."""
        return frozenset(self._notifiers)

    @property
    def notifiers(self) -> Mapping[str, Notifier]:
        return self._notifiers

    async def _close_retired(self) -> None:
        if any(not t.done() for t in self._busy.values()):
            return  # a send in flight may still use one
        retired, self._retired = self._retired, []
        for n in retired:
            try:
                await n.close()
            except Exception:
                log.exception("closing notifier %s failed", n.name)

    async def close(self) -> None:
        """Close every notifier, current and replaced (after ``stop()``)."""
        self._retired += list(self._notifiers.values())
        await self._close_retired()

    # -- sending ------------------------------------------------------------------------------

    async def send_due(self, now: float | None = None) -> float:
        """One pass: send what is due at ``now`` (default: the clock) on every channel, as rate
        limits allow; returns when there may be more to do (a unix time)."""
        await self._close_retired()
        now = self.clock.time() if now is None else now
        lanes = self.outbox.due(now)
        wakes = await asyncio.gather(*(self._lane(entries) for entries in lanes.values()))
        later = [w for w in wakes if w is not None]
        nxt = self.outbox.next_due(now)
        return min([*later, *([nxt] if nxt is not None else [])], default=now + IDLE_WAKE)

    async def _lane(self, entries: list[OutboxEntry]) -> float | None:
        """Send one channel's due entries in order; returns when to look at the channel again if
        it stopped early (its bucket ran out, it is down, or it just came back)."""
        channel = entries[0].channel
        bucket = self._buckets.get(channel)
        for i, e in enumerate(entries):
            if not self.health.may_send(channel, self.clock.time()):
                self._expire_held(entries[i:])
                return self.health.probe_at(channel)
            if bucket is not None:
                wait = bucket.take(self.clock.monotonic())
                if wait > 0:
                    return self.clock.time() + wait
            try:
                recovered = await self._send_one(e)
            except Exception:  # a bug in one delivery must not stop the others
                log.exception("outbox: delivery %s failed unexpectedly", e.key, extra=_about(e))
                continue
            if recovered:  # what waited for the channel is due now: the next pass takes it, oldest first
                return self.clock.time()
        return None

    async def _send_one(self, e: OutboxEntry) -> bool:
        """Send one delivery; True when its success ended an outage of the channel."""
        if self.outbox.status(e.id) != "pending":  # cancelled, or finished by another pass
            return False
        if self.outbox.was_sent(e.key):  # confirmed by a run that died before updating the row
            self.outbox.finish(e, "sent", self.clock.time())
            return False
        notifier = self._notifiers.get(e.channel)
        if notifier is None:
            self._dead(e, f"channel {e.channel!r} is not configured", attempted=False)
            return False
        delivery = replace(e.delivery(), message=self.seal(e.message, self.clock.time()))
        # nothing awaits between the checks above and the send starting: a cancel cannot slip in
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                await notifier.send(delivery)
        except RetryableSendError as exc:
            self._retry(e, exc.reason, exc.retry_after)
        except PermanentSendError as exc:
            self._dead(e, exc.reason)
        except TimeoutError:
            self._retry(e, f"no answer within {SEND_TIMEOUT:.0f} s", None)
        except Exception as exc:
            log.exception("outbox: channel %s raised an unclassified error", e.channel)
            self._retry(e, f"unexpected {type(exc).__name__}", None)
        else:
            now = self.clock.time()
            with self.outbox.transaction():  # the record and what it calls for commit together
                cancelled = self.outbox.status(e.id) == "cancelled"
                self.outbox.finish(e, "sent", now, attempted=True)
                if cancelled:
                    self.on_sent_cancelled(e, now)
            return self._channel_works(e.channel, now)
        return False

    def _channel_works(self, channel: str, now: float) -> bool:
        outage = self.health.succeeded(channel, now)
        if outage is None:
            return False
        released = self.outbox.release(channel, now)
        down_for = now - (outage.down_since if outage.down_since is not None else now)
        log.info("channel %s is up again after %.0f s down; %d waiting message(s) go now, oldest first",
                 channel, down_for, released + 1)
        return True

    def _retry(self, e: OutboxEntry, reason: str, retry_after: float | None) -> None:
        now = self.clock.time()
        went_down = self.health.failed(e.channel, now, reason, retry_after)
        if went_down:  # its messages wait for the channel now, not each for its own backoff
            self.outbox.release(e.channel, now)
            log.warning("channel %s is down: %d failures in a row, the last: %s; %d message(s) waiting; "
                        "probing it with one message at a time until it answers", e.channel,
                        self.health.state(e.channel).failures, reason, self.outbox.waiting(e.channel))
        first = e.first_attempt_at if e.first_attempt_at is not None else now
        attempts = e.attempts + 1
        # a message of a down channel stays due, in its place in the queue: the probes pace the channel
        probe_at = self.health.probe_at(e.channel)
        delay = retry_delay(attempts, retry_after, self._rng) if probe_at is None else 0.0
        if max(now + delay, probe_at or now) - first > self.max_retry_time:
            self._dead(e, f"gave up after {attempts} attempts in {now - first:.0f} s: {reason}")
        elif self.outbox.reschedule(e, due_at=now + delay, attempts=attempts, first_attempt_at=first, error=reason):
            self.stats.notification(e.channel, "retry")
            # one line per outage (above), not one per retry
            log.debug("outbox: %s via %s failed (%s); retry %d in %.0f s", e.kind.value, e.channel, reason, attempts,
                      delay)

    def _expire_held(self, entries: list[OutboxEntry]) -> None:
        """While a channel is down its messages wait unsent; one that has waited longer than
        ``max_retry_time`` is given up on, so the person's next contact takes over."""
        now = self.clock.time()
        for e in entries:
            since = e.first_attempt_at if e.first_attempt_at is not None else e.due_at
            if now - since > self.max_retry_time:
                self._dead(e, f"channel {e.channel} down; gave up after waiting {now - since:.0f} s: "
                              f"{self.health.state(e.channel).last_error}")

    def _dead(self, e: OutboxEntry, reason: str, *, attempted: bool = True) -> None:
        now = self.clock.time()
        with self.outbox.transaction():  # the dead letter and its takeover commit together
            if not self.outbox.finish(e, "dead", now, reason, attempted=attempted):
                return  # cancelled meanwhile: nothing takes over
            self.stats.dead_letters.inc()
            log.warning("outbox: %s to %s via %s dead-lettered: %s", e.kind.value, e.person or e.address or "-",
                        e.channel, reason, extra=_about(e))
            # as stored now: the takeover's "every contact failed (...)" says why
            self.on_dead(replace(e, status="dead", last_error=reason, finished_at=now), now)

    # -- the task -----------------------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Send due deliveries until ``stop()`` (a ``stop()`` before it started ends it at once);
        woken at once when something is enqueued. Each channel's lane runs as its own task."""
        self._done = asyncio.Event()
        rested: dict[str, float] = {}  # channel → when its bucket has a token again
        try:
            while not self._stopping:
                self._wake.clear()
                for channel, task in list(self._busy.items()):
                    if task.done():
                        del self._busy[channel]
                        if not task.cancelled() and task.exception() is None and (t := task.result()) is not None:
                            rested[channel] = t
                        elif not task.cancelled() and task.exception() is not None:
                            log.error("outbox: the %s lane failed", channel, exc_info=task.exception())
                await self._close_retired()
                now = self.clock.time()
                rested = {c: t for c, t in rested.items() if t > now}
                for channel, entries in self.outbox.due(now, channels=[*self._busy, *rested]).items():
                    self._busy[channel] = asyncio.create_task(self._lane(entries), name=f"outbox-{channel}")
                nxt = self.outbox.next_due(now)
                wake_at = min([*rested.values(), *([nxt] if nxt is not None else []), now + IDLE_WAKE])
                waker = asyncio.create_task(self._wake.wait())
                try:
                    await asyncio.wait([waker, *self._busy.values()], timeout=max(0.0, wake_at - self.clock.time()),
                                       return_when=asyncio.FIRST_COMPLETED)
                finally:
                    waker.cancel()
        finally:
            if self._busy:  # let sends in flight finish and be recorded
                await asyncio.gather(*self._busy.values(), return_exceptions=True)
                self._busy.clear()
            self._stopping = False
            self._done.set()

    async def stop(self) -> None:
        """Let the sends in flight finish, then return."""
        self._stopping = True
        self._wake.set()
        if self._done is not None:
            await self._done.wait()
