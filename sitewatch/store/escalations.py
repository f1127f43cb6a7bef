"""The escalations' repository: escalation units, their members, who was paged and told of what,
personal repeats and events (see ``sitewatch.escalation.state`` for what they mean)."""

from __future__ import annotations

from collections.abc import Iterable

from sitewatch.escalation.policy import PolicySnapshot
from sitewatch.escalation.state import Escalation, EscalationEvent, Member, Membership, Page, Repeat, Status
from sitewatch.store.database import Repository, Row

__all__ = ["EscalationStore"]

_COLUMNS = ("id, group_key, route, policy, status, level, round, created_at, started_at, next_step_at, update_at, "
            "updates, renotified, acknowledged_at, acknowledged_by, closed_at")


class EscalationStore(Repository):
    """Reads and writes escalation rows. Call writes inside ``transaction()`` when several must
    commit together (with each other, or with the incidents and the outbox)."""

    # -- escalations ----------------------------------------------------------------------------

    def create(self, *, group_key: str, route: str, policy: PolicySnapshot, now: float) -> Escalation:
        return self.get(self.db.insert(
            "INSERT INTO escalations (group_key, route, policy, status, created_at, next_step_at) "
            "VALUES (?, ?, ?, 'pending', ?, ?)", (group_key, route, policy.to_json(), now, now + policy.group_wait)))

    def get(self, escalation_id: int) -> Escalation:
        rows = self.db.rows(f"SELECT {_COLUMNS} FROM escalations WHERE id = ?", (escalation_id,))
        if not rows:
            raise KeyError(escalation_id)
        return _escalation(rows[0])

    def save(self, e: Escalation) -> None:
        """Write the mutable fields of ``e``."""
        self.db.execute("UPDATE escalations SET status = ?, level = ?, round = ?, started_at = ?, next_step_at = ?, "
                        "update_at = ?, updates = ?, renotified = ?, acknowledged_at = ?, acknowledged_by = ?, "
                        "closed_at = ? WHERE id = ?",
                        (e.status.value, e.level, e.round, e.started_at, e.next_step_at, e.update_at, e.updates,
                         e.renotified, e.acknowledged_at, e.acknowledged_by, e.closed_at, e.id))

    def live(self, group_key: str) -> Escalation | None:
        rows = self.db.rows(f"SELECT {_COLUMNS} FROM escalations WHERE group_key = ? "
                            "AND status IN ('pending', 'active')", (group_key,))
        return _escalation(rows[0]) if rows else None

    def unresolved(self) -> list[Escalation]:
        """Escalations not resolved (nor emptied by their members moving on)."""
        return [_escalation(r) for r in self.db.rows(
            f"SELECT {_COLUMNS} FROM escalations WHERE status <> 'resolved' AND closed_at IS NULL ORDER BY id")]

    def due(self, now: float) -> list[Escalation]:
        """Escalations whose timer has come, oldest timer first."""
        return [_escalation(r) for r in self.db.rows(
            f"SELECT {_COLUMNS} FROM escalations WHERE next_step_at IS NOT NULL AND next_step_at <= ? "
            "AND status IN ('pending', 'active', 'acknowledged') ORDER BY next_step_at, id", (now,))]

    def updates_due(self, now: float) -> list[Escalation]:
        """Active escalations with a member someone paged has not been told of, whose group
        interval has passed."""
        return [_escalation(r) for r in self.db.rows(
            f"SELECT {_COLUMNS} FROM escalations e WHERE status = 'active' AND update_at <= ? AND EXISTS "
            f"(SELECT 1 {_UNTOLD} AND p.escalation_id = e.id) ORDER BY id", (now,))]

    def of_incident(self, incident_id: int) -> list[Escalation]:
        """Every unresolved escalation the incident belongs to."""
        return [_escalation(r) for r in self.db.rows(
            f"SELECT {_COLUMNS} FROM escalations WHERE status <> 'resolved' AND id IN "
            "(SELECT escalation_id FROM escalation_members WHERE incident_id = ?) ORDER BY id", (incident_id,))]

    def memberships(self, incident_id: int) -> list[Membership]:
        """Every escalation the incident is or was in, whatever its status, oldest first. One it
        moved out of is found by its "moved" event: membership events (joined, moved, carried)
        name the incident first, as ``incident #N ...``."""
        named = f"incident #{incident_id} %"
        found = [Membership(escalation=_escalation(r), joined_at=r["joined_at"], left_at=None) for r in self.db.rows(
            f"SELECT {_COLUMNS}, m.joined_at AS joined_at FROM escalations JOIN escalation_members m "
            "ON m.escalation_id = id WHERE m.incident_id = ?", (incident_id,))]
        for r in self.db.rows(
                "SELECT escalation_id, min(at) AS left_at, (SELECT min(j.at) FROM escalation_events j WHERE "
                "j.escalation_id = v.escalation_id AND j.kind = 'joined' AND j.text LIKE ?) AS joined_at "
                "FROM escalation_events v WHERE kind = 'moved' AND text LIKE ? GROUP BY escalation_id",
                (named, named)):
            e = self.get(r["escalation_id"])
            found.append(Membership(escalation=e, joined_at=r["joined_at"] if r["joined_at"] is not None
                                    else e.created_at, left_at=r["left_at"]))
        return sorted(found, key=lambda m: m.escalation.id)

    def in_live(self, incident_id: int) -> bool:
        return bool(self.db.rows(
            "SELECT 1 FROM escalation_members m JOIN escalations e ON e.id = m.escalation_id "
            "WHERE m.incident_id = ? AND e.status IN ('pending', 'active')", (incident_id,)))

    # -- members ------------------------------------------------------------------------------

    def add_member(self, escalation_id: int, incident_id: int, now: float) -> None:
        self.db.execute("INSERT OR IGNORE INTO escalation_members (escalation_id, incident_id, joined_at) "
                        "VALUES (?, ?, ?)", (escalation_id, incident_id, now))

    def remove_member(self, escalation_id: int, incident_id: int) -> None:
        self.db.execute("DELETE FROM escalation_members WHERE escalation_id = ? AND incident_id = ?",
                        (escalation_id, incident_id))

    def members(self, escalation_id: int) -> list[Member]:
        return [Member(incident_id=r["incident_id"], joined_at=r["joined_at"])
                for r in self.db.rows("SELECT incident_id, joined_at FROM escalation_members "
                                      "WHERE escalation_id = ? ORDER BY joined_at, incident_id", (escalation_id,))]

    # -- what each person has been told ---------------------------------------------------------

    def tell(self, escalation_id: int, people: Iterable[str], incident_ids: Iterable[int]) -> None:
        """Record that ``people`` were told of ``incident_ids`` (a page or an update named them)."""
        ids = tuple(incident_ids)
        self.db.execute_many("INSERT OR IGNORE INTO escalation_told (escalation_id, person, incident_id) "
                             "VALUES (?, ?, ?)", [(escalation_id, p, i) for p in dict.fromkeys(people) for i in ids])

    def untold(self, escalation_id: int) -> dict[str, frozenset[int]]:
        """For each person paged, the members they have not been told of (only those with some)."""
        out: dict[str, set[int]] = {}
        for r in self.db.rows(f"SELECT DISTINCT p.person, m.incident_id {_UNTOLD} AND p.escalation_id = ? "
                              "ORDER BY p.person, m.incident_id", (escalation_id,)):
            out.setdefault(r["person"], set()).add(r["incident_id"])
        return {p: frozenset(ids) for p, ids in out.items()}

    def told_of(self, escalation_id: int, incident_id: int) -> tuple[str, ...]:
        """Who has been told of the incident in this escalation."""
        return tuple(r["person"] for r in self.db.rows(
            "SELECT person FROM escalation_told WHERE escalation_id = ? AND incident_id = ? ORDER BY person",
            (escalation_id, incident_id)))

    # -- pages and repeats --------------------------------------------------------------------

    def record_page(self, escalation_id: int, person: str, level: int, round_: int, at: float) -> None:
        self.db.execute("INSERT OR IGNORE INTO escalation_pages (escalation_id, person, level, round, at) "
                        "VALUES (?, ?, ?, ?, ?)", (escalation_id, person, level, round_, at))

    def pages(self, escalation_id: int) -> list[Page]:
        return [Page(person=r["person"], level=r["level"], round=r["round"], at=r["at"]) for r in self.db.rows(
            "SELECT person, level, round, at FROM escalation_pages WHERE escalation_id = ? ORDER BY at, rowid",
            (escalation_id,))]

    def paged_people(self, escalation_id: int) -> tuple[str, ...]:
        """Everyone paged for the escalation, in the order they were first paged."""
        return tuple(dict.fromkeys(p.person for p in self.pages(escalation_id)))

    def set_repeat(self, r: Repeat) -> None:
        self.db.execute("INSERT OR REPLACE INTO escalation_repeats (escalation_id, person, contact, level, round, "
                        "every, next_at, sent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (r.escalation_id, r.person, r.contact, r.level, r.round, r.every, r.next_at, r.sent))

    def due_repeats(self, now: float) -> list[Repeat]:
        """Personal repeats that have come, for escalations still active."""
        return [Repeat(escalation_id=r["escalation_id"], person=r["person"], contact=r["contact"], level=r["level"],
                       round=r["round"], every=r["every"], next_at=r["next_at"], sent=r["sent"])
                for r in self.db.rows(
                    "SELECT r.* FROM escalation_repeats r JOIN escalations e ON e.id = r.escalation_id "
                    "WHERE r.next_at <= ? AND e.status = 'active' ORDER BY r.next_at", (now,))]

    def clear_repeats(self, escalation_id: int) -> None:
        self.db.execute("DELETE FROM escalation_repeats WHERE escalation_id = ?", (escalation_id,))

    # -- events -------------------------------------------------------------------------------

    def event(self, escalation_id: int, at: float, kind: str, text: str = "", *, level: int | None = None,
              round_: int | None = None, person: str | None = None) -> None:
        self.db.execute("INSERT INTO escalation_events (escalation_id, at, kind, level, round, person, text) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)", (escalation_id, at, kind, level, round_, person, text))

    def events(self, escalation_id: int) -> list[EscalationEvent]:
        return [EscalationEvent(at=r["at"], kind=r["kind"], level=r["level"], round=r["round"], person=r["person"],
                                text=r["text"])
                for r in self.db.rows("SELECT at, kind, level, round, person, text FROM escalation_events "
                                      "WHERE escalation_id = ? ORDER BY id", (escalation_id,))]


#: (person paged, member) pairs with nothing told: ``SELECT ... {_UNTOLD} AND p.escalation_id = ?``
_UNTOLD = ("FROM escalation_pages p JOIN escalation_members m ON m.escalation_id = p.escalation_id "
           "WHERE NOT EXISTS (SELECT 1 FROM escalation_told t WHERE t.escalation_id = p.escalation_id "
           "AND t.person = p.person AND t.incident_id = m.incident_id)")


def _escalation(r: Row) -> Escalation:
    return Escalation(id=r["id"], group_key=r["group_key"], route=r["route"],
                      policy=PolicySnapshot.from_json(r["policy"]), status=Status(r["status"]), level=r["level"],
                      round=r["round"], created_at=r["created_at"], started_at=r["started_at"],
                      next_step_at=r["next_step_at"], update_at=r["update_at"], updates=r["updates"],
                      renotified=r["renotified"], acknowledged_at=r["acknowledged_at"],
                      acknowledged_by=r["acknowledged_by"], closed_at=r["closed_at"])
