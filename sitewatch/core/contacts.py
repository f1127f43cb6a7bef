"""What a dry contact can mean: the words a site's ``inputs:`` use (``mains``, ``door``, ...),
the reading each gives and the level that alarms by default. Plain data, shared by the
configuration (which validates the words) and the SNMP mapping (``sitewatch.snmp.contacts``,
which wires them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["MEANINGS", "ContactLevel", "Meaning"]

ContactLevel = Literal["open", "closed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Meaning:
    """What a contact can mean: the reading it gives and its value while the contact alarms."""

    reading: str
    #: the reading's value while the contact is at its alarm level (mains_ok: false; door_open: true)
    alarm_value: bool
    #: the level that alarms unless the site says otherwise: ``open`` (fail-safe wiring: a
    #: contact held closed while all is well, so a cut wire alarms too), ``closed`` for an
    #: auxiliary contact that closes while something runs (a generator)
    default_alarm_when: ContactLevel
    #: the reading carries an ``alarm`` label named by the site (``name:``)
    named: bool = False
    doc: str = ""


#: every meaning a site may give an input, by the word the configuration uses
MEANINGS: Final[Mapping[str, Meaning]] = {
    "mains": Meaning(reading="mains_ok", alarm_value=False, default_alarm_when="open",
                     doc="mains present (alarm: mains lost)"),
    "generator": Meaning(reading="generator_running", alarm_value=True, default_alarm_when="closed",
                         doc="generator running"),
    "door": Meaning(reading="door_open", alarm_value=True, default_alarm_when="open", doc="door open"),
    "smoke": Meaning(reading="smoke_detected", alarm_value=True, default_alarm_when="open", doc="smoke detected"),
    "flood": Meaning(reading="flood_detected", alarm_value=True, default_alarm_when="open",
                     doc="water on the floor"),
    "rectifier_failure": Meaning(reading="rectifier_failed", alarm_value=True, default_alarm_when="open",
                                 doc="rectifier failure (a DC plant's summary relay)"),
    "lvd_open": Meaning(reading="lvd_open", alarm_value=True, default_alarm_when="open",
                        doc="low-voltage disconnect open"),
    "alarm": Meaning(reading="alarm_active", alarm_value=True, default_alarm_when="open", named=True,
                     doc="any other alarm, named by the site (alarm_active{alarm=NAME})"),
}
