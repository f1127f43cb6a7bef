"""Incident metrics, read from the store and the service at scrape time.

``sitewatch_incidents_open{condition,severity,province}`` counts open and acknowledged incidents;
the battery runtime estimates carry the usual site labels so dashboards can join them with
``sitewatch_site_info``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from sitewatch.incidents.model import Severity
from sitewatch.incidents.service import IncidentService
from sitewatch.metrics import site_label_pairs

__all__ = ["IncidentCollector"]

_SITE_LABELS = ["site", "kind", "province", "district", "criticality"]


class IncidentCollector(Collector):
    def __init__(self, service: IncidentService, traps: Callable[[], Mapping[str, int] | None] = lambda: None) -> None:
        self._service = service
        self._traps = traps

    def collect(self) -> Iterable[GaugeMetricFamily | CounterMetricFamily]:
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

        transitions = CounterMetricFamily("sitewatch_incident_transitions",
                                          "Evaluator transitions by condition and kind", labels=["condition", "kind"])
        for (cond, kind), n in sorted(svc.counts.transitions.items()):
            transitions.add_metric([cond, kind], n)
        yield transitions
        changes = CounterMetricFamily("sitewatch_incident_changes", "Incident changes by condition and change",
                                      labels=["condition", "change"])
        for (cond, change), n in sorted(svc.counts.changes.items()):
            changes.add_metric([cond, change], n)
        yield changes

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
