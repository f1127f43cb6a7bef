"""Acceptance of issue 5 through the whole daemon, with the simulated fleet and real local
receivers (an HTTP server standing in for the SMS gateway and the Telegram API; aiosmtpd for
email): a BTS loses mains → the district on-call gets an SMS and an email with a working ack
link; nobody acknowledges → after the wait the next level is paged; POSTing the link's confirm
acknowledges and stops escalation; mains restored → resolution messages. A 40-site blackout
gives one grouped page per recipient per window."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from sitewatch.config.schema import Config
from sitewatch.escalation.state import Status
from sitewatch.simulator import Fleet
from sitewatch.simulator.fleetconfig import fleet_config, write_fleet_config
from sitewatch.simulator.plan import FleetFile
from tests.agents import free_udp_port
from tests.daemon.conftest import API_TOKENS, Running, free_tcp_port, running_daemon
from tests.notify.receivers import CaptureServer, SmtpCapture

BACKUP = {"battery_capacity_ah": 100, "nominal_voltage": 48, "typical_load_watts": 1200}
LEVEL_WAIT = 4.0
LINK = re.compile(r"https?://127\.0\.0\.1:\d+/ack/[A-Za-z0-9_\-]+")


def _bts(i: int, district: str = "Chư Sê") -> dict[str, Any]:
    return {"id": f"BTS{i:02d}", "name": f"BTS Ia Blang {i}", "kind": "bts", "province": "Gia Lai",
            "district": district, "team": "ut-chu-se", "uplinks": ["eth0"], "backup": BACKUP,
            "latitude": 13.68 + i / 1000, "longitude": 108.08}


def _config(tmp: Path, sms: CaptureServer, smtp: SmtpCapture, sites: list[dict[str, Any]], listen: str,
            interval: float, group_wait: float, group_interval: float, holds: Mapping[str, float] | None = None,
            group_by: tuple[str, ...] = ("district",)) -> Config:
    """``holds``: hold and clear hold (seconds) of more conditions than mains_lost and on_battery."""
    hold = {"mains_lost": 1, "on_battery": 1, **(holds or {})}
    # snmpsim is pure Python (~300 requests/s): a big simulated fleet gets a longer interval
    return Config.model_validate({
        "daemon": {"poll_interval": interval, "snmp_timeout": min(2.0, interval / 2), "snmp_retries": 1,
                   "listen": listen,
                   "state_dir": str(tmp / "state")},
        "traps": {"listen": f"127.0.0.1:{free_udp_port()}"},
        "api": {"tokens": API_TOKENS},
        "thresholds": {"default": {"hold": hold, "clear_hold": hold}},
        "teams": {"ut-chu-se": {"name": "Tổ ứng cứu Chư Sê", "province": "Gia Lai", "district": "Chư Sê"}},
        "channels": {
            "sms": {"type": "sms_gateway", "settings": {"url": f"{sms.url}/sms", "method": "POST",
                                                        "body": {"to": "{to}", "text": "{text}"}}},
            "email": {"type": "email", "settings": {"host": "127.0.0.1", "port": smtp.port, "security": "none",
                                                    "from": "sitewatch@vienthong-gialai.example"}},
        },
        "people": {
            "an": {"name": "Nguyễn Văn An", "teams": ["ut-chu-se"],
                   "contacts": [{"channel": "sms", "address": "+84905110101"},
                                {"channel": "email", "address": "an@vienthong-gialai.example"}]},
            "binh": {"name": "Trần Thị Bình", "language": "en",
                     "contacts": [{"channel": "sms", "address": "+84905110202"},
                                  {"channel": "email", "address": "binh@vienthong-gialai.example"}]},
        },
        "rosters": {"chu-se": {"name": "Trực ứng cứu Chư Sê", "team": "ut-chu-se", "layers": [
            {"name": "all", "members": ["an"], "shift": "7d", "start": "2026-01-05"}]}},
        "policies": {"bts-power": {"levels": [{"notify": [{"roster": "chu-se"}], "wait": LEVEL_WAIT},
                                              {"notify": [{"people": ["binh"]}], "wait": 600}]}},
        "routes": [{"policy": "bts-power", "group_by": list(group_by), "group_wait": group_wait,
                    "group_interval": group_interval}],
        "notifications": {"ack_links": {"base_url": f"http://{listen}",
                                        "secret": {"value": "a-long-enough-ack-link-secret"}}},
        "sites": sites,
    })


@asynccontextmanager
async def paging_setup(tmp: Path, sites: list[dict[str, Any]], interval: float = 1.0, group_wait: float = 1.5,
                       group_interval: float = 6.0, *, holds: Mapping[str, float] | None = None,
                       group_by: tuple[str, ...] = ("district",), fleet_file: FleetFile | None = None,
                       ) -> AsyncIterator[tuple[Fleet, Running, CaptureServer, SmtpCapture]]:
    async with CaptureServer() as sms, SmtpCapture() as smtp:
        listen = f"127.0.0.1:{free_tcp_port()}"
        config = _config(tmp, sms, smtp, sites, listen, interval, group_wait, group_interval, holds, group_by)
        async with Fleet(config, workdir=tmp / "sim", fleet_file=fleet_file) as fleet:
            path = tmp / "fleet.yaml"
            write_fleet_config(path, fleet_config(config, list(fleet.sites.values()), fleet.ports(),
                                                  state_dir=tmp / "state"))
            async with running_daemon(path) as d:
                yield fleet, d, sms, smtp


def _sms_to(sms: CaptureServer, phone: str) -> list[str]:
    return [r.json()["text"] for r in sms.delivered("/sms") if r.json()["to"] == phone]


async def _until(check: Any, within: float = 20.0) -> None:
    async with asyncio.timeout(within):  # the receivers are polled: they run in this loop
        while True:
            if check():
                return
            await asyncio.sleep(0.1)


def _settled(d: Running, incident: int, status: Status) -> bool:
    """The incident's escalations are all in ``status`` and have nothing left to send."""
    engine = d.daemon.escalation
    found = engine.escalations_of(incident)
    return bool(found) and all(e.status is status and all(x.status != "pending" for x in engine.deliveries(e.key))
                               for e in found)


async def _open_incidents(d: Running, sites: set[str]) -> list[dict[str, Any]]:
    """Until every one of ``sites`` has its mains_lost incident open: those incidents."""
    async with asyncio.timeout(30):
        while True:
            r = await d.http.get("/api/v1/incidents", params={"state": "open", "condition": "mains_lost"})
            found = [i for i in r.json()["incidents"] if i["site"] in sites]
            if {i["site"] for i in found} == sites:
                return found
            await asyncio.sleep(0.2)


async def test_page_escalate_acknowledge_resolve(tmp_path: Path) -> None:
    async with paging_setup(tmp_path, [_bts(1), _bts(2)]) as (fleet, d, sms, smtp):
        await d.wait_for(lambda m: len(m.get("sitewatch_mains_ok", [])) == 2)
        fleet.set_mains("BTS01", False)
        # the district on-call: an SMS and an email, each with an ack link
        await _until(lambda: _sms_to(sms, "+84905110101") and smtp.messages)
        page = _sms_to(sms, "+84905110101")[0]
        assert "BTS01" in page and LINK.search(page), page
        mail = smtp.messages[0]
        assert mail.rcpt_tos == ("an@vienthong-gialai.example",)
        body = mail.message.get_body(preferencelist=("plain",))
        assert body is not None
        text = body.get_content()
        assert "BTS Ia Blang 1" in text and "Chư Sê" in text and LINK.search(text)
        assert _sms_to(sms, "+84905110202") == []  # the next level waits

        # nobody acknowledges → after the wait, the next level (in English for Bình)
        await _until(lambda: _sms_to(sms, "+84905110202"), within=LEVEL_WAIT + 10)
        assert "BTS01" in _sms_to(sms, "+84905110202")[0]

        # the link: a GET shows a confirm page and acknowledges nothing
        link = LINK.search(page)
        assert link is not None
        async with httpx.AsyncClient(timeout=5) as http:
            shown = await http.get(link.group(0))
            assert shown.status_code == 200 and "<form" in shown.text
            open_now = (await d.http.get("/api/v1/incidents", params={"site": "BTS01", "state": "open"})).json()
            assert open_now["incidents"], "a GET must not acknowledge"
            token = link.group(0).rsplit("/", 1)[1]
            confirmed = await http.post(link.group(0), data={"token": token})
            assert confirmed.status_code == 200
        acked = (await d.http.get("/api/v1/incidents", params={"site": "BTS01", "state": "acknowledged"})).json()
        assert {i["condition"] for i in acked["incidents"]} >= {"mains_lost"}
        pages_after_ack = len(sms.delivered("/sms")), len(smtp.messages)

        # escalation stopped: nothing more is paged while it stays acknowledged; what the
        # acknowledgement sent has gone out
        incident = next(i["id"] for i in acked["incidents"] if i["condition"] == "mains_lost")
        await _until(lambda: _settled(d, incident, Status.ACKNOWLEDGED))
        texts = [r.json()["text"].lower() for r in sms.delivered("/sms")[pages_after_ack[0]:]]
        # only "acknowledged by ..." notices to the others; no page, reminder or next level
        assert all(t.startswith(("[da tiep nhan]", "[acknowledged]")) for t in texts), texts

        # mains back → resolution messages to everyone who was paged
        before = len(sms.delivered("/sms"))
        fleet.set_mains("BTS01", True)
        await _until(lambda: {r.json()["to"] for r in sms.delivered("/sms")[before:]}
                     >= {"+84905110101", "+84905110202"}, within=20)
        m = await d.metrics()
        sent = {(lab["channel"], lab["result"]): v for lab, v in m["sitewatch_notifications_total"]}
        assert sent.get(("sms", "sent"), 0) >= 4 and sent.get(("email", "sent"), 0) >= 1


async def test_district_blackout_is_one_grouped_page_per_window(tmp_path: Path) -> None:
    sites = [_bts(i) for i in range(1, 41)]
    # a window long enough for every site's poll (4 s apart) and hold (1 s) to land in it; and an
    # interval long enough for two latecomers, polled up to 4 s apart, to land in one update
    async with paging_setup(tmp_path, sites, interval=4.0, group_wait=7.0, group_interval=15.0) as (
            fleet, d, sms, smtp):
        await d.wait_for(lambda m: len(m.get("sitewatch_mains_ok", [])) == 40, within=30)
        for s in sites[:38]:
            fleet.set_mains(s["id"], False)
        await _until(lambda: _sms_to(sms, "+84905110101"), within=20)
        # every site's incident is open, all in one escalation, and what it sent has gone out
        blackout = await _open_incidents(d, {s["id"] for s in sites[:38]})
        groups = {e.id for i in blackout for e in d.daemon.escalation.escalations_of(i["id"])}
        assert len(groups) == 1, groups  # one group for the 38 sites, not one escalation each
        (group,) = groups
        await _until(lambda: _settled(d, blackout[0]["id"], Status.ACTIVE))
        pages = _sms_to(sms, "+84905110101")
        assert len(pages) == 1, pages  # one grouped page, not 38 (or 76: mains lost and on battery)
        assert "38" in pages[0], pages[0]
        mails = [m for m in smtp.messages if m.rcpt_tos == ("an@vienthong-gialai.example",)]
        assert len(mails) == 1
        body = mails[0].message.get_body(preferencelist=("plain",))
        assert body is not None
        assert sum(f"BTS{i:02d}" in body.get_content() for i in range(1, 39)) == 38  # every site listed
        # two latecomers join the group: one update at the group interval, not one page each
        fleet.set_mains("BTS39", False)
        fleet.set_mains("BTS40", False)
        latecomers = await _open_incidents(d, {"BTS39", "BTS40"})
        assert {e.id for i in latecomers for e in d.daemon.escalation.escalations_of(i["id"])} == {group}
        await _until(lambda: len(_sms_to(sms, "+84905110101")) > 1, within=30)
        await _until(lambda: _settled(d, blackout[0]["id"], Status.ACTIVE))
        later = _sms_to(sms, "+84905110101")[1:]
        assert len(later) == 1, later
        assert "BTS39" in later[0] and "BTS40" in later[0], later[0]
