"""The notification outbox: nothing lost, nothing doubled (as far as the receiver lets us).

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
the worker re-reads the row immediately before sending with no ``await`` in between, so a
cancelled page never starts. One that was already on the wire is recorded as sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sitewatch.clock import Clock
from sitewatch.errors import PermanentSendError, RetryableSendError
from sitewatch.escalation.metrics import EscalationStats
from sitewatch.escalation.ratelimit import TokenBucket, retry_delay
from sitewatch.escalation.state import query
from sitewatch.incidents.store import IncidentStore
from sitewatch.notify.model import Contact, Delivery, Message, MessageKind, Notifier

__all__ = ["Outbox", "OutboxEntry", "OutboxItem", "message_from_json", "message_to_json"]

log = logging.getLogger(__name__)

_COLUMNS = ("id, key, escalation_id, person, channel, address, contact, kind, level, round, message, status, "
            "due_at, created_at, attempts, first_attempt_at, last_error, finished_at")
#: a send that takes longer than this is treated as a timeout (channels have their own, shorter ones)
SEND_TIMEOUT = 120.0
#: the worker looks for due items at least this often even when nothing woke it
IDLE_WAKE = 5.0
BATCH = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxItem:
    """A delivery to write to the outbox."""

    key: str
    contact: Contact
    message: Message
    due_at: float
    escalation_id: int | None = None
    contact_index: int | None = None  #: which of the person's contacts
    level: int | None = None
    round: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxEntry:
    """A stored outbox row."""

    id: int
    key: str
    escalation_id: int | None
    person: str | None
    channel: str
    address: str
    contact_index: int | None
    kind: MessageKind
    level: int | None
    round: int | None
    message: Message
    status: str  #: pending, sent, dead, cancelled
    due_at: float
    created_at: float
    attempts: int
    first_attempt_at: float | None
    last_error: str
    finished_at: float | None

    def delivery(self) -> Delivery:
        return Delivery(key=self.key, contact=Contact(channel=self.channel, address=self.address, person=self.person),
                        message=self.message)


def message_to_json(m: Message) -> str:
    return json.dumps({"kind": m.kind.value, "language": m.language, "subject": m.subject, "short": m.short,
                       "text": m.text, "html": m.html, "ack_url": m.ack_url, "data": dict(m.data)},
                      ensure_ascii=False, default=str)


def message_from_json(text: str) -> Message:
    d = json.loads(text)
    return Message(kind=MessageKind(d["kind"]), language=d["language"], subject=d["subject"], short=d["short"],
                   text=d["text"], html=d["html"], ack_url=d["ack_url"], data=d["data"])


def _entry(r: sqlite3.Row) -> OutboxEntry:
    return OutboxEntry(id=r["id"], key=r["key"], escalation_id=r["escalation_id"], person=r["person"],
                       channel=r["channel"], address=r["address"], contact_index=r["contact"],
                       kind=MessageKind(r["kind"]), level=r["level"], round=r["round"],
                       message=message_from_json(r["message"]), status=r["status"], due_at=r["due_at"],
                       created_at=r["created_at"], attempts=r["attempts"], first_attempt_at=r["first_attempt_at"],
                       last_error=r["last_error"], finished_at=r["finished_at"])


class Outbox:
    """The durable outbox and its worker. ``on_dead(entry, now)`` runs inside the transaction
    that dead-letters ``entry`` (the engine enqueues the takeover there)."""

    def __init__(self, *, store: IncidentStore, clock: Clock, notifiers: Mapping[str, Notifier],
                 stats: EscalationStats, max_retry_time: float = 3600.0,
                 rate_limits: Mapping[str, float | None] | None = None, rng: random.Random | None = None,
                 on_dead: Callable[[OutboxEntry, float], None] = lambda entry, now: None) -> None:
        self.store = store
        self.clock = clock
        self.stats = stats
        self.max_retry_time = max_retry_time
        self.on_dead = on_dead
        self._rng = rng or random.Random()
        self._notifiers: Mapping[str, Notifier] = notifiers
        self._retired: list[Notifier] = []
        self._buckets: dict[str, TokenBucket] = {}
        self.set_channels(notifiers, rate_limits or {})
        self._wake = asyncio.Event()
        self._stopping = False
        self._done: asyncio.Event | None = None

    def set_channels(self, notifiers: Mapping[str, Notifier], rate_limits: Mapping[str, float | None]) -> None:
        """Adopt (re)configured channels; a channel keeps its bucket if its rate is unchanged.
        Replaced notifiers are closed before the next pass (a send in flight may still use one)."""
        self._retired += [n for name, n in self._notifiers.items() if notifiers.get(name) is not n]
        self._notifiers = notifiers
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

    # -- writes (inside the caller's transaction) ---------------------------------------------

    def enqueue(self, items: Iterable[OutboxItem]) -> int:
        """Write deliveries; a key already in the outbox is left alone. Returns how many are new."""
        now = self.clock.time()
        new = 0
        with self.store.transaction():
            for it in items:
                cur = self.store.connection.execute(
                    "INSERT OR IGNORE INTO notification_outbox (key, escalation_id, person, channel, address, "
                    "contact, kind, level, round, message, status, due_at, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                    (it.key, it.escalation_id, it.contact.person, it.contact.channel, it.contact.address,
                     it.contact_index, it.message.kind.value, it.level, it.round, message_to_json(it.message),
                     it.due_at, now))
                new += cur.rowcount
        if new:
            self.wake()
        return new

    def cancel(self, escalation_id: int, kinds: Iterable[MessageKind], now: float) -> int:
        """Cancel the pending deliveries of these kinds for an escalation; returns how many."""
        values = [k.value for k in kinds]
        marks = ",".join("?" * len(values))
        with self.store.transaction():
            rows = self._rows(f"SELECT channel FROM notification_outbox WHERE escalation_id = ? AND status = 'pending' "
                              f"AND kind IN ({marks})", (escalation_id, *values))
            self.store.connection.execute(
                f"UPDATE notification_outbox SET status = 'cancelled', finished_at = ? WHERE escalation_id = ? "
                f"AND status = 'pending' AND kind IN ({marks})", (now, escalation_id, *values))
        for r in rows:
            self.stats.notification(r["channel"], "cancelled")
        return len(rows)

    def bring_forward(self, entry_id: int, now: float) -> None:
        """Make a pending delivery due now (a contact planned for later takes over)."""
        with self.store.transaction():
            self.store.connection.execute(
                "UPDATE notification_outbox SET due_at = ? WHERE id = ? AND status = 'pending' AND due_at > ?",
                (now, entry_id, now))
        self.wake()

    def prune(self, before: float) -> int:
        """Forget deliveries finished before ``before`` (sent, dead, cancelled) and their sent-log
        entries; returns how many rows went. Keys embed the escalation id, which is never reused,
        so a pruned key cannot come back."""
        with self.store.transaction():
            gone = self.store.connection.execute(
                "DELETE FROM notification_outbox WHERE status <> 'pending' AND finished_at < ?", (before,)).rowcount
            self.store.connection.execute("DELETE FROM notification_sent WHERE sent_at < ?", (before,))
        return int(gone)

    # -- reads --------------------------------------------------------------------------------

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return query(self.store, sql, params)

    def entries(self, *, escalation_id: int | None = None, status: str | None = None) -> list[OutboxEntry]:
        where: list[str] = []
        params: list[Any] = []
        if escalation_id is not None:
            where.append("escalation_id = ?")
            params.append(escalation_id)
        if status is not None:
            where.append("status = ?")
            params.append(status)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        return [_entry(r) for r in self._rows(f"SELECT {_COLUMNS} FROM notification_outbox{clause} ORDER BY id",
                                              params)]

    def depth(self) -> int:
        """Deliveries waiting to be sent (due or not)."""
        return int(self._rows("SELECT count(*) AS n FROM notification_outbox WHERE status = 'pending'")[0]["n"])

    def was_sent(self, key: str) -> bool:
        return bool(self._rows("SELECT 1 FROM notification_sent WHERE key = ?", (key,)))

    # -- the worker ---------------------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    async def send_due(self, now: float | None = None) -> float:
        """Send what is due at ``now`` (default: the clock), honouring rate limits; returns when
        there may be more to do (a unix time)."""
        await self._close_retired()
        now = self.clock.time() if now is None else now
        due = [_entry(r) for r in self._rows(
            f"SELECT {_COLUMNS} FROM notification_outbox WHERE status = 'pending' AND due_at <= ? "
            f"ORDER BY due_at, id LIMIT {BATCH}", (now,))]
        by_channel: dict[str, list[OutboxEntry]] = {}
        for e in due:
            by_channel.setdefault(e.channel, []).append(e)
        wakes = await asyncio.gather(*(self._send_channel(entries) for entries in by_channel.values()))
        later = self._rows("SELECT min(due_at) AS t FROM notification_outbox WHERE status = 'pending' AND due_at > ?",
                           (now,))[0]["t"]
        candidates = [w for w in wakes if w is not None]
        if later is not None:
            candidates.append(float(later))
        if len(due) == BATCH:
            candidates.append(now)
        return min(candidates, default=now + IDLE_WAKE)

    async def _send_channel(self, entries: list[OutboxEntry]) -> float | None:
        """Send one channel's due entries in order; returns when its bucket has a token again if
        it ran out."""
        bucket = self._buckets.get(entries[0].channel)
        for e in entries:
            if bucket is not None:
                wait = bucket.take(self.clock.monotonic())
                if wait > 0:
                    return self.clock.time() + wait
            try:
                await self._send_one(e)
            except Exception:  # a bug in one delivery must not stop the others
                log.exception("outbox: delivery %s failed unexpectedly", e.key)
        return None

    async def _send_one(self, e: OutboxEntry) -> None:
        with self.store.transaction():
            row = self._rows("SELECT status FROM notification_outbox WHERE id = ?", (e.id,))
            if not row or row[0]["status"] != "pending":
                return
            if self.was_sent(e.key):  # confirmed earlier (e.g. by a run that died before updating the row)
                self._finish(e, "sent", self.clock.time(), "")
                return
            notifier = self._notifiers.get(e.channel)
            if notifier is None:
                self._dead(e, f"channel {e.channel!r} is not configured", self.clock.time(), attempted=False)
                return
        # nothing awaits between the check above and the send starting: a cancel cannot slip in
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                await notifier.send(e.delivery())
        except RetryableSendError as exc:
            self._retry(e, exc.reason, exc.retry_after)
        except PermanentSendError as exc:
            with self.store.transaction():
                self._dead(e, exc.reason, self.clock.time())
        except TimeoutError:
            self._retry(e, f"no answer within {SEND_TIMEOUT:.0f} s", None)
        except Exception as exc:
            log.exception("outbox: channel %s raised an unclassified error", e.channel)
            self._retry(e, f"unexpected {type(exc).__name__}", None)
        else:
            now = self.clock.time()
            with self.store.transaction():
                self.store.connection.execute(
                    "INSERT OR IGNORE INTO notification_sent (key, channel, sent_at) VALUES (?, ?, ?)",
                    (e.key, e.channel, now))
                self._finish(e, "sent", now, "", attempted=True)

    def _finish(self, e: OutboxEntry, status: str, now: float, error: str, *, attempted: bool = False) -> None:
        self.store.connection.execute(
            "UPDATE notification_outbox SET status = ?, finished_at = ?, last_error = ?, attempts = attempts + ?, "
            "first_attempt_at = coalesce(first_attempt_at, ?) WHERE id = ?",
            (status, now, error, int(attempted), now if attempted else None, e.id))
        self.stats.notification(e.channel, "dead_letter" if status == "dead" else status)

    def _retry(self, e: OutboxEntry, reason: str, retry_after: float | None) -> None:
        now = self.clock.time()
        first = e.first_attempt_at if e.first_attempt_at is not None else now
        attempts = e.attempts + 1
        delay = retry_delay(attempts, retry_after, self._rng)
        with self.store.transaction():
            if now + delay - first > self.max_retry_time:
                self._dead(e, f"gave up after {attempts} attempts in {now - first:.0f} s: {reason}", now,
                           attempted=True)
                return
            cur = self.store.connection.execute(
                "UPDATE notification_outbox SET due_at = ?, attempts = ?, first_attempt_at = ?, last_error = ? "
                "WHERE id = ? AND status = 'pending'", (now + delay, attempts, first, reason, e.id))
        if cur.rowcount:
            self.stats.notification(e.channel, "retry")
            log.info("outbox: %s via %s failed (%s); retry %d in %.0f s", e.kind.value, e.channel, reason, attempts,
                     delay)

    def _dead(self, e: OutboxEntry, reason: str, now: float, *, attempted: bool = True) -> None:
        still = self._rows("SELECT status FROM notification_outbox WHERE id = ?", (e.id,))
        if not still or still[0]["status"] != "pending":  # cancelled meanwhile: nothing takes over
            return
        self._finish(e, "dead", now, reason, attempted=attempted)
        self.stats.dead_letters += 1
        log.warning("outbox: %s to %s via %s dead-lettered: %s", e.kind.value, e.person or e.address or "-",
                    e.channel, reason)
        self.on_dead(e, now)

    async def run(self) -> None:
        """Send due deliveries until ``stop()`` (a ``stop()`` before it started ends it at once);
        woken at once when something is enqueued."""
        self._done = asyncio.Event()
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    wake_at = await self.send_due()
                except Exception:
                    log.exception("outbox: pass failed")
                    wake_at = self.clock.time() + IDLE_WAKE
                if self._stopping:
                    break
                delay = min(IDLE_WAKE, max(0.0, wake_at - self.clock.time()))
                if delay > 0:
                    try:
                        async with asyncio.timeout(delay):
                            await self._wake.wait()
                    except TimeoutError:
                        pass
        finally:
            self._stopping = False
            self._done.set()

    async def stop(self) -> None:
        """Let the pass in progress finish, then return."""
        self._stopping = True
        self._wake.set()
        if self._done is not None:
            await self._done.wait()

    async def _close_retired(self) -> None:
        retired, self._retired = self._retired, []
        for n in retired:
            try:
                await n.close()
            except Exception:
                log.exception("closing notifier %s failed", n.name)

    async def close(self) -> None:
        """Close every notifier, current and replaced (the outbox owns those it was given)."""
        self._retired += list(self._notifiers.values())
        await self._close_retired()
