"""The outbox's repository: the ``notification_outbox`` table and the ``notification_sent`` log
(see ``sitewatch.escalation.outbox`` for how deliveries move through them), and the stored form
of a delivery (``OutboxItem`` written, ``OutboxEntry`` read back)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sitewatch.notify.model import Contact, Delivery, Message, MessageKind
from sitewatch.store.database import Repository, Row

__all__ = ["BATCH", "OutboxEntry", "OutboxItem", "OutboxStore", "message_from_json", "message_to_json"]

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


def _entry(r: Row) -> OutboxEntry:
    return OutboxEntry(id=r["id"], key=r["key"], escalation_id=r["escalation_id"], person=r["person"],
                       channel=r["channel"], address=r["address"], contact_index=r["contact"],
                       kind=MessageKind(r["kind"]), level=r["level"], round=r["round"],
                       message=message_from_json(r["message"]), status=r["status"], due_at=r["due_at"],
                       created_at=r["created_at"], attempts=r["attempts"], first_attempt_at=r["first_attempt_at"],
                       last_error=r["last_error"], finished_at=r["finished_at"])


class OutboxStore(Repository):
    """Rows of the outbox and the sent log. Each write is atomic and joins the caller's transaction."""

    # -- writes -------------------------------------------------------------------------------

    def insert(self, items: Iterable[OutboxItem], now: float) -> int:
        """Write deliveries as pending; a key already in the outbox is left alone. Returns how many are new."""
        return self.db.execute_many(
            "INSERT OR IGNORE INTO notification_outbox (key, escalation_id, person, channel, address, "
            "contact, kind, level, round, message, status, due_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
            [(it.key, it.escalation_id, it.contact.person, it.contact.channel, it.contact.address, it.contact_index,
              it.message.kind.value, it.level, it.round, message_to_json(it.message), it.due_at, now)
             for it in items])

    def cancel_pending(self, escalation_id: int, kinds: Iterable[MessageKind], now: float,
                       down: Mapping[str, str] | None = None) -> list[str]:
        """Cancel the pending deliveries of these kinds for an escalation; returns the channel of
        each. ``down``: channel → why it is down; a due delivery of such a channel is cancelled with
        that as its error (it was lost to the outage, not merely not needed)."""
        values = [k.value for k in kinds]
        marks = ",".join("?" * len(values))
        with self.db.transaction():
            for channel, why in (down or {}).items():
                self.db.execute(
                    f"UPDATE notification_outbox SET last_error = ? WHERE escalation_id = ? AND status = 'pending' "
                    f"AND channel = ? AND due_at <= ? AND last_error = '' AND kind IN ({marks})",
                    (why, escalation_id, channel, now, *values))
            rows = self.db.rows(f"SELECT channel FROM notification_outbox WHERE escalation_id = ? "
                                f"AND status = 'pending' AND kind IN ({marks})", (escalation_id, *values))
            self.db.execute(
                f"UPDATE notification_outbox SET status = 'cancelled', finished_at = ? WHERE escalation_id = ? "
                f"AND status = 'pending' AND kind IN ({marks})", (now, escalation_id, *values))
        return [r["channel"] for r in rows]

    def make_due(self, entry_id: int, now: float) -> None:
        """Make a pending delivery due now."""
        self.db.execute("UPDATE notification_outbox SET due_at = ? WHERE id = ? AND status = 'pending' AND due_at > ?",
                        (now, entry_id, now))

    def mark_finished(self, e: OutboxEntry, status: str, now: float, error: str = "", *,
                      attempted: bool = False) -> bool:
        """Mark a pending delivery sent, dead or cancelled; False if it was not pending. A delivery
        marked sent goes into the sent log in the same commit."""
        with self.db.transaction():
            if status == "sent":
                self.db.execute("INSERT OR IGNORE INTO notification_sent (key, channel, sent_at) VALUES (?, ?, ?)",
                                (e.key, e.channel, now))
            # a send already on the wire when it was cancelled still went: it is recorded as sent
            allowed = "('pending', 'cancelled')" if status == "sent" else "('pending')"
            return bool(self.db.execute(
                f"UPDATE notification_outbox SET status = ?, finished_at = ?, last_error = ?, attempts = attempts + ?, "
                f"first_attempt_at = coalesce(first_attempt_at, ?) WHERE id = ? AND status IN {allowed}",
                (status, now, error, int(attempted), now if attempted else None, e.id)))

    def reschedule(self, e: OutboxEntry, *, due_at: float, attempts: int, first_attempt_at: float,
                   error: str) -> bool:
        """A retry later; False if the delivery is no longer pending (cancelled meanwhile)."""
        return bool(self.db.execute(
            "UPDATE notification_outbox SET due_at = ?, attempts = ?, first_attempt_at = ?, last_error = ? "
            "WHERE id = ? AND status = 'pending'", (due_at, attempts, first_attempt_at, error, e.id)))

    def retry_now(self, channel: str, now: float) -> None:
        """Make the channel's deliveries waiting out a retry backoff due now, in their place in the queue."""
        self.db.execute("UPDATE notification_outbox SET due_at = ? WHERE channel = ? AND status = 'pending' "
                        "AND attempts > 0 AND due_at > ?", (now, channel, now))

    def prune(self, before: float) -> int:
        """Forget deliveries finished before ``before`` (sent, dead, cancelled) and their sent-log
        entries; returns how many rows went. Keys embed the escalation id, which is never reused,
        so a pruned key cannot come back."""
        with self.db.transaction():
            gone = self.db.execute("DELETE FROM notification_outbox WHERE status <> 'pending' AND finished_at < ?",
                                   (before,))
            self.db.execute("DELETE FROM notification_sent WHERE sent_at < ?", (before,))
        return gone

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
        return [_entry(r) for r in self.db.rows(f"SELECT {_COLUMNS} FROM notification_outbox{clause} ORDER BY id",
                                                params)]

    def held(self, now: float, *, channels: Iterable[str], kinds: Iterable[MessageKind],
             people: Iterable[str]) -> list[OutboxEntry]:
        """Pending deliveries due at ``now`` on these channels, of these kinds, to these people,
        oldest first: what waits on a down channel."""
        chans, values, who = list(channels), [k.value for k in kinds], list(people)
        if not chans or not values or not who:
            return []
        return [_entry(r) for r in self.db.rows(
            f"SELECT {_COLUMNS} FROM notification_outbox WHERE status = 'pending' AND due_at <= ? "
            f"AND channel IN ({','.join('?' * len(chans))}) AND kind IN ({','.join('?' * len(values))}) "
            f"AND person IN ({','.join('?' * len(who))}) ORDER BY id", (now, *chans, *values, *who))]

    def known(self, keys: Iterable[str]) -> frozenset[str]:
        """Which of ``keys`` are in the outbox (in any status)."""
        wanted = list(keys)
        found: set[str] = set()
        for i in range(0, len(wanted), 500):
            part = wanted[i:i + 500]
            found.update(r["key"] for r in self.db.rows(
                f"SELECT key FROM notification_outbox WHERE key IN ({','.join('?' * len(part))})", part))
        return frozenset(found)

    def status(self, entry_id: int) -> str | None:
        rows = self.db.rows("SELECT status FROM notification_outbox WHERE id = ?", (entry_id,))
        return str(rows[0]["status"]) if rows else None

    def due(self, now: float, channels: Iterable[str] = ()) -> dict[str, list[OutboxEntry]]:
        """Pending deliveries due at ``now``, per channel, oldest first (in the order they were
        queued, so a recipient gets them in order after an outage; at most ``BATCH`` each);
        ``channels``: leave these out (busy)."""
        skip = set(channels)
        out: dict[str, list[OutboxEntry]] = {}
        for r in self.db.rows("SELECT DISTINCT channel FROM notification_outbox WHERE status = 'pending' "
                              "AND due_at <= ?", (now,)):
            if r["channel"] not in skip:
                out[r["channel"]] = [_entry(x) for x in self.db.rows(
                    f"SELECT {_COLUMNS} FROM notification_outbox WHERE status = 'pending' AND due_at <= ? "
                    f"AND channel = ? ORDER BY id LIMIT {BATCH}", (now, r["channel"]))]
        return out

    def next_due(self, after: float) -> float | None:
        """The earliest due time of a pending delivery later than ``after``."""
        t = self.db.rows("SELECT min(due_at) AS t FROM notification_outbox WHERE status = 'pending' AND due_at > ?",
                         (after,))[0]["t"]
        return None if t is None else float(t)

    def depth(self) -> int:
        """Deliveries waiting to be sent (due or not)."""
        return int(self.db.rows("SELECT count(*) AS n FROM notification_outbox WHERE status = 'pending'")[0]["n"])

    def waiting(self, channel: str) -> int:
        """Deliveries of ``channel`` waiting to be sent."""
        return int(self.db.rows("SELECT count(*) AS n FROM notification_outbox WHERE channel = ? "
                                "AND status = 'pending'", (channel,))[0]["n"])

    def oldest_waiting(self, now: float) -> dict[str, float]:
        """Per channel, since when its longest-waiting due delivery has waited (queued, or due if it
        was queued for later): what a "pages waiting too long" alert reads."""
        return {r["channel"]: float(r["since"]) for r in self.db.rows(
            "SELECT channel, min(CASE WHEN attempts > 0 THEN created_at ELSE due_at END) AS since "
            "FROM notification_outbox WHERE status = 'pending' AND (due_at <= ? OR attempts > 0) GROUP BY channel",
            (now,))}

    def due_count(self, channel: str, now: float) -> int:
        """Deliveries of ``channel`` due at ``now``."""
        return int(self.db.rows("SELECT count(*) AS n FROM notification_outbox WHERE channel = ? "
                                "AND status = 'pending' AND due_at <= ?", (channel, now))[0]["n"])

    def was_sent(self, key: str) -> bool:
        return bool(self.db.rows("SELECT 1 FROM notification_sent WHERE key = ?", (key,)))
