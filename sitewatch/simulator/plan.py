"""What each simulated site serves: a generated device or a recording, its community, battery and
the profile names the daemon should use for it.

Default device per site kind: bts, telecom_station and fixed_station → ``dc_plant``;
noc_building and post_office → ``ups``. A fleet file overrides it per site::

    sites:
      BTS-001: {generated: router}
      NOC-01: {recording: recordings/deltaups.snmprec}
      PO-07: {generated: ups, profiles: [ups-mib, if-mib]}
    NOC-02: {generated: ups, phases: 3}        # a three-phase UPS (default: one input line)

A generated device is read with its own profiles and ``packetflux-sitemonitor`` for the site
monitor answering beside it (see ``mibs``), whose switch inputs the written daemon
configuration wires (``inputs:``): door, smoke, and the generator's contact on a site with
``backup.generator``.

Recording paths are relative to the fleet file. A recording gets ``profiles: []`` in the
written daemon config (the poller detects them) unless the fleet file names them.

Battery of each site (see ``battery``): ``backup.battery_capacity_ah``, ``nominal_voltage`` and
``typical_load_watts`` from the site's configuration where given. Otherwise a generated device
gets ``GENERATED_BATTERY``; a recording keeps what it shows: its float voltage (UPS-MIB
upsBatteryVoltage or Eltek batteryVoltage) fixes the cell count (``volts / 2.25``), its UPS-MIB
output power (or DC load current x battery voltage) is the load, and the capacity is the one
that gives the recorded runtime at the recorded charge (``load * minutes / 60 / (charge *
nominal_volts)``), else the generated default of the same kind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from sitewatch.config.schema import Config, Site, SiteKind
from sitewatch.simulator.battery import FLOAT_VOLTS_PER_CELL, BatterySpec
from sitewatch.simulator.mibs import (
    ALGCOM,
    ELTEK,
    SITEMONITOR_GENERATOR_INPUT,
    SITEMONITOR_INPUTS,
    UPS,
    Table,
    generate,
)

__all__ = [
    "DEFAULT_DEVICE",
    "GENERATED_BATTERY",
    "GENERATED_PROFILES",
    "MONITOR_PROFILE",
    "FleetFile",
    "SimulatedSite",
    "SiteChoice",
    "load_fleet_file",
    "load_recording",
    "plan_fleet",
]

DEFAULT_DEVICE = {
    SiteKind.BTS: "dc_plant",
    SiteKind.TELECOM_STATION: "dc_plant",
    SiteKind.FIXED_STATION: "dc_plant",
    SiteKind.NOC_BUILDING: "ups",
    SiteKind.POST_OFFICE: "ups",
}
GENERATED_PROFILES = {
    "ups": ("ups-mib", "if-mib"),
    "dc_plant": ("eltek-smartpack", "if-mib"),
    "router": ("if-mib",),
}
#: what reads the site monitor of a generated device (door, smoke, generator contacts; see ``mibs``)
MONITOR_PROFILE = "packetflux-sitemonitor"
#: (capacity Ah, nominal V, load W) of generated devices without a ``backup`` section
GENERATED_BATTERY = {
    "ups": (100.0, 48.0, 1000.0),
    "dc_plant": (200.0, 48.0, 1200.0),
    "router": (100.0, 48.0, 300.0),
}


class SiteChoice(BaseModel):
    """One site's entry in a fleet file: a recording or a generated device."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    recording: Path | None = None
    generated: Literal["ups", "dc_plant", "router"] | None = None
    profiles: tuple[str, ...] | None = None
    #: input lines of a generated UPS: 1 (default) or 3
    phases: Literal[1, 3] | None = None

    @model_validator(mode="after")
    def _one(self) -> SiteChoice:
        if (self.recording is None) == (self.generated is None):
            raise ValueError("give exactly one of recording or generated")
        if self.phases is not None and self.generated != "ups":
            raise ValueError("phases is for a generated ups (a dc_plant has three, a recording its own)")
        return self


class FleetFile(BaseModel):
    """``--fleet FILE``: per-site overrides of what is simulated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sites: dict[str, SiteChoice] = {}


def load_fleet_file(path: str | Path) -> FleetFile:
    """Read a fleet file; recording paths become relative to it."""
    path = Path(path)
    fleet = FleetFile.model_validate(yaml.safe_load(path.read_text()) or {})
    return FleetFile(sites={
        site_id: c if c.recording is None else c.model_copy(update={"recording": path.parent / c.recording})
        for site_id, c in fleet.sites.items()
    })


def load_recording(path: Path) -> Table:
    """An ``.snmprec`` file as a table (lines that are not ``OID|TAG|VALUE`` are skipped)."""
    table: Table = {}
    for line in path.read_text(errors="replace").splitlines():
        parts = line.strip().split("|", 2)
        if len(parts) == 3 and re.fullmatch(r"\d+(\.\d+)*", parts[0]) and re.fullmatch(r"\d+x?", parts[1]):
            table[parts[0]] = (parts[1], parts[2])
    return table


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulatedSite:
    """One site as the simulator serves it."""

    site: Site
    device: str  #: ``ups``, ``dc_plant``, ``router`` or ``recording``
    recording: Path | None
    community: str
    profiles: tuple[str, ...]
    battery: BatterySpec
    table: Table  #: the base table, before any state is applied
    #: the ``inputs:`` of the site's target in the written daemon configuration (input → meaning)
    inputs: Mapping[int, str] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return f"recording:{self.recording}" if self.recording is not None else f"generated:{self.device}"


def _int(table: Table, oid: str) -> int | None:
    row = table.get(oid)
    if row is None or row[0] not in ("2", "65", "66", "67"):
        return None
    try:
        return int(row[1])
    except ValueError:
        return None


def _ups_output_watts(table: Table) -> float:
    """Total UPS-MIB output power; from volts x amperes where the power column is implausible
    (some cards report kW or nothing in upsOutputPower)."""
    lines = [oid.rsplit(".", 1)[1] for oid in table if oid.startswith(f"{UPS}.4.4.1.2.")]
    watts = sum(_int(table, f"{UPS}.4.4.1.4.{n}") or 0 for n in lines)
    if watts >= 50:
        return float(watts)
    return sum((_int(table, f"{UPS}.4.4.1.2.{n}") or 0) * (_int(table, f"{UPS}.4.4.1.3.{n}") or 0) / 10 for n in lines)


def _recorded_battery(site: Site, table: Table) -> BatterySpec:
    ups_volts, eltek_volts = _int(table, f"{UPS}.2.5.0"), _int(table, f"{ELTEK}.3.2.0")
    algcom_volts = _int(table, f"{ALGCOM}.2.1.0")
    float_volts = (ups_volts / 10 if ups_volts else eltek_volts / 100 if eltek_volts
                   else algcom_volts / 10 if algcom_volts else None)
    default_capacity, _, default_load = GENERATED_BATTERY["dc_plant" if eltek_volts or algcom_volts else "ups"]
    cells = round(float_volts / FLOAT_VOLTS_PER_CELL) if float_volts else 24
    nominal = site.backup.nominal_voltage or 2.0 * max(1, cells)
    ups_watts = _ups_output_watts(table)
    dc_watts = (_int(table, f"{ELTEK}.4.1.0") or 0) * (float_volts or 0)  # load amps x bus volts
    dc_watts += (_int(table, f"{ALGCOM}.1.2.0") or 0) / 1000 * (float_volts or 0)  # output mA x volts
    load = site.backup.typical_load_watts or float(ups_watts or dc_watts) or default_load
    capacity = site.backup.battery_capacity_ah
    minutes, charge = _int(table, f"{UPS}.2.3.0"), _int(table, f"{UPS}.2.4.0")
    if capacity is None and minutes is not None and charge and 0 < minutes < 100_000 and 0 < charge <= 100:
        capacity = load * minutes / 60 / (charge / 100 * nominal)
    return BatterySpec.of(capacity or default_capacity, nominal, load, float_volts)


def _community(site_id: str, taken: set[str]) -> str:
    base = "sim-" + re.sub(r"[^A-Za-z0-9_-]", "_", site_id)
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name


def plan_fleet(config: Config, fleet: FleetFile | None = None) -> list[SimulatedSite]:
    """Every site of ``config``, as it will be simulated."""
    choices = fleet.sites if fleet is not None else {}
    unknown = sorted(set(choices) - {s.id for s in config.sites})
    if unknown:
        raise ValueError(f"fleet file names sites that are not in the configuration: {', '.join(unknown)}")
    taken: set[str] = set()
    plans = []
    for site in config.sites:
        choice = choices.get(site.id)
        community = _community(site.id, taken)
        if choice is not None and choice.recording is not None:
            table = load_recording(choice.recording)
            plans.append(SimulatedSite(site=site, device="recording", recording=choice.recording,
                                       community=community, profiles=choice.profiles or (),
                                       battery=_recorded_battery(site, table), table=table))
            continue
        device = choice.generated if choice is not None and choice.generated else DEFAULT_DEVICE[site.kind]
        capacity, nominal, load = GENERATED_BATTERY[device]
        b = site.backup
        battery = BatterySpec.of(b.battery_capacity_ah or capacity, b.nominal_voltage or nominal,
                                 b.typical_load_watts or load)
        profiles = (choice.profiles if choice is not None and choice.profiles is not None
                    else (*GENERATED_PROFILES[device], MONITOR_PROFILE))
        inputs = SITEMONITOR_INPUTS | ({SITEMONITOR_GENERATOR_INPUT: "generator"} if site.backup.generator else {})
        table = generate(device, site, battery, phases=(choice.phases or 1) if choice is not None else 1)
        plans.append(SimulatedSite(site=site, device=device, recording=None, community=community,
                                   profiles=profiles, battery=battery, table=table,
                                   inputs=inputs if MONITOR_PROFILE in profiles else {}))
    return plans
