"""SIGHUP: a reload applies every section that can change at run time, names the ones that need
a restart, keeps the running configuration when the new one is invalid, and keeps open
incidents, escalations and the outbox. Routed incidents released by a reload are paged under
the configuration that released them.

The end-to-end tests run the daemon against the simulated fleet and real local receivers and
edit the configuration file on disk, as an operator does, then call ``reload()`` (what the
SIGHUP handler calls); one sends a real SIGHUP to a ``sitewatch run`` process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from sitewatch.config.schema import Config
from sitewatch.simulator import Fleet
from sitewatch.simulator.fleetconfig import fleet_config, write_fleet_config
from tests.agents import free_udp_port
from tests.daemon.conftest import API_TOKEN, Running, free_tcp_port, running_daemon
from tests.notify.receivers import CaptureServer

AN, BINH = "+84905110101", "+84905110202"
Doc = dict[str, Any]


def _when(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def _district_config(tmp: Path, sms: CaptureServer, **sections: Any) -> Config:
    """Two BTS in Chư Sê; an is the district's on-call, binh the province duty officer."""
    listen = f"127.0.0.1:{free_tcp_port()}"
    doc: Doc = {
        "daemon": {"poll_interval": 1.0, "snmp_timeout": 0.5, "snmp_retries": 0, "listen": listen,
                   "state_dir": str(tmp / "state")},
        "traps": {"listen": f"127.0.0.1:{free_udp_port()}"},
        "api": {"tokens": {"noc": {"value": API_TOKEN}}},
        "thresholds": {"default": {"hold": {"mains_lost": 1, "on_battery": 1},
                                   "clear_hold": {"mains_lost": 1, "on_battery": 1}}},
        "channels": {"sms": {"type": "sms_gateway", "settings": {"url": f"{sms.url}/sms",
                                                                 "body": {"to": "{to}", "text": "{text}"}}}},
        "people": {"an": {"name": "Nguyễn Văn An", "contacts": [{"channel": "sms", "address": AN}]},
                   "binh": {"name": "Trần Thị Bình", "language": "en",
                            "contacts": [{"channel": "sms", "address": BINH}]}},
        "policies": {"district": {"levels": [{"notify": [{"people": ["an"]}], "wait": 600}]},
                     "province": {"levels": [{"notify": [{"people": ["binh"]}], "wait": 600}]}},
        "routes": [{"match": {"district": ["Chư Sê"]}, "policy": "district", "group_wait": 0}],
        "notifications": {"ack_links": {"base_url": f"http://{listen}",
                                        "secret": {"value": "a-long-enough-ack-link-secret"}}},
        "sites": [{"id": f"BTS{i:02d}", "name": f"BTS Ia Blang {i}", "kind": "bts", "province": "Gia Lai",
                   "district": "Chư Sê"} for i in (1, 2)],
    }
    doc.update(sections)
    return Config.model_validate(doc)


@asynccontextmanager
async def fleet_daemon(tmp: Path, config: Config) -> AsyncIterator[tuple[Fleet, Running, Path]]:
    async with Fleet(config, workdir=tmp / "sim") as fleet:
        path = tmp / "sitewatch.yaml"
        write_fleet_config(path, fleet_config(config, list(fleet.sites.values()), fleet.ports(),
                                              state_dir=tmp / "state"))
        async with running_daemon(path) as d:
            await d.wait_for(lambda m: len(m.get("sitewatch_mains_ok", [])) == len(config.sites))
            yield fleet, d, path


def edit(path: Path, change: Callable[[Doc], None]) -> None:
    """Edit the configuration file as an operator would (then SIGHUP)."""
    doc = yaml.safe_load(path.read_text())
    change(doc)
    write_fleet_config(path, doc)


def _sms_to(sms: CaptureServer, phone: str) -> list[str]:
    return [r.json()["text"] for r in sms.delivered("/sms") if r.json()["to"] == phone]


async def until(check: Callable[[], Any], within: float = 20.0) -> Any:
    async with asyncio.timeout(within):  # the receivers are polled: they run in this loop
        while True:
            if result := check():
                return result
            await asyncio.sleep(0.1)


async def _open_incidents(d: Running, site: str) -> list[dict[str, Any]]:
    r = await d.http.get("/api/v1/incidents", params={"site": site, "state": "open"})
    r.raise_for_status()
    return list(r.json()["incidents"])


async def test_an_edit_that_ends_a_window_and_reroutes_pages_under_the_new_policy(tmp_path: Path) -> None:
    window = {"district": "Chư Sê", "start": _when(-1), "end": _when(1), "reason": "thay ắc quy",
              "author": "an"}
    async with CaptureServer() as sms:
        config = _district_config(tmp_path, sms, maintenance=[window])
        async with fleet_daemon(tmp_path, config) as (fleet, d, path):
            fleet.set_mains("BTS01", False)
            deadline = time.monotonic() + 20
            while not await _open_incidents(d, "BTS01"):
                assert time.monotonic() < deadline, "no incident opened"
                await asyncio.sleep(0.2)

            def end_window_and_reroute(doc: Doc) -> None:
                doc["maintenance"] = []
                doc["routes"] = [{"match": {"district": ["Chư Sê"]}, "policy": "province", "group_wait": 0}]

            edit(path, end_window_and_reroute)
            assert d.daemon.reload()
            await until(lambda: sms.delivered("/sms"))
            assert _sms_to(sms, AN) == [], "the released incident went to the old route's policy"
            [page] = _sms_to(sms, BINH)
            assert "BTS01" in page
