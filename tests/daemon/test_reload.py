"""SIGHUP: a reload applies every section that can change at run time, names the ones that need
a restart, keeps the running configuration when the new one is invalid, and keeps open
incidents, escalations and the outbox. Routed incidents released by a reload are paged under
the configuration that released them.

The end-to-end tests run the daemon against the simulated fleet and real local receivers and
edit the configuration file on disk, as an operator does, then call ``reload()`` (what the
SIGHUP handler calls); one sends a real SIGHUP to a ``sitewatch run`` process."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from sitewatch.config.schema import Config
from sitewatch.messages.acklinks import AckSigner
from sitewatch.simulator import Fleet
from sitewatch.simulator.fleetconfig import fleet_config, write_fleet_config
from tests.agents import free_udp_port
from tests.daemon.conftest import (
    API_TOKEN,
    API_TOKENS,
    READ_TOKEN,
    Running,
    Samples,
    free_tcp_port,
    running_daemon,
    site,
    value,
    write_config,
)
from tests.notify.receivers import CaptureServer
from tests.traps.peers import encode_v2c_trap

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
        "api": {"tokens": API_TOKENS},
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


async def _wait_open(d: Running, site: str) -> None:
    deadline = time.monotonic() + 20
    while not await _open_incidents(d, site):
        assert time.monotonic() < deadline, f"no incident opened at {site}"
        await asyncio.sleep(0.2)


async def test_an_edit_that_ends_a_window_and_reroutes_pages_under_the_new_policy(tmp_path: Path) -> None:
    window = {"district": "Chư Sê", "start": _when(-1), "end": _when(1), "reason": "thay ắc quy",
              "author": "an"}
    async with CaptureServer() as sms:
        config = _district_config(tmp_path, sms, maintenance=[window])
        async with fleet_daemon(tmp_path, config) as (fleet, d, path):
            fleet.set_mains("BTS01", False)
            await _wait_open(d, "BTS01")

            def end_window_and_reroute(doc: Doc) -> None:
                doc["maintenance"] = []
                doc["routes"] = [{"match": {"district": ["Chư Sê"]}, "policy": "province", "group_wait": 0}]

            edit(path, end_window_and_reroute)
            assert d.daemon.reload()
            await until(lambda: sms.delivered("/sms"))
            assert _sms_to(sms, AN) == [], "the released incident went to the old route's policy"
            [page] = _sms_to(sms, BINH)
            assert "BTS01" in page


# -- each section that can change at run time ------------------------------------------------

async def _sites_listed(d: Running) -> set[str]:
    r = await d.http.get("/api/v1/sites")
    r.raise_for_status()
    return {s["id"] for s in r.json()["sites"]}


async def test_sites_added_and_removed(tmp_path: Path) -> None:
    path = write_config(tmp_path, [site("A", free_udp_port(), "a"), site("B", free_udp_port(), "b")])
    async with running_daemon(path) as d:
        assert await _sites_listed(d) == {"A", "B"}
        edit(path, lambda doc: doc.update(sites=[doc["sites"][0], site("C", free_udp_port(), "c")]))
        assert d.daemon.reload()
        assert await _sites_listed(d) == {"A", "C"}
        m = await d.wait_for(lambda m: value(m, "sitewatch_site_up", site="C") == 0)
        assert value(m, "sitewatch_site_info", site="B") is None, "a removed site leaves no series"


async def test_credentials(tmp_path: Path) -> None:
    async with CaptureServer() as sms, fleet_daemon(tmp_path, _district_config(tmp_path, sms)) as (_fleet, d, path):
        def wrong_credential(doc: Doc) -> None:
            for cred in doc["credentials"].values():
                cred["community"] = {"value": "not-the-community"}
            for s in doc["sites"]:
                for target in s["snmp"]:
                    target.pop("community", None)  # the credential's community applies

        edit(path, wrong_credential)
        assert d.daemon.reload()
        await d.wait_for(lambda m: value(m, "sitewatch_site_up", site="BTS01") == 0)


async def test_profiles(tmp_path: Path) -> None:
    """A file in ``profile_dirs`` with a shipped profile's name replaces it."""
    async with CaptureServer() as sms, fleet_daemon(tmp_path, _district_config(tmp_path, sms)) as (_fleet, d, path):
        m = await d.metrics()
        before = value(m, "sitewatch_uptime_seconds", site="BTS01")
        assert before is not None
        mine = tmp_path / "profiles"
        mine.mkdir()
        (mine / "system.yaml").write_text(
            "name: system\ndescription: uptime in milliseconds\nscalars:\n"
            "  - {oid: 1.3.6.1.2.1.1.3.0, reading: uptime_seconds, type: timeticks, scale: 1000}\n")
        edit(path, lambda doc: doc.update(profile_dirs=[str(mine)]))
        assert d.daemon.reload()
        await d.wait_for(lambda m: (value(m, "sitewatch_uptime_seconds", site="BTS01") or 0) > 100 * before)


async def test_thresholds(tmp_path: Path) -> None:
    async with CaptureServer() as sms:
        hour = {"mains_lost": 3600, "on_battery": 3600}
        config = _district_config(tmp_path, sms, thresholds={"default": {"hold": hour, "clear_hold": hour}})
        async with fleet_daemon(tmp_path, config) as (fleet, d, path):
            fleet.set_mains("BTS01", False)
            await d.wait_for(lambda m: value(m, "sitewatch_mains_ok", site="BTS01") == 0)
            edit(path, lambda doc: doc["thresholds"]["default"].update(hold={"mains_lost": 1, "on_battery": 1}))
            assert d.daemon.reload()
            # the hour-long hold would have kept it quiet; the reloaded one-second hold pages
            [page] = await until(lambda: _sms_to(sms, AN))
            assert "BTS01" in page


async def test_maintenance_window_added(tmp_path: Path) -> None:
    async with CaptureServer() as sms, fleet_daemon(tmp_path, _district_config(tmp_path, sms)) as (fleet, d, path):
        window = {"site": "BTS01", "start": _when(-1), "end": _when(1), "reason": "thay ắc quy",
                  "author": "an"}
        edit(path, lambda doc: doc.update(maintenance=[window]))
        assert d.daemon.reload()
        fleet.set_mains("BTS01", False)
        fleet.set_mains("BTS02", False)
        await _wait_open(d, "BTS01")  # recorded
        pages = await until(lambda: _sms_to(sms, AN))
        assert "BTS02" in pages[0], pages
        assert not any("BTS01" in p for p in pages), "the site in maintenance is recorded, not paged"


async def test_rosters(tmp_path: Path) -> None:
    async with CaptureServer() as sms:
        roster = {"name": "Trực Chư Sê", "layers": [{"name": "all", "members": ["an"], "shift": "7d",
                                                       "start": "2026-01-05"}]}
        config = _district_config(tmp_path, sms, rosters={"chu-se": roster}, policies={
            "district": {"levels": [{"notify": [{"roster": "chu-se"}], "wait": 600}]}},
            routes=[{"policy": "district", "group_wait": 0}])
        async with fleet_daemon(tmp_path, config) as (fleet, d, path):
            edit(path, lambda doc: doc["rosters"]["chu-se"]["layers"][0].update(members=["binh"]))
            assert d.daemon.reload()
            fleet.set_mains("BTS01", False)
            await until(lambda: sms.delivered("/sms"))
            assert _sms_to(sms, AN) == [] and "BTS01" in _sms_to(sms, BINH)[0]


async def test_policies(tmp_path: Path) -> None:
    async with CaptureServer() as sms, fleet_daemon(tmp_path, _district_config(tmp_path, sms)) as (fleet, d, path):
        edit(path, lambda doc: doc["policies"]["district"]["levels"][0].update(notify=[{"people": ["binh"]}]))
        assert d.daemon.reload()
        fleet.set_mains("BTS01", False)
        await until(lambda: sms.delivered("/sms"))
        assert _sms_to(sms, AN) == [] and "BTS01" in _sms_to(sms, BINH)[0]


async def test_routes(tmp_path: Path) -> None:
    async with CaptureServer() as sms, fleet_daemon(tmp_path, _district_config(tmp_path, sms)) as (fleet, d, path):
        edit(path, lambda doc: doc.update(routes=[{"policy": "province", "group_wait": 0}]))
        assert d.daemon.reload()
        fleet.set_mains("BTS01", False)
        await until(lambda: sms.delivered("/sms"))
        assert _sms_to(sms, AN) == [] and "BTS01" in _sms_to(sms, BINH)[0]


async def test_channels(tmp_path: Path) -> None:
    async with CaptureServer() as sms, fleet_daemon(tmp_path, _district_config(tmp_path, sms)) as (fleet, d, path):
        edit(path, lambda doc: doc["channels"]["sms"]["settings"].update(url=f"{sms.url}/gateway-2"))
        assert d.daemon.reload()
        fleet.set_mains("BTS01", False)
        [page] = await sms.wait_for(1, path="/gateway-2", within=20)
        assert page.json()["to"] == AN and sms.delivered("/sms") == []


async def test_ack_link_secret_and_lifetime(tmp_path: Path) -> None:
    path = write_config(tmp_path, [site("A", free_udp_port(), "a")], extra={
        "notifications": {"ack_links": {"secret": {"value": "the-first-ack-link-secret"}}}})
    async with running_daemon(path) as d:
        old = AckSigner(b"the-first-ack-link-secret", 3600).token(incident_ids=[1], person="an", now=time.time())
        assert (await d.http.get(f"/ack/{old}")).status_code == 200
        edit(path, lambda doc: doc["notifications"]["ack_links"].update(
            secret={"value": "a-rotated-ack-link-secret"}, ttl="10m"))
        assert d.daemon.reload()
        new = AckSigner(b"a-rotated-ack-link-secret", 3600).token(incident_ids=[1], person="an", now=time.time())
        assert (await d.http.get(f"/ack/{new}")).status_code == 200
        assert (await d.http.get(f"/ack/{old}")).status_code == 400, "a rotated secret retires the old links"
        assert d.daemon.escalation.composer.signer is d.daemon.signer, "new pages are signed with the new key"
        assert d.daemon.signer.ttl == 600


async def test_api_tokens(tmp_path: Path) -> None:
    path = write_config(tmp_path, [site("A", free_udp_port(), "a")])
    async with running_daemon(path) as d:
        async def ack_status(token: str) -> int:
            r = await d.http.post("/api/v1/incidents/999/ack", headers={"Authorization": f"Bearer {token}"})
            return r.status_code

        assert await ack_status(API_TOKEN) == 404
        edit(path, lambda doc: doc["api"].update(tokens={"noc-2": {"value": "a-new-noc-token"}}))
        assert d.daemon.reload()
        assert await ack_status(API_TOKEN) == 401, "a token removed from the file no longer works"
        assert await ack_status("a-new-noc-token") == 404


async def _trap(port: int, community: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(encode_v2c_trap(community, "1.3.6.1.2.1.33.2.1"), ("127.0.0.1", port))


def _traps(m: Samples, result: str) -> float:
    return value(m, "sitewatch_traps_total", result=result) or 0


async def test_traps_move_to_a_new_address_and_accept_new_communities(tmp_path: Path) -> None:
    path = write_config(tmp_path, [site("A", free_udp_port(), "a")])
    async with running_daemon(path) as d:
        old_port = int(d.daemon.config.traps.listen.rsplit(":", 1)[1])
        await _trap(old_port, b"extra")
        await d.wait_for(lambda m: _traps(m, "bad_community") == 1)
        new_port = free_udp_port()
        edit(path, lambda doc: doc.update(traps={"listen": f"127.0.0.1:{new_port}",
                                                 "communities": [{"value": "extra"}]}))
        assert d.daemon.reload()
        for _ in range(100):  # the new socket is bound by a task the reload started
            await _trap(new_port, b"extra")
            m = await d.metrics()
            if _traps(m, "accepted"):
                break
            await asyncio.sleep(0.05)
        assert _traps(m, "accepted") >= 1, "received on the new address, with the new community"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", old_port))  # the old address was let go


async def test_traps_disabled_then_enabled(tmp_path: Path) -> None:
    path = write_config(tmp_path, [site("A", free_udp_port(), "a")])
    async with running_daemon(path) as d:
        port = int(d.daemon.config.traps.listen.rsplit(":", 1)[1])
        edit(path, lambda doc: doc["traps"].update(enabled=False))
        assert d.daemon.reload()
        await until(lambda: d.daemon.traps is None)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", port))
        edit(path, lambda doc: doc["traps"].update(enabled=True))
        assert d.daemon.reload()
        receiver = await until(lambda: d.daemon.traps)
        assert receiver.address == ("127.0.0.1", port)


async def test_a_trap_address_that_cannot_be_bound_keeps_the_old_one(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    path = write_config(tmp_path, [site("A", free_udp_port(), "a")])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        async with running_daemon(path) as d:
            receiver = d.daemon.traps
            edit(path, lambda doc: doc["traps"].update(listen=f"127.0.0.1:{taken.getsockname()[1]}"))
            assert d.daemon.reload()
            await until(lambda: "still receiving on" in caplog.text)
            assert d.daemon.traps is receiver and receiver is not None and receiver.address is not None
            await _trap(receiver.address[1], b"nobody")
            await d.wait_for(lambda m: _traps(m, "bad_community") == 1)


async def test_heartbeat_added_and_moved(tmp_path: Path) -> None:
    path = write_config(tmp_path, [site("A", free_udp_port(), "a")])
    async with CaptureServer() as monitor, running_daemon(path) as d:
        edit(path, lambda doc: doc.update(notifications={"heartbeat": {"url": f"{monitor.url}/hb", "interval": 0.2}}))
        assert d.daemon.reload()
        await monitor.wait_for(2, path="/hb", within=10)
        edit(path, lambda doc: doc["notifications"]["heartbeat"].update(url=f"{monitor.url}/hb2", method="POST"))
        assert d.daemon.reload()
        [ping, *_] = await monitor.wait_for(1, path="/hb2", within=10)
        assert ping.method == "POST"


# -- what a reload keeps, and what it cannot change ----------------------------------------

async def test_open_incidents_escalations_and_outbox_survive_a_reload(tmp_path: Path) -> None:
    async with CaptureServer() as sms:
        config = _district_config(tmp_path, sms, policies={
            "district": {"levels": [{"notify": [{"people": ["an"]}], "wait": 3},
                                    {"notify": [{"people": ["binh"]}], "wait": 600}]},
            "province": {"levels": [{"notify": [{"people": ["binh"]}], "wait": 600}]}})
        async with fleet_daemon(tmp_path, config) as (fleet, d, path):
            sms.fail_with(503, path="/sms")  # the page waits in the outbox
            fleet.set_mains("BTS01", False)
            await until(lambda: d.daemon.escalation.outbox.depth())
            opened = {i["id"] for i in await _open_incidents(d, "BTS01")}
            edit(path, lambda doc: doc["sites"].append({**doc["sites"][1], "id": "BTS03"}))
            assert d.daemon.reload()
            assert {i["id"] for i in await _open_incidents(d, "BTS01")} >= opened
            sms.clear_failures()
            await until(lambda: _sms_to(sms, AN))  # the outbox entry was kept and is delivered
            await until(lambda: _sms_to(sms, BINH))  # the escalation goes on to its next level


async def test_restart_only_settings_are_named_and_kept(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write_config(tmp_path, [site("A", free_udp_port(), "a")])
    async with running_daemon(path) as d:
        listen = d.daemon.config.daemon.listen

        def move(doc: Doc) -> None:
            doc["daemon"].update(listen=f"127.0.0.1:{free_tcp_port()}", state_dir=str(tmp_path / "elsewhere"),
                                 poll_interval=5)
            doc["incidents"] = {"database": "other.db"}

        edit(path, move)
        assert d.daemon.reload()
        [line] = [r.getMessage() for r in caplog.records if "restart" in r.getMessage()]
        assert line == ("configuration reload: daemon.listen, daemon.state_dir, incidents.database changed; "
                        "the running values are kept until sitewatch is restarted")
        assert d.daemon.config.daemon.listen == listen and (await d.http.get("/healthz")).status_code == 200
        assert d.daemon.scheduler.interval == 5, "poll_interval applies at once"


async def test_an_invalid_config_keeps_the_running_one(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write_config(tmp_path, [site("A", free_udp_port(), "a")])
    async with running_daemon(path) as d:
        edit(path, lambda doc: doc["sites"].append(site("B", free_udp_port(), "b", kind="spaceship")))
        assert not d.daemon.reload()
        assert "keeping the running configuration" in caplog.text and "spaceship" in caplog.text
        assert await _sites_listed(d) == {"A"}


async def test_a_config_the_services_refuse_keeps_the_running_one(tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    path = write_config(tmp_path, [site("A", free_udp_port(), "a")])
    async with running_daemon(path) as d:
        signer = d.daemon.signer
        edit(path, lambda doc: doc.update(sites=[], notifications={"ack_links": {"secret": {"value": "short"}}}))
        assert not d.daemon.reload()
        assert "at least 16 bytes" in caplog.text
        assert await _sites_listed(d) == {"A"} and d.daemon.signer is signer


async def test_sighup_reloads_a_running_sitewatch(tmp_path: Path) -> None:
    path = write_config(tmp_path, [site("A", free_udp_port(), "a")])
    listen = f"127.0.0.1:{free_tcp_port()}"  # the command line's, not the file's: it stays
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "sitewatch", "run", "--config", str(path),
                                                "--listen", listen, stderr=asyncio.subprocess.PIPE)
    try:
        async with httpx.AsyncClient(base_url=f"http://{listen}", timeout=5,
                                     headers={"Authorization": f"Bearer {READ_TOKEN}"}) as http:
            async def listed() -> set[str]:
                for _ in range(200):
                    try:
                        r = await http.get("/api/v1/sites")
                        return {s["id"] for s in r.json()["sites"]}
                    except httpx.TransportError:
                        await asyncio.sleep(0.05)
                raise AssertionError("sitewatch did not start")

            assert await listed() == {"A"}
            edit(path, lambda doc: doc["sites"].append(site("B", free_udp_port(), "b")))
            proc.send_signal(signal.SIGHUP)
            async with asyncio.timeout(10):
                while True:
                    if await listed() == {"A", "B"}:
                        break
                    await asyncio.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 15)
    assert proc.returncode == 0, err.decode()
    assert "configuration reloaded: 2 sites" in err.decode()
    assert "restart" not in err.decode(), "a command-line setting is not a change the file makes"
