"""A simulated fleet of SNMP agents on 127.0.0.1, whose sites can be changed while it runs.

So that a newcomer sees live metrics without hardware, and tests drive mains failures, battery
drain, generators, link and agent outages, and injected faults (UPS alarms, bypass, a lost
phase, input out of range, room temperature, door, smoke) through the real SNMP path.

    plan        what each site serves (generated UPS / DC plant / router, or a recording)
    mibs        OIDs and the generated devices' tables
    battery     the battery model (formula and constants documented there)
    state       a site's changeable state, and the simulated clock
    overlay     state → the agent's table (UPS-MIB, ELTEK-DISTRIBUTED-MIB, site monitor, IF-MIB, system)
    responder   one snmpsim process, one SQLite table per site
    proxy       one UDP port per site; silent sites drop requests
    fleet       ``Fleet``: start/stop, change sites, read their state
    control     the HTTP control API
    fleetconfig the daemon configuration for the simulated fleet
"""

from sitewatch.simulator.battery import BatterySpec
from sitewatch.simulator.fleet import Fleet
from sitewatch.simulator.plan import FleetFile, load_fleet_file
from sitewatch.simulator.site_state import SimClock, SiteState

__all__ = ["BatterySpec", "Fleet", "FleetFile", "SimClock", "SiteState", "load_fleet_file"]
