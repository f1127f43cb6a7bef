"""A small simulated fleet for the simulator tests, and net-snmp's snmpget/snmpwalk to read it.

Sites: two BTS served as generated Eltek DC plants (one with a generator), a NOC building (three
phases) and a post office (one) as generated UPSs, a fixed station as a generated router, and three sites served
from real recordings (``deltaups``, ``eltek-webpower``, ``algcom-dc-ups``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sitewatch.cli import build_parser
from sitewatch.config.loader import load_config
from sitewatch.config.schema import Config
from sitewatch.simulator import Fleet, load_fleet_file
from sitewatch.simulator.control import ControlServer
from tests.agents import FIXTURES

CONFIG = """\
daemon: {poll_interval: 30s, state_dir: /var/lib/sitewatch/test}
credentials:
  lab: {version: 2c, community: {value: public}}
utilities:
  pc-gialai: {name: Công ty Điện lực Gia Lai, kind: power, province: Gia Lai}
sites:
  - id: BTS-A
    name: Trạm BTS Ia Kha
    kind: bts
    province: Gia Lai
    district: Ia Grai
    uplinks: [ge-0/0/1, ge-0/0/2]
    snmp: [{host: 10.60.9.10, credential: lab}]
    power: {utility: pc-gialai, customer_id: PC13IG0001}
    backup: {battery_capacity_ah: 100, nominal_voltage: 48, typical_load_watts: 960, generator: true}
  - id: BTS-B
    name: Trạm BTS Ia Sao
    kind: bts
    province: Gia Lai
    snmp: [{host: 10.60.9.11, credential: lab}]
  - id: NOC-1
    name: Tòa nhà điều hành mạng Pleiku
    kind: noc_building
    province: Gia Lai
    criticality: critical
    snmp: [{host: 10.60.0.5, credential: lab}]
    backup: {battery_capacity_ah: 50, nominal_voltage: 48, typical_load_watts: 1200}
  - id: PO-1
    name: Bưu cục Pleiku
    kind: post_office
    province: Gia Lai
    snmp: [{host: 10.60.0.6, credential: lab}]
  - id: RTR-1
    name: Trạm viễn thông cố định Hoa Lư
    kind: fixed_station
    province: Gia Lai
    uplinks: [TenGigE0/0/0/0]
    snmp: [{host: 10.60.0.7, credential: lab}]
  - id: REC-UPS
    name: Bưu cục Chư Sê
    kind: post_office
    province: Gia Lai
    snmp: [{host: 10.60.0.8, credential: lab}]
  - id: REC-ELTEK
    name: Trạm BTS Chư Prông
    kind: bts
    province: Gia Lai
    snmp: [{host: 10.60.0.9, credential: lab}]
  - id: REC-ALGCOM
    name: Trạm BTS Đức Cơ
    kind: bts
    province: Gia Lai
    snmp: [{host: 10.60.0.10, credential: lab}]
"""

FLEET = f"""\
sites:
  RTR-1: {{generated: router}}
  NOC-1: {{generated: ups, phases: 3}}
  REC-UPS: {{recording: {FIXTURES / "deltaups.snmprec"}}}
  REC-ELTEK: {{recording: {FIXTURES / "eltek-webpower.snmprec"}}}
  REC-ALGCOM: {{recording: {FIXTURES / "algcom-dc-ups.snmprec"}, profiles: [algcom-dc-ups]}}
"""


@pytest.fixture
def config_files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "sitewatch.yaml").write_text(CONFIG)
    (tmp_path / "fleet.yaml").write_text(FLEET)
    return tmp_path / "sitewatch.yaml", tmp_path / "fleet.yaml"


@pytest.fixture
def config(config_files: tuple[Path, Path]) -> Config:
    return load_config(config_files[0])


@pytest.fixture
async def fleet(config: Config, config_files: tuple[Path, Path], tmp_path: Path) -> AsyncIterator[Fleet]:
    # no background ticks: simulated time moves only with fleet.advance(), so values are exact
    f = Fleet(config, workdir=tmp_path / "sim", fleet_file=load_fleet_file(config_files[1]), tick_seconds=3600)
    await f.start()
    try:
        yield f
    finally:
        await f.stop()


class NoAnswer(Exception):
    """The agent did not answer within the timeout."""


async def _net_snmp(tool: str, fleet: Fleet, site: str, *oids: str, within: float) -> dict[str, str]:
    host, port = fleet.endpoint(site)
    proc = await asyncio.create_subprocess_exec(
        tool, "-v2c", "-c", fleet.community(site), "-On", "-Oq", "-Ot", "-t", str(within), "-r", "0",
        f"{host}:{port}", *oids, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=dict(os.environ, MIBS=""))
    out, err = await proc.communicate()
    if b"Timeout" in err:
        raise NoAnswer(f"{site} on {host}:{port}")
    assert proc.returncode == 0, err.decode()
    values = {}
    for line in out.decode().splitlines():
        oid, _, value = line.partition(" ")
        if tool != "snmpget" and value.startswith(("No more variables", "No Such Object", "No Such Instance")):
            continue  # how net-snmp reports a walk that found nothing under its root
        values[oid.lstrip(".")] = value.strip('"')
    return values


async def snmpget(fleet: Fleet, site: str, *oids: str, within: float = 2.0) -> dict[str, str]:
    """GET ``oids`` from ``site`` → {oid: value as net-snmp prints it (quotes stripped)}; NoAnswer
    if the agent does not answer ``within`` seconds (one try)."""
    return await _net_snmp("snmpget", fleet, site, *oids, within=within)


async def snmpwalk(fleet: Fleet, site: str, root: str) -> dict[str, str]:
    return await _net_snmp("snmpbulkwalk", fleet, site, root, within=2.0)


async def value(fleet: Fleet, site: str, oid: str) -> str:
    return (await snmpget(fleet, site, oid))[oid]


@pytest.fixture
async def control(fleet: Fleet) -> AsyncIterator[ControlServer]:
    server = ControlServer(fleet, "127.0.0.1", 0)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def ctl(capsys: pytest.CaptureFixture[str], control: ControlServer, *words: str) -> tuple[int, str, str]:
    """The same command line run in this process (in a thread: it blocks on HTTP while the
    control API runs in this event loop)."""
    args = build_parser().parse_args(["simulate", "ctl", "--control", control.url, *words])
    code = await asyncio.to_thread(args.func, args)
    out, err = capsys.readouterr()
    return code, out, err
