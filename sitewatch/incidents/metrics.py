"""Incident metrics, read from the store and the service at scrape time.

``sitewatch_incidents_open{condition,severity,province}`` counts open and acknowledged incidents;
the battery runtime estimates carry the usual site labels so dashboards can join them with
``sitewatch_site_info``. The transition and change counters (``IncidentCounts``) have every
condition × kind at 0 from the start: both lists are enums, so ``rate()`` and
``increase()`` need no first event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from prometheus_client import Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.registry import Collector

from sitewatch.core.conditions import Condition, Severity, TransitionKind
from sitewatch.incidents.lifecycle import ChangeKind
from sitewatch.metrics.exposition import site_label_pairs

if TYPE_CHECKING:  # the service counts into ``IncidentCounts``
    from sitewatch.incidents.service import IncidentService

__all__ = ["IncidentCollector", "IncidentCounts", "families_of"]


class IncidentCounts:
    """What the evaluator and the lifecycle did, by condition."""

    def __init__(self) -> None:
        self.transitions = Counter("sitewatch_incident_transitions", "Evaluator transitions by condition and kind",
                                   ["condition", "kind"], registry=None)
        self.changes = Counter("sitewatch_incident_changes", "Incident changes by condition and change",
                               ["condition", "change"], registry=None)
        for condition in Condition:
            for kind in TransitionKind:
                self.transitions.labels(condition.value, kind.value)
            for change in ChangeKind:
                self.changes.labels(condition.value, change.value)

    def transition(self, condition: Condition, kind: TransitionKind) -> None:
        self.transitions.labels(condition.value, kind.value).inc()

    def change(self, condition: Condition, kind: ChangeKind) -> None:
        self.changes.labels(condition.value, kind.value).inc()

    def families(self) -> Iterator[Metric]:
        return families_of(self.transitions, self.changes)


def families_of(*metrics: MetricWrapperBase) -> Iterator[Metric]:
    """The families of prometheus-client metrics kept outside any registry, for a collector to
    yield, without the ``_created`` series it adds (a restart already shows as counters going
    back to 0, and sitewatch's exposition carries no sample timestamps)."""
    for metric in metrics:
        for family in metric.collect():
            family.samples = [x for x in family.samples if not x.name.endswith("_created")]
            yield family

_SITE_LABELS = ["site", "kind", "province", "district", "criticality"]


class IncidentCollector(Collector):
    def __init__(self, service: IncidentService, traps: Callable[[], Mapping[str, int] | None] = lambda: None) -> None:
        self._service = service
        self._traps = traps

    def collect(self) -> Iterable[Metric]:
        svc = self._service
        opened = GaugeMetricFamily("sitewatch_incidents_open", "Open (incl. acknowledged) incidents",
                                   labels=["condition", "severity", "province"])
        counts: dict[tuple[str, str, str], int] = {}
        for inc in svc.store.open_incidents():
            site = svc.site(inc.site_id)
            key = (inc.condition.value, Severity(inc.severity).label, site.province if site else "")
            counts[key] = counts.get(key, 0) + 1
        for key, n in sorted(counts.items()):
            opened.add_metric(list(key), n)
        yield opened

        yield from svc.counts.families()

        runtime = GaugeMetricFamily("sitewatch_battery_runtime_estimate_seconds",
                                    "Estimated battery runtime left while on battery, by estimation method",
                                    labels=[*_SITE_LABELS, "method"])
        depletion = GaugeMetricFamily("sitewatch_battery_predicted_depletion_timestamp_seconds",
                                      "Unix time the battery is predicted to run out", labels=_SITE_LABELS)
        for site_id, est in sorted(svc.runtime_estimates().items()):
            site = svc.site(site_id)
            if site is None:
                continue
            labels = [v for _, v in site_label_pairs(site)]
            runtime.add_metric([*labels, est.method], est.seconds)
            depletion.add_metric(labels, round(est.depletion_at, 3))
        yield runtime
        yield depletion

        trap_counts = self._traps()
        if trap_counts is not None:
            traps = CounterMetricFamily("sitewatch_traps", "SNMP traps and informs received, by result",
                                        labels=["result"])
            for result, n in sorted(trap_counts.items()):
                traps.add_metric([result], n)
            yield traps
