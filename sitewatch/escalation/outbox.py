"""The notification outbox, stored: nothing lost, nothing doubled (as far as the receiver lets us).

    enqueue (same transaction as the escalation step) ──▶ notification_outbox (pending)
    worker: due + token ──▶ check sent log ──▶ Notifier.send ──▶ sent log + status 'sent' (one commit)
                               ├─ retryable ──▶ backoff with jitter (≥ Retry-After), until max_retry_time
                               └─ permanent / gave up ──▶ 'dead' + on_dead (next contact takes over)

Every delivery is written before it is sent, under its idempotency key (``INSERT OR IGNORE``:
writing the same key twice is a no-op, so a step that runs again after a crash pages nobody
twice). The sent log is written only after the channel accepted the message and is checked
right before each send, so a restart re-sends only what was never confirmed.

The one honest gap: a send the receiver accepted whose confirmation the process did not live to
commit (``kill -9`` in the microseconds between the two) is sent again after a restart. Every
request carries the idempotency key (``Delivery.key``; channels put it in an ``Idempotency-Key``
header or the payload) so a receiver can drop the repeat. Each kill can double at most the
deliveries in flight at that moment: one per channel.

Cancelling (an acknowledgement) flips pending rows to 'cancelled' in the caller's transaction;
the worker (``worker``) re-reads the row immediately before sending with no ``await`` in
between, so a cancelled page never starts. One that was already on the wire is recorded as sent.
This module is the outbox's behaviour around its rows (counting how each delivery ended, waking
the worker); ``sitewatch.store.outbox`` keeps the rows; ``worker.OutboxWorker`` sends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from sitewatch.core.clock import Clock
from sitewatch.escalation.metrics import EscalationStats
from sitewatch.notify.model import MessageKind
from sitewatch.store.database import Database
from sitewatch.store.outbox import OutboxEntry, OutboxItem, OutboxStore

__all__ = ["Outbox"]


class Outbox(OutboxStore):
    """The outbox: its rows (``OutboxStore``), each delivery's end counted in ``stats``, and
    ``woken`` called after deliveries become due (the worker sets it to wake itself). Writes
    join the caller's transaction."""

    def __init__(self, *, db: Database, clock: Clock, stats: EscalationStats) -> None:
        super().__init__(db)
        self.clock = clock
        self.stats = stats
        self.woken: Callable[[], None] = lambda: None

    def enqueue(self, items: Iterable[OutboxItem]) -> int:
        """Write deliveries; a key already in the outbox is left alone. Returns how many are new."""
        new = self.insert(items, self.clock.time())
        if new:
            self.woken()
        return new

    def cancel(self, escalation_id: int, kinds: Iterable[MessageKind], now: float,
               down: Mapping[str, str] | None = None) -> int:
        """Cancel the pending deliveries of these kinds for an escalation; returns how many.
        ``down``: channel → why it is down; a due delivery of such a channel is cancelled with
        that as its error (it was lost to the outage, not merely not needed)."""
        channels = self.cancel_pending(escalation_id, kinds, now, down)
        for channel in channels:
            self.stats.notification(channel, "cancelled")
        return len(channels)

    def bring_forward(self, entry_id: int, now: float) -> None:
        """Make a pending delivery due now (a contact planned for later takes over)."""
        self.make_due(entry_id, now)
        self.woken()

    def finish(self, e: OutboxEntry, status: str, now: float, error: str = "", *, attempted: bool = False) -> bool:
        """Mark a pending delivery sent, dead or cancelled (counted); False if it was not pending.
        A delivery marked sent goes into the sent log in the same commit."""
        done = self.mark_finished(e, status, now, error, attempted=attempted)
        if done:
            self.stats.notification(e.channel, "dead_letter" if status == "dead" else status)
        return done

    def release(self, channel: str, now: float) -> int:
        """The channel went down or came back: its deliveries waiting out a retry backoff are due
        now, in their place in the queue; returns how many deliveries of the channel are due now."""
        self.retry_now(channel, now)
        self.woken()
        return self.due_count(channel, now)
