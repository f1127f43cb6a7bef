"""Acceptance of issue 2: the simulated fleet → daemon → /metrics; failing a site's mains in the
simulator shows up as mains_ok 0 / on_battery 1 within one poll interval."""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml

from sitewatch.config.loader import load_config
from sitewatch.config.schema import Config
from sitewatch.simulator import Fleet
from sitewatch.simulator.fleetconfig import fleet_config, write_fleet_config
from tests.agents import free_udp_port
from tests.daemon.conftest import free_tcp_port, running_daemon, value

SITES = [
    {"id": "GL-TS-PLK", "name": "Trạm viễn thông Pleiku", "kind": "telecom_station", "level": "provincial",
     "province": "Gia Lai", "district": "Pleiku", "uplinks": ["xe-0/0/0"],
     "backup": {"battery_capacity_ah": 600, "nominal_voltage": 48, "typical_load_watts": 3000}},
    {"id": "GL-BTS-001", "name": "BTS Hoa Lư", "kind": "bts", "province": "Gia Lai", "district": "Pleiku",
     "parent": "GL-TS-PLK", "uplinks": ["eth0"],
     "backup": {"battery_capacity_ah": 150, "nominal_voltage": 48, "typical_load_watts": 1200}},
    {"id": "GL-BC-001", "name": "Bưu cục Pleiku", "kind": "post_office", "province": "Gia Lai",
     "district": "Pleiku", "backup": {"battery_capacity_ah": 9, "nominal_voltage": 24, "typical_load_watts": 300}},
]


async def test_mains_failure_in_the_simulator_reaches_metrics_within_one_interval(tmp_path: Path) -> None:
    config = Config.model_validate({"daemon": {"poll_interval": 2, "snmp_timeout": 0.5, "snmp_retries": 1,
                                               "listen": f"127.0.0.1:{free_tcp_port()}",
                                               "state_dir": str(tmp_path / "state")},
                                    "traps": {"listen": f"127.0.0.1:{free_udp_port()}"},
                                    "sites": SITES})
    async with Fleet(config, workdir=tmp_path / "sim") as fleet:
        path = tmp_path / "fleet.yaml"
        write_fleet_config(path, fleet_config(config, list(fleet.sites.values()), fleet.ports(),
                                              state_dir=tmp_path / "state"))
        assert load_config(path).site("GL-BTS-001").snmp[0].host == "127.0.0.1"
        async with running_daemon(path) as d:
            ids = [s["id"] for s in SITES]
            m = await d.wait_for(lambda m: all(value(m, "sitewatch_mains_ok", site=i) == 1 for i in ids))
            for i in ids:
                assert value(m, "sitewatch_on_battery", site=i) == 0
                assert value(m, "sitewatch_site_up", site=i) == 1
                assert (value(m, "sitewatch_battery_voltage_volts", site=i) or 0) > 0
            assert value(m, "sitewatch_link_up", site="GL-BTS-001", interface="eth0") == 1

            fleet.set_mains("GL-BTS-001", False)
            fleet.set_mains("GL-BC-001", False)
            t0 = asyncio.get_running_loop().time()
            m = await d.wait_for(lambda m: value(m, "sitewatch_mains_ok", site="GL-BTS-001") == 0
                                 and value(m, "sitewatch_mains_ok", site="GL-BC-001") == 0, within=10)
            assert asyncio.get_running_loop().time() - t0 <= 2 * 2 + 1  # within about one interval
            assert value(m, "sitewatch_on_battery", site="GL-BTS-001") == 1
            assert value(m, "sitewatch_on_battery", site="GL-BC-001") == 1
            assert value(m, "sitewatch_mains_ok", site="GL-TS-PLK") == 1  # the others are untouched
            assert value(m, "sitewatch_input_voltage_volts", site="GL-BTS-001", phase="1") == 0

            fleet.set_link("GL-BTS-001", "eth0", False)
            await d.wait_for(lambda m: value(m, "sitewatch_link_up", site="GL-BTS-001", interface="eth0") == 0,
                             within=10)
            fleet.set_agent("GL-TS-PLK", False)
            await d.wait_for(lambda m: value(m, "sitewatch_site_up", site="GL-TS-PLK") == 0, within=10)

            fleet.set_mains("GL-BTS-001", True)
            m = await d.wait_for(lambda m: value(m, "sitewatch_mains_ok", site="GL-BTS-001") == 1, within=10)
            assert value(m, "sitewatch_on_battery", site="GL-BTS-001") == 0
    # the written configuration is plain YAML an operator can read
    assert "GL-BTS-001" in yaml.safe_load(path.read_text())["sites"][1]["id"]
