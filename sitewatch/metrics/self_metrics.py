"""sitewatch's own metrics: what the poller did (durations, results, errors, dropped packets),
not what the sites said. Ordinary prometheus-client metrics in a registry of their own, which
``Exposition`` appends after the site families.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from sitewatch.core.model import PollErrorKind, PollResult

__all__ = ["SelfMetrics"]


class _DroppedPackets(Collector):
    """``sitewatch_snmp_packets_dropped_total{reason}`` read from the SNMP clients' counters."""

    def __init__(self, sources: Callable[[], Iterable[Mapping[str, int]]]) -> None:
        self._sources = sources

    def collect(self) -> Iterable[CounterMetricFamily]:
        totals: dict[str, int] = {}
        for counts in self._sources():
            for reason, n in counts.items():
                totals[reason] = totals.get(reason, 0) + n
        fam = CounterMetricFamily("sitewatch_snmp_packets_dropped",
                                  "SNMP datagrams dropped before reaching any site, by reason", labels=["reason"])
        for reason, n in sorted(totals.items()):
            fam.add_metric([reason], n)
        yield fam


class SelfMetrics:
    """sitewatch's own metrics: what the poller did, not what the sites said."""

    def __init__(self, *, dropped: Callable[[], Iterable[Mapping[str, int]]] = lambda: ()) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.poll_duration = Histogram(
            "sitewatch_poll_duration_seconds", "Duration of one site poll (all targets)",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=self.registry)
        self.polls = Counter("sitewatch_polls", "Site polls finished, by result", ["result"],
                             registry=self.registry)
        self.poll_errors = Counter("sitewatch_poll_errors", "Failed site polls by reason", ["reason"],
                                   registry=self.registry)
        # children looked up once: ``labels()`` takes a lock and builds a key on every call
        self._ok, self._failed = self.polls.labels("ok"), self.polls.labels("error")
        self._errors = {kind: self.poll_errors.labels(kind.value) for kind in PollErrorKind}
        self.sites = Gauge("sitewatch_sites_configured", "Sites in the configuration", registry=self.registry)
        self.running = Gauge("sitewatch_polls_in_progress", "Site polls running now", registry=self.registry)
        self.registry.register(_DroppedPackets(dropped))

    def observe(self, result: PollResult) -> None:
        self.poll_duration.observe(result.duration_seconds)
        (self._ok if result.ok else self._failed).inc()
        if result.error is not None:
            self._errors[result.error].inc()
