"""What an escalation is and where it stands (stored by ``sitewatch.store.escalations``, in the
same database and transactions as the incidents).

An **escalation** is one unit of paging: the incidents of one group (see ``routing``), the
snapshot of the policy it started with, where it is (level, round, next step time), who has
been paged and which incidents each of them has been told of (a page or an update named them;
whoever lacks one gets an update at the group interval), personal repeats still running, and
what happened (events). Its status:

    pending ──group_wait──▶ active ──every member acknowledged──▶ acknowledged ──all resolved──▶ resolved
       │                       ├──members stop paging (suppressed, maintenance)──▶ withdrawn ──▶ resolved
       └───────────────────────┴──all members resolved──────────────────────────────────────────▶ resolved

Only a pending or active escalation takes new members (one per group key, enforced by a unique
index); an incident paging again after its escalation was acknowledged or withdrawn starts a new
one (or joins the live one of its group). From the old one it *moves*, taking the record of
who was paged with it, so nobody hears of its end twice.

``next_step_at`` is the one timer: the end of the group wait (pending), the next level (active),
or the next re-notification (acknowledged). Because it is stored, a restart resumes and the
auditor can find timers that are overdue.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sitewatch.escalation.policy import PolicySnapshot

__all__ = ["LIVE", "Escalation", "EscalationEvent", "Member", "Membership", "Page", "Repeat", "Status", "parse_key"]


class Status(enum.Enum):
    PENDING = "pending"  #: gathering incidents during the group wait
    ACTIVE = "active"  #: paging level by level
    ACKNOWLEDGED = "acknowledged"  #: every member acknowledged (or resolved): no more pages
    WITHDRAWN = "withdrawn"  #: members stopped paging (suppressed, maintenance) without an acknowledgement
    RESOLVED = "resolved"  #: every member resolved


LIVE = (Status.PENDING, Status.ACTIVE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Escalation:
    id: int
    group_key: str  #: route + group_by values (internal; several escalations over time)
    route: str  #: how it was routed, for people
    policy: PolicySnapshot
    status: Status
    level: int  #: current level (0 = first); -1 before the first page
    round: int  #: 0 = first pass through the policy
    created_at: float
    started_at: float | None  #: first page
    next_step_at: float | None
    update_at: float | None  #: earliest time an update about new members may go
    updates: int  #: updates sent so far
    renotified: int  #: re-notifications sent while acknowledged
    acknowledged_at: float | None
    acknowledged_by: str | None
    closed_at: float | None

    @property
    def key(self) -> str:
        """The public key of this escalation (ack links for the whole group carry it)."""
        return f"g{self.id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Member:
    incident_id: int
    joined_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Membership:
    """An incident's time in an escalation, for its history."""

    escalation: Escalation
    joined_at: float
    left_at: float | None  #: it moved to a newer escalation (paging again after this one stopped)


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    person: str
    level: int
    round: int
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Repeat:
    escalation_id: int
    person: str
    contact: int
    level: int
    round: int
    every: float
    next_at: float
    sent: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EscalationEvent:
    at: float
    #: paged, unreachable, exhausted, acknowledged, resolved, withdrawn, fallback, update, late_notice,
    #: not_told (no ack/resolution message: nothing had reached them), told_after, ...
    kind: str
    level: int | None
    round: int | None
    person: str | None
    text: str


def parse_key(key: str) -> int | None:
    """The escalation id in a public key ("g42" → 42), None if it is not one."""
    return int(key[1:]) if len(key) > 1 and key[0] == "g" and key[1:].isdigit() else None
