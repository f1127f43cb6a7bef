"""A district of Gia Lai on call, real receivers on 127.0.0.1, a real incident database, an injected clock.

    Chư Sê district: BTS-00..BTS-39 (plain BTS) and BTS-HOSP (serves a hospital: shorter waits)
    people:  an    district on-call (roster chuse): SMS at once and again every 5 min, email at once
             binh  provincial duty officer (roster gialai), in English: SMS at once, email after 5 min
             cuong director on duty (roster directors): SMS
             dung  on the "ghost" roster, with no contact method
    policy bts-battery: chuse → 10 min → gialai → 20 min → directors → 30 min
    channels: sms (HTTP SMS gateway → CaptureServer /sms), email (SMTP → SmtpCapture), hook (webhook /hook)
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from sitewatch.config.schema import Config
from sitewatch.core.conditions import Condition, Phrase, Summary, Transition, TransitionKind, part
from sitewatch.core.incident import Incident
from sitewatch.escalation.engine import EscalationEngine
from sitewatch.incidents.lifecycle import IncidentChange
from sitewatch.incidents.service import IncidentService
from sitewatch.messages.acklinks import AckSigner
from sitewatch.notify.registry import build_notifiers
from sitewatch.store.incidents import IncidentStore
from tests.incidents import conftest as incidents
from tests.notify.receivers import CapturedRequest, CaptureServer, SmtpCapture

T0 = 1_790_000_000.0  # 2026-09-21 21:53 in Gia Lai
MIN = 60.0

MAINS_0V = Summary.of(part(Phrase.MAINS_PHASES, volts="0", phases=3))


class FakeClock:
    """Both clocks at one settable time."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def time(self) -> float:
        return self.t

    def monotonic(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t


def _roster(name: str, member: str) -> dict[str, Any]:
    return {"name": name, "layers": [{"name": "main", "members": [member], "start": "2026-01-01"}]}


def make_config(*, http: str, smtp_port: int, **overrides: Any) -> Config:
    """The district's config pointed at the receivers; ``overrides`` replace top-level sections
    (``people=lambda people: {...}`` edits the default one)."""
    sites = [{"id": f"BTS-{i:02d}", "name": f"BTS Chư Sê {i:02d}", "kind": "bts", "province": "Gia Lai",
              "district": "Chư Sê", "latitude": 13.7 + i / 1000, "longitude": 108.08} for i in range(40)]
    sites.append({"id": "BTS-HOSP", "name": "BTS Bệnh viện Chư Sê", "kind": "bts", "province": "Gia Lai",
                  "district": "Chư Sê", "criticality": "critical", "criticality_reasons": ["serves the hospital"]})
    sites.append({"id": "BTS-PK", "name": "BTS Pleiku", "kind": "bts", "province": "Gia Lai", "district": "Pleiku"})
    doc: dict[str, Any] = {
        "sites": sites,
        "channels": {
            "sms": {"type": "sms_gateway", "settings": {"url": f"{http}/sms",
                                                        "body": {"to": "{to}", "text": "{text}", "ref": "{key}"}}},
            "email": {"type": "email", "settings": {"host": "127.0.0.1", "port": smtp_port, "security": "none",
                                                    "from": "sitewatch@noc.example"}},
            "hook": {"type": "webhook", "settings": {"url": f"{http}/hook"}},
        },
        "people": {
            "an": {"name": "Nguyễn Văn An", "teams": ["chuse"],
                   "contacts": [{"channel": "sms", "address": "+84901000001"},
                                {"channel": "email", "address": "an@noc.example"}],
                   "rules": [{"contact": 0, "after": 0, "repeat": "5m"}, {"contact": 1, "after": 0}]},
            "binh": {"name": "Trần Thị Bình", "language": "en", "teams": ["gialai"],
                     "contacts": [{"channel": "sms", "address": "+84901000002"},
                                  {"channel": "email", "address": "binh@noc.example"}],
                     "rules": [{"contact": 0}, {"contact": 1, "after": "5m"}]},
            "cuong": {"name": "Lê Văn Cường", "teams": ["gialai"],
                      "contacts": [{"channel": "sms", "address": "+84901000003"}]},
            "dung": {"name": "Phạm Dũng", "teams": ["ghost"]},
        },
        "rosters": {"chuse": _roster("Chư Sê on-call", "an"), "gialai": _roster("Gia Lai duty officer", "binh"),
                    "directors": _roster("Director on duty", "cuong"), "ghost": _roster("Ghost roster", "dung")},
        "policies": {
            "bts-battery": {"levels": [{"notify": [{"roster": "chuse"}], "wait": "10m"},
                                       {"notify": [{"roster": "gialai"}], "wait": "20m"},
                                       {"notify": [{"roster": "directors"}], "wait": "30m"}]},
        },
        "routes": [
            {"match": {"criticality": ["critical"]}, "policy": "bts-battery", "wait_factor": 0.5,
             "group_by": ["site"], "group_wait": 0},
            {"match": {"kind": ["bts"]}, "policy": "bts-battery", "group_by": ["district"], "group_wait": "30s",
             "group_interval": "5m"},
        ],
        "notifications": {"renotify_acknowledged": "2h", "max_retry_time": "1h"},
    }
    for section, value in overrides.items():  # a value, or a function of the default section
        doc[section] = value(doc[section]) if callable(value) else value
    return Config.model_validate(doc)


@dataclass
class World:
    """The engine and everything around it, driven by the test's clock."""

    clock: FakeClock
    config: Config
    store: IncidentStore
    service: IncidentService
    engine: EscalationEngine
    http: CaptureServer
    smtp: SmtpCapture
    changes: list[IncidentChange] = field(default_factory=list)

    def open(self, site: str, condition: Condition = Condition.ON_BATTERY) -> Incident:
        """The evaluator opens an incident; the service's listeners (the engine) hear of it."""
        return self._apply(site, condition, TransitionKind.OPENED)

    def clear(self, site: str, condition: Condition = Condition.ON_BATTERY) -> Incident:
        return self._apply(site, condition, TransitionKind.RESOLVED)

    def _apply(self, site: str, condition: Condition, kind: TransitionKind) -> Incident:
        changes = self.service.lifecycle.apply([Transition(site_id=site, condition=condition, kind=kind,
                                                           at=self.clock.time(), summary=MAINS_0V)],
                                               self.clock.time())
        self.engine.on_changes(changes)  # what IncidentService does with its listeners after the commit
        return changes[0].incident

    async def run_until(self, t: float, step: float = 5.0) -> None:
        """Advance the clock to ``t`` in steps, ticking the engine and sending what is due."""
        while self.clock.time() < t:
            self.clock.advance(min(step, t - self.clock.time()))
            await self.settle()

    async def settle(self) -> None:
        """Run due timers and send everything due now (and what sending made due now)."""
        self.engine.tick()
        for _ in range(20):
            await self.engine.worker.send_due()
            due = [e for e in self.engine.outbox.entries(status="pending") if e.due_at <= self.clock.time()]
            if not due:
                return

    def metric(self, name: str, **labels: str) -> float | None:
        """One sample of the engine's metrics, as ``/metrics`` shows it."""
        registry = CollectorRegistry()
        registry.register(self.engine.collector())
        return registry.get_sample_value(name, labels)

    def by_label(self, name: str, label: str) -> dict[str, float]:
        """Every sample of ``name``, by the value of ``label``."""
        registry = CollectorRegistry()
        registry.register(self.engine.collector())
        return {x.labels[label]: x.value for family in registry.collect() for x in family.samples if x.name == name}

    def sms(self) -> list[CapturedRequest]:
        return [r for r in self.http.delivered("/sms")]

    def sms_to(self, number: str) -> list[CapturedRequest]:
        return [r for r in self.sms() if r.json()["to"] == number]

    def mail_to(self, address: str) -> list[str]:
        return [m.message["Subject"] for m in self.smtp.messages if address in m.rcpt_tos]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


#: a real database file per test, as the incident tests have it
db_path, store = incidents.db_path, incidents.store


@pytest.fixture
async def receivers(clock: FakeClock) -> AsyncIterator[tuple[CaptureServer, SmtpCapture]]:
    async with CaptureServer(clock=clock.time) as http, SmtpCapture(clock=clock.time) as smtp:
        yield http, smtp


def build_world(clock: FakeClock, store: IncidentStore, http: CaptureServer, smtp: SmtpCapture, *,
                signer: AckSigner | None = None, **overrides: Any) -> World:
    config = make_config(http=http.url, smtp_port=smtp.port, **overrides)
    service = IncidentService(store=store, config=config, clock=clock)
    engine = EscalationEngine(store=store, config=config, clock=clock, notifiers=build_notifiers(config),
                              incidents=service, signer=signer, rng=random.Random(7))
    service.subscribe(engine.on_changes)
    return World(clock=clock, config=config, store=store, service=service, engine=engine, http=http, smtp=smtp)


WorldFactory = Callable[..., World]


@pytest.fixture
async def make_world(clock: FakeClock, store: IncidentStore,
                     receivers: tuple[CaptureServer, SmtpCapture]) -> AsyncIterator[WorldFactory]:
    """``make_world(policies=..., people=...)``: the district with some sections replaced."""
    made: list[World] = []

    def make(*, signer: AckSigner | None = None, **overrides: Any) -> World:
        made.append(build_world(clock, store, *receivers, signer=signer, **overrides))
        return made[-1]

    yield make
    for w in made:
        await w.engine.stop()  # closes its notifiers


@pytest.fixture
def world(make_world: WorldFactory) -> World:
    return make_world()
