"""Is a channel (an SMS gateway, an SMTP relay, a chat API) working right now?

    up ──DOWN_AFTER retryable failures in a row──▶ down (one WARNING) ──a probe succeeds──▶ up (one INFO)

While a channel is down the outbox worker does not try every waiting message against it, each on
its own backoff: it sends **one** real message as a probe (the oldest waiting), at intervals
growing with the failures in a row from ``PROBE_BASE`` up to ``PROBE_CAP`` (never sooner than a
``Retry-After``), and leaves the rest
waiting. On the first success the channel is up and everything waiting for it is due at once,
oldest first, within the channel's rate limit. A permanent failure (the receiver refused this
one message: a bad number) says nothing about the channel and does not count.

Pure bookkeeping with time passed in; the worker logs and acts on the transitions it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["DOWN_AFTER", "PROBE_BASE", "PROBE_CAP", "ChannelHealth", "ChannelState"]

#: retryable failures in a row, with no success between, that make a channel down
DOWN_AFTER = 3
#: first probe of a down channel after about this long; doubles up to ``PROBE_CAP``
PROBE_BASE = 5.0
PROBE_CAP = 10.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelState:
    """One channel's health as last seen."""

    channel: str
    up: bool = True
    #: retryable failures in a row since the last success
    failures: int = 0
    #: when it went down (None while up)
    down_since: float | None = None
    last_success: float | None = None
    last_error: str = ""
    #: probes sent since it went down
    probes: int = 0
    #: when the next probe may go (while down)
    next_probe_at: float = 0.0


class ChannelHealth:
    """The health of every channel the worker sends on; an unseen channel counts as up."""

    def __init__(self, *, down_after: int = DOWN_AFTER, probe_base: float = PROBE_BASE,
                 probe_cap: float = PROBE_CAP) -> None:
        self.down_after = down_after
        self.probe_base = probe_base
        self.probe_cap = probe_cap
        self._states: dict[str, ChannelState] = {}

    def state(self, channel: str) -> ChannelState:
        return self._states.get(channel) or ChannelState(channel=channel)

    def states(self, channels: frozenset[str] | set[str] = frozenset()) -> list[ChannelState]:
        """Every channel seen, plus ``channels`` (configured ones not used yet), by name."""
        return [self.state(c) for c in sorted(set(self._states) | set(channels))]

    def forget(self, keep: frozenset[str] | set[str]) -> None:
        """Drop channels no longer configured."""
        self._states = {c: s for c, s in self._states.items() if c in keep}

    def may_send(self, channel: str, now: float) -> bool:
        """Up, or down with a probe due."""
        s = self.state(channel)
        return s.up or now >= s.next_probe_at

    def probe_at(self, channel: str) -> float | None:
        """When a down channel may be probed next (None while up)."""
        s = self.state(channel)
        return None if s.up else s.next_probe_at

    def succeeded(self, channel: str, now: float) -> ChannelState | None:
        """A message went through; returns the state it left when that ends an outage."""
        before = self.state(channel)
        self._states[channel] = ChannelState(channel=channel, last_success=now)
        return before if not before.up else None

    def failed(self, channel: str, now: float, error: str, retry_after: float | None = None) -> bool:
        """A retryable failure; True when it makes the channel go down now."""
        s = self.state(channel)
        failures = s.failures + 1
        if s.up and failures < self.down_after:
            self._states[channel] = replace(s, failures=failures, last_error=error)
            return False
        probes = 0 if s.up else s.probes + 1
        # the pause grows with the failures in a row, as one message's backoff would, up to the cap
        wait = max(min(self.probe_cap, self.probe_base * 2.0 ** (failures - 1)), retry_after or 0.0)
        self._states[channel] = replace(s, up=False, failures=failures, last_error=error, probes=probes,
                                        down_since=now if s.up else s.down_since, next_probe_at=now + wait)
        return s.up
