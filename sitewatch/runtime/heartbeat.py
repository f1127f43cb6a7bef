"""Dead man's switch: sitewatch pings a configured URL every interval while it runs, so an
external monitor pages someone when sitewatch itself goes quiet."""

from __future__ import annotations

import logging

import httpx

from sitewatch.config.oncall_schema import Heartbeat as HeartbeatConfig

__all__ = ["Heartbeat"]

log = logging.getLogger(__name__)


class Heartbeat:
    def __init__(self, config: HeartbeatConfig) -> None:
        self.url = config.url
        self.method = config.method
        self.interval = config.interval
        self._http = httpx.AsyncClient(timeout=min(10.0, config.interval))
        self._failing = False
        self.sent = 0
        self.failed = 0

    async def ping(self) -> bool:
        """One ping; failures are logged once per outage, never raised."""
        try:
            r = await self._http.request(self.method, self.url)
            ok = r.status_code < 400
            reason = f"HTTP {r.status_code}"
        except httpx.HTTPError as e:
            ok, reason = False, type(e).__name__
        if ok:
            self.sent += 1
            if self._failing:
                log.info("heartbeat to the dead man's switch works again")
            self._failing = False
        else:
            self.failed += 1
            if not self._failing:
                log.warning("heartbeat to the dead man's switch failed: %s", reason)
            self._failing = True
        return ok

    async def close(self) -> None:
        await self._http.aclose()
