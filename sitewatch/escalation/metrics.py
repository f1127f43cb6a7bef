"""Escalation's own metrics: what it sent, what it could not, how fast people answered.

``EscalationStats`` is counted in memory by the engine and the outbox (counters restart at zero
with the process, as Prometheus expects); ``EscalationCollector`` exposes them, plus the outbox
depth read from the store at scrape time. The daemon registers the collector in its registry.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from sitewatch.escalation.channel_health import ChannelState

__all__ = ["ACK_BUCKETS", "EscalationCollector", "EscalationStats"]

#: time-to-acknowledge histogram buckets, seconds (30 s .. 2 h)
ACK_BUCKETS = (30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 3600.0, 7200.0)


class EscalationStats:
    """Counters; one event loop updates them, a scrape reads them."""

    def __init__(self) -> None:
        #: (channel, result) → count; result is sent, retry, dead_letter or cancelled
        self.notifications: dict[tuple[str, str], int] = {}
        self.dead_letters = 0
        #: escalation level (1 = first) → times it was paged
        self.levels_reached: dict[int, int] = {}
        #: escalation level (1 = first) → times it resolved to nobody reachable and was passed over
        self.levels_unreachable: dict[int, int] = {}
        self.audit_overdue = 0
        self.route_unmatched = 0
        self.ack_buckets = [0] * (len(ACK_BUCKETS) + 1)
        self.ack_sum = 0.0

    def notification(self, channel: str, result: str) -> None:
        key = (channel, result)
        self.notifications[key] = self.notifications.get(key, 0) + 1

    def level_reached(self, level: int) -> None:
        self.levels_reached[level + 1] = self.levels_reached.get(level + 1, 0) + 1

    def level_unreachable(self, level: int) -> None:
        self.levels_unreachable[level + 1] = self.levels_unreachable.get(level + 1, 0) + 1

    def acknowledged_after(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.ack_buckets[bisect.bisect_left(ACK_BUCKETS, seconds)] += 1
        self.ack_sum += seconds


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
        s = self._stats
        sent = CounterMetricFamily("sitewatch_notifications", "Notification deliveries by channel and result "
                                   "(sent, retry, dead_letter, cancelled)", labels=["channel", "result"])
        for (channel, result), n in sorted(s.notifications.items()):
            sent.add_metric([channel, result], n)
        yield sent
        yield GaugeMetricFamily("sitewatch_outbox_depth", "Notifications waiting in the outbox", value=self._depth())
        yield from self._channel_families()
        yield CounterMetricFamily("sitewatch_dead_letters", "Notifications given up on (permanent failure or "
                                  "retries exhausted)", value=s.dead_letters)
        reached = CounterMetricFamily("sitewatch_escalation_level_reached", "Escalation levels paged, by level "
                                      "(1 = first)", labels=["level"])
        for level, n in sorted(s.levels_reached.items()):
            reached.add_metric([str(level)], n)
        yield reached
        unreachable = CounterMetricFamily("sitewatch_escalation_level_unreachable", "Escalation levels that "
                                          "resolved to nobody reachable and were passed over", labels=["level"])
        for level, n in sorted(s.levels_unreachable.items()):
            unreachable.add_metric([str(level)], n)
        yield unreachable
        cumulative, buckets = 0, []
        for bound, n in zip((*ACK_BUCKETS, float("inf")), s.ack_buckets, strict=True):
            cumulative += n
            buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
        yield HistogramMetricFamily("sitewatch_time_to_acknowledge_seconds", "From the first page to the "
                                    "acknowledgement of an escalation", buckets=buckets, sum_value=s.ack_sum)
        yield CounterMetricFamily("sitewatch_escalation_audit_overdue", "Escalation steps the auditor found "
                                  "overdue and ran", value=s.audit_overdue)
        yield CounterMetricFamily("sitewatch_route_unmatched", "Incidents no route matched (paged through the "
                                  "last route)", value=s.route_unmatched)

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
