"""End to end: real SNMP agents on 127.0.0.1 → the daemon → /metrics and the site API."""

from __future__ import annotations

from pathlib import Path

from tests.agents import FIXTURES, SnmpsimAgent, free_udp_port
from tests.daemon.conftest import running_daemon, site, value, write_config


async def test_recordings_reach_metrics_and_a_dead_site_delays_nobody(tmp_path: Path) -> None:
    recordings = ["deltaups", "eltek-webpower", "siklu", "algcom-dc-ups"]
    with SnmpsimAgent(files=[FIXTURES / f"{r}.snmprec" for r in recordings]) as agent:
        dead_port = free_udp_port()  # nothing answers here
        sites = [site(f"S-{r}", agent.port, r) for r in recordings]
        sites.append(site("S-dead", dead_port, "public", profiles=["ups-mib", "if-mib"]))
        path = write_config(tmp_path, sites, poll_interval=2, snmp_timeout=1.5, snmp_retries=1)
        async with running_daemon(path) as d:
            m = await d.wait_for(lambda m: all(
                value(m, "sitewatch_site_up", site=s["id"]) is not None for s in sites))
            # the recordings' values, in base units, labelled by site
            assert value(m, "sitewatch_battery_voltage_volts", site="S-deltaups") == 41.2
            assert value(m, "sitewatch_battery_charge_ratio", site="S-deltaups") == 1.0
            assert value(m, "sitewatch_battery_runtime_seconds", site="S-deltaups") == 22 * 60
            assert value(m, "sitewatch_battery_current_amperes", site="S-deltaups") is None  # NULL: unknown
            assert value(m, "sitewatch_mains_ok", site="S-deltaups") == 1
            assert value(m, "sitewatch_on_battery", site="S-deltaups") == 0
            assert value(m, "sitewatch_input_voltage_volts", site="S-deltaups", phase="1") == 121
            assert value(m, "sitewatch_battery_voltage_volts", site="S-eltek-webpower") == 53.23
            assert value(m, "sitewatch_input_voltage_volts", site="S-eltek-webpower", phase="3") == 236
            assert value(m, "sitewatch_link_up", site="S-siklu", interface="Eth2") == 0
            assert value(m, "sitewatch_link_up", site="S-siklu", interface="Eth0") == 1
            assert value(m, "sitewatch_mains_ok", site="S-algcom-dc-ups") == 1
            # the dead site is down with its reason, the others are up
            assert value(m, "sitewatch_site_up", site="S-dead") == 0
            assert value(m, "sitewatch_site_poll_error", site="S-dead", reason="timeout") == 1
            assert value(m, "sitewatch_mains_ok", site="S-dead") is None
            for r in recordings:
                assert value(m, "sitewatch_site_up", site=f"S-{r}") == 1
            # a dead site delays nobody: over ~3 intervals every live site keeps its 2 s cadence
            first = {r: value(m, "sitewatch_site_last_poll_success_timestamp_seconds", site=f"S-{r}")
                     for r in recordings}
            m2 = await d.wait_for(lambda m: all(
                (value(m, "sitewatch_site_last_poll_success_timestamp_seconds", site=f"S-{r}") or 0)
                >= (first[r] or 0) + 4 for r in recordings), within=8)
            assert value(m2, "sitewatch_site_up", site="S-dead") == 0
            # the site API shows the same, with the raw source of each reading
            body = (await d.http.get("/api/v1/sites/S-deltaups")).json()
            volts = [r for r in body["readings"] if r["name"] == "battery_voltage_volts"]
            assert volts == [{"name": "battery_voltage_volts", "value": 41.2,
                              "source": "1.3.6.1.2.1.33.1.2.5.0=412"}]
            dead = (await d.http.get("/api/v1/sites/S-dead")).json()
            assert dead["up"] is False and dead["last_error"] == "timeout"
            assert (await d.http.get("/api/v1/sites/nope")).status_code == 404
            assert (await d.http.get("/readyz")).status_code == 200
