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
This module is the table; ``worker.OutboxWorker`` sends.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sitewatch.clock import Clock
from sitewatch.escalation.metrics import EscalationStats
from sitewatch.escalation.state import query
from sitewatch.incidents.store import IncidentStore
from sitewatch.notify.model import Contact, Delivery, Message, MessageKind

__all__ = ["Outbox", "OutboxEntry", "OutboxItem", "message_from_json", "message_to_json"]

_COLUMNS = ("id, key, escalation_id, person, channel, address, contact, kind, level, round, message, status, "
            "due_at, created_at, attempts, first_attempt_at, last_error, finished_at")
#: at most this many due deliveries of one channel are taken per pass
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
    """The outbox table. Writes join the caller's transaction; ``woken`` is called after new
    deliveries are written (the worker sets it to wake itself)."""

    def __init__(self, *, store: IncidentStore, clock: Clock, stats: EscalationStats) -> None:
        self.store = store
        self.clock = clock
        self.stats = stats
        self.woken: Callable[[], None] = lambda: None

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return query(self.store, sql, params)

    # -- writes -------------------------------------------------------------------------------

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
            self.woken()
        return new

    def cancel(self, escalation_id: int, kinds: Iterable[MessageKind], now: float,
               down: Mapping[str, str] | None = None) -> int:
        """Cancel the pending deliveries of these kinds for an escalation; returns how many.
        ``down``: channel → why it is down; a due delivery of such a channel is cancelled with
        that as its error (it was lost to the outage, not merely not needed)."""
        values = [k.value for k in kinds]
        marks = ",".join("?" * len(values))
        with self.store.transaction():
            for channel, why in (down or {}).items():
                self.store.connection.execute(
                    f"UPDATE notification_outbox SET last_error = ? WHERE escalation_id = ? AND status = 'pending' "
                    f"AND channel = ? AND due_at <= ? AND last_error = '' AND kind IN ({marks})",
                    (why, escalation_id, channel, now, *values))
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
        self.woken()

    def finish(self, e: OutboxEntry, status: str, now: float, error: str = "", *, attempted: bool = False) -> bool:
        """Mark a pending delivery sent, dead or cancelled (counted); False if it was not pending.
        A delivery marked sent goes into the sent log in the same commit."""
        with self.store.transaction():
            if status == "sent":
                self.store.connection.execute(
                    "INSERT OR IGNORE INTO notification_sent (key, channel, sent_at) VALUES (?, ?, ?)",
                    (e.key, e.channel, now))
            # a send already on the wire when it was cancelled still went: it is recorded as sent
            allowed = "('pending', 'cancelled')" if status == "sent" else "('pending')"
            done = self.store.connection.execute(
                f"UPDATE notification_outbox SET status = ?, finished_at = ?, last_error = ?, attempts = attempts + ?, "
                f"first_attempt_at = coalesce(first_attempt_at, ?) WHERE id = ? AND status IN {allowed}",
                (status, now, error, int(attempted), now if attempted else None, e.id)).rowcount
        if done:
            self.stats.notification(e.channel, "dead_letter" if status == "dead" else status)
        return bool(done)

    def reschedule(self, e: OutboxEntry, *, due_at: float, attempts: int, first_attempt_at: float,
                   error: str) -> bool:
        """A retry later; False if the delivery is no longer pending (cancelled meanwhile)."""
        with self.store.transaction():
            return bool(self.store.connection.execute(
                "UPDATE notification_outbox SET due_at = ?, attempts = ?, first_attempt_at = ?, last_error = ? "
                "WHERE id = ? AND status = 'pending'", (due_at, attempts, first_attempt_at, error, e.id)).rowcount)

    def release(self, channel: str, now: float) -> int:
        """The channel went down or came back: its deliveries waiting out a retry backoff are due
        now, in their place in the queue; returns how many deliveries of the channel are due now."""
        with self.store.transaction():
            self.store.connection.execute(
                "UPDATE notification_outbox SET due_at = ? WHERE channel = ? AND status = 'pending' AND attempts > 0 "
                "AND due_at > ?", (now, channel, now))
        self.woken()
        return int(self._rows("SELECT count(*) AS n FROM notification_outbox WHERE channel = ? AND status = 'pending' "
                              "AND due_at <= ?", (channel, now))[0]["n"])

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

    def held(self, now: float, *, channels: Iterable[str], kinds: Iterable[MessageKind],
             people: Iterable[str]) -> list[OutboxEntry]:
        """Pending deliveries due at ``now`` on these channels, of these kinds, to these people,
        oldest first: what waits on a down channel."""
        chans, values, who = list(channels), [k.value for k in kinds], list(people)
        if not chans or not values or not who:
            return []
        return [_entry(r) for r in self._rows(
            f"SELECT {_COLUMNS} FROM notification_outbox WHERE status = 'pending' AND due_at <= ? "
            f"AND channel IN ({','.join('?' * len(chans))}) AND kind IN ({','.join('?' * len(values))}) "
            f"AND person IN ({','.join('?' * len(who))}) ORDER BY id", (now, *chans, *values, *who))]

    def known(self, keys: Iterable[str]) -> frozenset[str]:
        """Which of ``keys`` are in the outbox (in any status)."""
        wanted = list(keys)
        found: set[str] = set()
        for i in range(0, len(wanted), 500):
            part = wanted[i:i + 500]
            found.update(r["key"] for r in self._rows(
                f"SELECT key FROM notification_outbox WHERE key IN ({','.join('?' * len(part))})", part))
        return frozenset(found)

    def status(self, entry_id: int) -> str | None:
        rows = self._rows("SELECT status FROM notification_outbox WHERE id = ?", (entry_id,))
        return str(rows[0]["status"]) if rows else None

    def due(self, now: float, channels: Iterable[str] = ()) -> dict[str, list[OutboxEntry]]:
        """Pending deliveries due at ``now``, per channel, oldest first (in the order they were
        queued, so a recipient gets them in order after an outage; at most ``BATCH`` each);
        ``channels``: leave these out (busy)."""
        skip = set(channels)
        out: dict[str, list[OutboxEntry]] = {}
        for r in self._rows("SELECT DISTINCT channel FROM notification_outbox WHERE status = 'pending' "
                            "AND due_at <= ?", (now,)):
            if r["channel"] not in skip:
                out[r["channel"]] = [_entry(x) for x in self._rows(
                    f"SELECT {_COLUMNS} FROM notification_outbox WHERE status = 'pending' AND due_at <= ? "
                    f"AND channel = ? ORDER BY id LIMIT {BATCH}", (now, r["channel"]))]
        return out

    def next_due(self, after: float) -> float | None:
        """The earliest due time of a pending delivery later than ``after``."""
        t = self._rows("SELECT min(due_at) AS t FROM notification_outbox WHERE status = 'pending' AND due_at > ?",
                       (after,))[0]["t"]
        return None if t is None else float(t)

    def depth(self) -> int:
        """Deliveries waiting to be sent (due or not)."""
        return int(self._rows("SELECT count(*) AS n FROM notification_outbox WHERE status = 'pending'")[0]["n"])

    def waiting(self, channel: str) -> int:
        """Deliveries of ``channel`` waiting to be sent."""
        return int(self._rows("SELECT count(*) AS n FROM notification_outbox WHERE channel = ? AND status = 'pending'",
                              (channel,))[0]["n"])

    def oldest_waiting(self, now: float) -> dict[str, float]:
        """Per channel, since when its longest-waiting due delivery has waited (queued, or due if it
        was queued for later): what a "pages waiting too long" alert reads."""
        return {r["channel"]: float(r["since"]) for r in self._rows(
            "SELECT channel, min(CASE WHEN attempts > 0 THEN created_at ELSE due_at END) AS since "
            "FROM notification_outbox WHERE status = 'pending' AND (due_at <= ? OR attempts > 0) GROUP BY channel",
            (now,))}

    def was_sent(self, key: str) -> bool:
        return bool(self._rows("SELECT 1 FROM notification_sent WHERE key = ?", (key,)))
