"""SNMP traps and informs: a receiver that turns authenticated notifications from known sites
into ``TrapEvent``s, and the declarative trap maps (``maps/*.yaml``) that say which site
conditions each notification asserts or clears.

    TrapReceiver(sources=TrapSources.from_config(config), on_event=..., listen="0.0.0.0:162")
"""

from sitewatch.traps.catalog import TrapCatalog, TrapMeaning
from sitewatch.traps.receiver import RESULTS, OnEvent, TrapReceiver
from sitewatch.traps.sources import SourceEntry, TrapSources

__all__ = ["RESULTS", "OnEvent", "SourceEntry", "TrapCatalog", "TrapMeaning", "TrapReceiver", "TrapSources"]
