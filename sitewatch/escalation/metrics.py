"""Escalation's own metrics: what it sent, what it could not, how fast people answered.

``EscalationStats`` holds prometheus-client counters and a histogram, updated by the engine and
the outbox (they restart at zero with the process, as Prometheus expects). Every label set the
configuration makes possible is there from the start at 0 (each configured channel × result,
each level up to the longest policy's), as Alertmanager does for its integrations: ``rate()``
and ``increase()`` work from the first scrape, and an alert on "any dead letter" sees the
first one. ``EscalationCollector`` exposes them, plus the channels' health and the outbox depth
read from the store at scrape time. The daemon registers the collector in its registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from sitewatch.escalation.channel_health import ChannelState
from sitewatch.incidents.metrics import families_of

__all__ = ["ACK_BUCKETS", "RESULTS", "EscalationCollector", "EscalationStats"]

#: time-to-acknowledge histogram buckets, seconds (30 s .. 2 h)
ACK_BUCKETS = (30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 3600.0, 7200.0)
#: what became of a delivery attempt (``sitewatch_notifications_total{result}``)
RESULTS = ("sent", "retry", "dead_letter", "cancelled")


class EscalationStats:
    """The escalation counters; one event loop updates them, a scrape reads them."""

    def __init__(self, channels: Iterable[str] = (), levels: int = 0) -> None:
        self.notifications = Counter("sitewatch_notifications", "Notification deliveries by channel and result "
                                     "(sent, retry, dead_letter, cancelled)", ["channel", "result"], registry=None)
        self.dead_letters = Counter("sitewatch_dead_letters", "Notifications given up on (permanent failure or "
                                    "retries exhausted)", registry=None)
        self.levels_reached = Counter("sitewatch_escalation_level_reached", "Escalation levels paged, by level "
                                      "(1 = first)", ["level"], registry=None)
        self.levels_unreachable = Counter("sitewatch_escalation_level_unreachable", "Escalation levels that "
                                          "resolved to nobody reachable and were passed over", ["level"],
                                          registry=None)
        self.time_to_acknowledge = Histogram("sitewatch_time_to_acknowledge_seconds", "From the first page to the "
                                             "acknowledgement of an escalation", buckets=ACK_BUCKETS, registry=None)
        self.audit_overdue = Counter("sitewatch_escalation_audit_overdue", "Escalation steps the auditor found "
                                     "overdue and ran", registry=None)
        self.route_unmatched = Counter("sitewatch_route_unmatched", "Incidents no route matched (paged through the "
                                       "last route)", registry=None)
        self.known(channels, levels)

    def known(self, channels: Iterable[str], levels: int) -> None:
        """Start every series these channels and levels can have at 0 (on load and on each
        reload; series of channels and levels no longer configured keep their counts)."""
        for channel in channels:
            for result in RESULTS:
                self.notifications.labels(channel, result)
        for level in range(1, levels + 1):
            self.levels_reached.labels(str(level))
            self.levels_unreachable.labels(str(level))

    def notification(self, channel: str, result: str) -> None:
        self.notifications.labels(channel, result).inc()

    def level_reached(self, level: int) -> None:
        """``level`` counts from 0; the label from 1."""
        self.levels_reached.labels(str(level + 1)).inc()

    def level_unreachable(self, level: int) -> None:
        self.levels_unreachable.labels(str(level + 1)).inc()

    def acknowledged_after(self, seconds: float) -> None:
        self.time_to_acknowledge.observe(max(0.0, seconds))

    def families(self) -> Iterator[Metric]:
        """The metric families in exposition order."""
        return families_of(self.notifications, self.dead_letters, self.levels_reached, self.levels_unreachable,
                           self.time_to_acknowledge, self.audit_overdue, self.route_unmatched)


class EscalationCollector(Collector):
    """``channels``: every configured channel's health; ``oldest_waiting``: per channel, since when
    its longest-waiting due delivery waits (unix time); ``now``: the clock."""

    def __init__(self, stats: EscalationStats, outbox_depth: Callable[[], int], *,
                 channels: Callable[[], Sequence[ChannelState]] = list,
                 oldest_waiting: Callable[[float], Mapping[str, float]] = lambda now: {},
                 now: Callable[[], float] | None = None) -> None:
        self._stats = stats
        self._depth = outbox_depth
        self._channels = channels
        self._oldest = oldest_waiting
        self._now = now

    def collect(self) -> Iterable[Metric]:
        notifications, dead_letters, *rest = self._stats.families()
        yield notifications
        yield GaugeMetricFamily("sitewatch_outbox_depth", "Notifications waiting in the outbox", value=self._depth())
        yield from self._channel_families()
        yield dead_letters
        yield from rest

    def _channel_families(self) -> Iterable[Metric]:
        states = self._channels()
        up = GaugeMetricFamily("sitewatch_channel_up", "1 while the channel delivers, 0 while it is down "
                               "(failures in a row; one probe message at a time)", labels=["channel"])
        success = GaugeMetricFamily("sitewatch_channel_last_success_timestamp_seconds", "When the channel last "
                                    "accepted a message (absent before its first)", labels=["channel"])
        failures = GaugeMetricFamily("sitewatch_channel_failures_in_a_row", "Retryable failures since the "
                                     "channel's last success", labels=["channel"])
        for s in states:
            up.add_metric([s.channel], 1.0 if s.up else 0.0)
            failures.add_metric([s.channel], s.failures)
            if s.last_success is not None:
                success.add_metric([s.channel], s.last_success)
        yield up
        yield success
        yield failures
        if self._now is None:
            return
        now = self._now()
        waited = GaugeMetricFamily("sitewatch_outbox_oldest_waiting_seconds", "How long the longest-waiting "
                                   "due notification of each channel has waited (0 when none waits)",
                                   labels=["channel"])
        oldest = self._oldest(now)
        for s in states:
            since = oldest.get(s.channel)
            waited.add_metric([s.channel], max(0.0, now - since) if since is not None else 0.0)
        yield waited
