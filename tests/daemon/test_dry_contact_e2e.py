"""Acceptance (issue 17): a site watched only by a dry-contact controller loses mains — the
contact changes — and ``mains_lost`` opens and pages. The real SNR-ERD-4 recording is served by
the simulator (snmpsim); its "Input-Power" input is the site's mains relay, as the site's
``inputs:`` say. The daemon polls it over SNMP and pages the on-call by SMS."""

from __future__ import annotations

from pathlib import Path

from sitewatch.simulator import Fleet
from sitewatch.simulator.fleetconfig import fleet_config, write_fleet_config
from sitewatch.simulator.plan import FleetFile, SiteChoice
from tests.agents import FIXTURES
from tests.daemon.conftest import free_tcp_port, running_daemon
from tests.daemon.test_paging_e2e import _bts, _config, _sms_to, _until
from tests.notify.receivers import CaptureServer, SmtpCapture


async def test_dry_contact_mains_lost_pages(tmp_path: Path) -> None:
    site = _bts(42) | {"id": "GL-BTS-0042", "name": "Trạm BTS Ia Grai", "uplinks": []}
    async with CaptureServer() as sms, SmtpCapture() as smtp:
        listen = f"127.0.0.1:{free_tcp_port()}"
        config = _config(tmp_path, sms, smtp, [site], listen, 1.0, 1.0, 6.0)
        fleet_file = FleetFile(sites={"GL-BTS-0042": SiteChoice(recording=FIXTURES / "snr-erd.snmprec",
                                                                   profiles=("snr-erd",))})
        async with Fleet(config, workdir=tmp_path / "sim", fleet_file=fleet_file) as fleet:
            data = fleet_config(config, list(fleet.sites.values()), fleet.ports(), state_dir=tmp_path / "state")
            data["sites"][0]["snmp"][0]["inputs"] = {2: {"means": "mains", "alarm_when": "open"}, 3: "door"}
            path = tmp_path / "fleet.yaml"
            write_fleet_config(path, data)
            async with running_daemon(path) as d:
                await d.wait_for(lambda m: [v for _, v in m.get("sitewatch_mains_ok", [])] == [1.0])
                m = await d.metrics()  # the wired contact makes the site's power visible
                assert [v for _, v in m["sitewatch_site_power_visibility"]] == [1.0]
                assert _sms_to(sms, "+84905110101") == []
                fleet.set_mains("GL-BTS-0042", False)  # the relay drops: DI2 reads high (open)
                await d.wait_for(lambda m: [v for _, v in m.get("sitewatch_mains_ok", [])] == [0.0])
                await _until(lambda: _sms_to(sms, "+84905110101"))
                page = _sms_to(sms, "+84905110101")[0]
                assert "GL-BTS-0042" in page, page
                r = await d.http.get("/api/v1/incidents", params={"site": "GL-BTS-0042", "state": "open"})
                assert {i["condition"] for i in r.json()["incidents"]} == {"mains_lost"}
