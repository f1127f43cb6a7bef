"""Drive evaluation the way the daemon does, with an injected clock, and read what it said."""

from __future__ import annotations

from sitewatch.config.incident_schema import ThresholdOverrides
from sitewatch.config.schema import BackupSpec, Config, Criticality, Site, SiteKind
from sitewatch.core.conditions import Condition, Transition, TransitionKind, TrapEvent
from sitewatch.core.model import PollErrorKind, PollResult, Reading
from sitewatch.evaluation import SiteContext, SiteEvalState, evaluate, evaluate_trap, site_context
from sitewatch.messages.readings import summary_text
from sitewatch.messages.vocabulary import EN

SITE = "GL-BTS-001"
T0 = 1_750_000_000.0


def context(*, uplinks: tuple[str, ...] = (), generator: bool = False, nominal_voltage: float | None = 48.0,
            capacity_ah: float | None = 100.0, load_watts: float | None = 1000.0,
            criticality: Criticality = Criticality.NORMAL, **overrides: object) -> SiteContext:
    """A BTS through the real config path: defaults < by kind (none) < the site's own thresholds."""
    site = Site(id=SITE, name="Pleiku BTS 1", kind=SiteKind.BTS, province="Gia Lai", uplinks=uplinks,
                criticality=criticality,
                backup=BackupSpec(generator=generator, nominal_voltage=nominal_voltage, battery_capacity_ah=capacity_ah,
                                  typical_load_watts=load_watts),
                thresholds=ThresholdOverrides.model_validate(overrides) if overrides else None)
    return site_context(Config(sites=(site,)), site)


def readings(**values: float | str | None) -> tuple[Reading, ...]:
    return tuple(Reading(name=k, value=v) for k, v in values.items())


def phases(*volts: float | None) -> tuple[Reading, ...]:
    return tuple(Reading(name="input_voltage_volts", value=v, labels=(("phase", str(i)),))
                 for i, v in enumerate(volts, 1))


def alarms(*active: str, **values: float | None) -> tuple[Reading, ...]:
    """``alarm_active`` rows: an alarm table's active rows (1.0), or alarms given as 1/0/None."""
    return tuple(Reading(name="alarm_active", value=v, labels=(("alarm", a),))
                 for a, v in (*((a, 1.0) for a in active), *values.items()))


def interface(name: str, up: float | None, admin: float | None = 1.0, alias: str = "") -> tuple[Reading, ...]:
    labels = (("interface", name),)
    info = (("if_index", "1"), ("alias", alias)) if alias else ()
    return (Reading(name="link_up", value=up, labels=labels, info=info),
            Reading(name="link_admin_up", value=admin, labels=labels))


class Feed:
    """One site's evaluation over time: ``poll``/``fail``/``trap`` at a time offset from T0."""

    def __init__(self, ctx: SiteContext | None = None, state: SiteEvalState | None = None) -> None:
        self.ctx = ctx or context()
        self.state = state or SiteEvalState()
        self.log: list[Transition] = []

    def poll(self, t: float, *extra: tuple[Reading, ...], **values: float | str | None) -> tuple[Transition, ...]:
        rs = readings(**values) + tuple(r for group in extra for r in group)
        result = PollResult(site_id=SITE, started_at=T0 + t, duration_seconds=0.2, ok=True, readings=rs)
        return self._record(evaluate(self.state, self.ctx, result, T0 + t))

    def fail(self, t: float, kind: PollErrorKind = PollErrorKind.TIMEOUT) -> tuple[Transition, ...]:
        result = PollResult(site_id=SITE, started_at=T0 + t, duration_seconds=2.0, ok=False, error=kind)
        return self._record(evaluate(self.state, self.ctx, result, T0 + t))

    def trap(self, t: float, *asserts: tuple[Condition, str, bool], name: str = "upsTrapOnBattery"
             ) -> tuple[Transition, ...]:
        event = TrapEvent(site_id=SITE, received_at=T0 + t, trap_oid="1.3.6.1.2.1.33.2.1", name=name,
                          source="127.0.0.1:40000", asserts=asserts)
        return self._record(evaluate_trap(self.state, self.ctx, event, T0 + t))

    def _record(self, out: tuple[SiteEvalState, tuple[Transition, ...]]) -> tuple[Transition, ...]:
        self.state, transitions = out
        self.log.extend(transitions)
        return transitions

    def kinds(self, condition: Condition, subject: str = "", *, updates: bool = False
              ) -> list[tuple[float, TransitionKind]]:
        """(time offset, kind) of the transitions of ``condition``/``subject`` so far (UPDATED if asked)."""
        return [(t.at - T0, t.kind) for t in self.log if t.condition is condition and t.subject == subject
                and (updates or t.kind is not TransitionKind.UPDATED)]


def words(t: Transition) -> str:
    """What an English reader reads of ``t``'s summary."""
    return summary_text(t.summary, EN)


def of(transitions: tuple[Transition, ...], condition: Condition, subject: str = "") -> list[Transition]:
    return [t for t in transitions if t.condition is condition and t.subject == subject]
