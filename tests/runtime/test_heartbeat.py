"""The dead man's switch ping: sent to the configured URL; failures logged once per outage."""

from __future__ import annotations

import logging

import pytest

from sitewatch.config.oncall_schema import Heartbeat as HeartbeatConfig
from sitewatch.runtime.heartbeat import Heartbeat
from tests.notify.receivers import CaptureServer, closed_port


async def test_pings_and_logs_an_outage_once(caplog: pytest.LogCaptureFixture) -> None:
    async with CaptureServer() as switch:
        hb = Heartbeat(HeartbeatConfig(url=f"{switch.url}/ping/sitewatch-gialai", interval=30, method="POST"))
        try:
            assert await hb.ping()
            assert [r.path for r in switch.delivered()] == ["/ping/sitewatch-gialai"]
            assert switch.requests[0].method == "POST"
            switch.fail_with(503, count=3)
            with caplog.at_level(logging.WARNING, logger="sitewatch.runtime.heartbeat"):
                assert not await hb.ping()
                assert not await hb.ping()
                assert not await hb.ping()
                assert await hb.ping()
            failures = [r for r in caplog.records if "failed" in r.getMessage()]
            assert len(failures) == 1 and "HTTP 503" in failures[0].getMessage()
            assert hb.sent == 2 and hb.failed == 3
        finally:
            await hb.close()


async def test_unreachable_switch_is_not_an_exception() -> None:
    hb = Heartbeat(HeartbeatConfig(url=f"http://127.0.0.1:{closed_port()}/ping", interval=1))
    try:
        assert await hb.ping() is False
    finally:
        await hb.close()
