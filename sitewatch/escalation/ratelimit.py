"""Pacing around a notifier: a per-channel token bucket and the retry backoff. Pure (time is passed in).

- ``TokenBucket``: ``rate`` messages per second with a burst of ``max(1, rate)``: an SMS gateway
  that allows 5/s gets at most 5 at once, then one every 200 ms.
- ``retry_delay``: exponential backoff with "equal jitter" (half fixed, half random, so retries
  from many deliveries spread out but none comes back too soon), never sooner than the
  receiver's ``Retry-After``.
"""

from __future__ import annotations

import random

__all__ = ["TokenBucket", "retry_delay"]

#: first retry after about this long; doubles each attempt up to ``RETRY_CAP``
RETRY_BASE = 5.0
RETRY_CAP = 300.0


class TokenBucket:
    def __init__(self, rate: float, now: float, burst: float | None = None) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate)
        self._tokens = self.capacity
        self._at = now

    def take(self, now: float) -> float:
        """Take a token if one is there (returns 0.0); else how many seconds until one is."""
        self._tokens = min(self.capacity, self._tokens + max(0.0, now - self._at) * self.rate)
        self._at = max(self._at, now)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate


def retry_delay(attempt: int, retry_after: float | None, rng: random.Random, *, base: float = RETRY_BASE,
                cap: float = RETRY_CAP) -> float:
    """Seconds to wait before retry number ``attempt`` (1 = the first retry)."""
    backoff = min(cap, base * 2.0 ** (attempt - 1))
    delay = backoff / 2 + rng.uniform(0, backoff / 2)
    return max(delay, retry_after or 0.0)
