"""Which power readings a combination of profiles can give: a site whose profiles give none of
``mains_ok``, ``on_battery`` or a battery reading has its power unwatched, silently, unless
someone says so (``check-config`` warns; ``sitewatch_site_power_visibility`` is 0)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Final

from sitewatch.snmp.profile_schema import Profile, is_local

if TYPE_CHECKING:
    from sitewatch.config.schema import Config

__all__ = ["POWER_READINGS", "power_readings", "produced", "site_power_warnings"]

#: readings that tell whether a site has power, and for how long it will last
POWER_READINGS: Final = frozenset({
    "mains_ok", "on_battery", "output_source", "seconds_on_battery", "battery_status", "battery_charge_ratio",
    "battery_runtime_seconds", "battery_voltage_volts",
})


def produced(profiles: Iterable[Profile]) -> frozenset[str]:
    """Every canonical reading name the (wired) profiles emit."""
    names: set[str] = set()
    for p in profiles:
        names.update(s.reading for s in p.scalars)
        names.update(c.reading for t in p.tables for c in t.columns)
        names.update(d.reading for d in p.derive)
    return frozenset(n for n in names if not is_local(n))


def power_readings(names: Iterable[str]) -> frozenset[str]:
    """The power readings among ``names`` (readings or reading names)."""
    return POWER_READINGS.intersection(names)


def site_power_warnings(config: Config, profiles: Mapping[str, Profile]) -> list[str]:
    """One line per site whose power must be watched (``Config.power_watched``) but whose
    configured profiles, as wired, read no power at all. Targets whose profiles are detected at
    run time are judged there (``sitewatch_site_power_visibility``), not here."""
    from sitewatch.snmp.contacts import wire, wiring_of

    out: list[str] = []
    for site in config.sites:
        if not config.power_watched(site):
            continue
        if not site.snmp:
            out.append(f"{site.id} ({site.name}): no SNMP target: its power is not watched")
            continue
        if any(not t.profiles for t in site.snmp):
            continue
        names = produced(wire(profiles[n], wiring_of(t.inputs)) for t in site.snmp for n in t.profiles
                         if n in profiles)
        if not power_readings(names):
            listed = ", ".join(dict.fromkeys(n for t in site.snmp for n in t.profiles))
            out.append(f"{site.id} ({site.name}): its profiles ({listed}) read no mains_ok, on_battery or "
                       f"battery value: its power is not watched (wire a mains contact with inputs:, add a "
                       f"power profile, or set power_equipment: false)")
    return out
