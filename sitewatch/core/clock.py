"""Time, injected. Nothing deep in the logic calls ``time.time()``; it asks a ``Clock``."""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    def time(self) -> float:
        """Wall-clock unix time, seconds."""
        ...

    def monotonic(self) -> float:
        """A monotonic clock for durations and scheduling, seconds."""
        ...


class SystemClock:
    """The real clock."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()
