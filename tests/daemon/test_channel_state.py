"""Issue 18 item 2 through the whole daemon: a channel down is loud and visible, and its page
goes out as soon as it answers again. The SMS gateway (a real HTTP receiver) fails while a BTS
loses mains; ``/metrics`` and ``/readyz`` show the channel down, then up, and the page arrives."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.daemon.conftest import value
from tests.daemon.test_paging_e2e import _bts, _sms_to, _until, paging_setup


async def test_sms_gateway_down_then_up_through_the_daemon(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="sitewatch.escalation.worker")
    async with paging_setup(tmp_path, [_bts(1)]) as (fleet, d, sms, _smtp):
        await d.wait_for(lambda m: len(m.get("sitewatch_mains_ok", [])) == 1)
        assert value(await d.metrics(), "sitewatch_channel_up", channel="sms") == 1.0
        sms.fail_with(500, path="/sms")
        fleet.set_mains("BTS01", False)

        await d.wait_for(lambda m: value(m, "sitewatch_channel_up", channel="sms") == 0.0, within=30)
        ready = await d.http.get("/readyz")
        assert ready.status_code == 200, "a provider's outage does not make sitewatch unready"
        assert "[-] channel sms (informational): down for" in ready.text
        assert "[+] channel email (informational): up" in ready.text
        assert _sms_to(sms, "+84905110101") == []

        sms.clear_failures()
        await _until(lambda: _sms_to(sms, "+84905110101"), within=30)
        await d.wait_for(lambda m: value(m, "sitewatch_channel_up", channel="sms") == 1.0, within=10)
        assert "[+] channel sms (informational): up" in (await d.http.get("/readyz")).text
        last_ok = value(await d.metrics(), "sitewatch_channel_last_success_timestamp_seconds", channel="sms")
        assert last_ok is not None and last_ok > 0

    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert len([m for lvl, m in messages if lvl == logging.WARNING and "channel sms is down" in m]) == 1, messages
    assert len([m for lvl, m in messages if lvl == logging.INFO and "channel sms is up again" in m]) == 1, messages
