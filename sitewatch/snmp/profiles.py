"""Device profiles: declarative YAML that maps a MIB's OIDs to canonical readings.

Why: rules, metrics and messages speak only the vendor-independent names of
``sitewatch.core.model.CANONICAL`` (``mains_ok``, ``battery_voltage_volts``...). Each vendor's way of
saying them lives in one YAML file, not in code. This module is the public face; the work is
done in ``profile_schema`` (format), ``profile_loader`` (files), ``mapping``/``slots``/``values``/
``derive`` (compiled mapping) and ``detect`` (automatic choice).

Format (one file per profile, named ``<name>.yaml``; see ``sitewatch/profiles/README.md``)::

    name: ups-mib
    description: RFC 1628 UPS-MIB
    sys_object_ids: [1.3.6.1.4.1.2254.2]   # optional: sysObjectID prefixes that select it
    probe: 1.3.6.1.2.1.33.1.2.1.0          # optional: a GET with a value selects it
    probe_walk: 1.3.6.1.2.1.2.2.1.8        # optional: a column with a row selects it
    scalars:
      - oid: 1.3.6.1.2.1.33.1.2.5.0        # upsBatteryVoltage, 0.1 V
        reading: battery_voltage_volts     # a CANONICAL name, or a local `_name` for derive
        type: gauge                        # int gauge timeticks string-number enum bool present
        scale: 0.1                         # value = raw x scale + offset
        offset: 0
        unknown: [-1, 4294967295]          # sentinels (raw, before scaling)
        unknown_when: [{oid: ..., in: [4, 6]}]   # another object says it is no measurement
        range: [0, 1000]                   # valid range in base units, outside = unknown
        labels: {phase: "1"}               # as CANONICAL declares for the reading
        enum: {1: unknown, 2: normal}      # enum/bool: raw → state, true/false, number, null
        mask: 128                          # enum/bool: look up only these bits of the integer
        instance_optional: true            # also try the OID without its `.0`
        scale_from: {oid: ..., map: {0: 1, 1: 0.1}}   # scale chosen by another scalar
        info: [{name: manufacturer, oid: ..., instance_optional: true}]
    tables:
      - name: ifTable
        index: 1.3.6.1.2.1.2.2.1.8         # the column whose rows are the table's rows
        labels: {interface: {from: [<ifName col>, <ifDescr col>]}}   # or {from: index}
        info: [{name: alias, oid: <ifAlias col>}]
        index_info: if_index
        where: [{column: ..., in: [4], missing_ok: true}, {column: ..., not_in: [6]}, {column: ..., contains: batt}]
        max_index_from: 1.3.6.1.2.1.33.1.3.2.0   # rows beyond this scalar's count do not exist
        pick: all                          # or first: only the lowest-index row passing `where`
        columns:
          - {oid: 1.3.6.1.2.1.2.2.1.8, reading: link_up, type: enum, enum: {1: true, 2: false, 6: absent}}
    derive:
      - {reading: on_battery, any: [{of: output_source, in: [battery]}, {of: seconds_on_battery, gt: 0}]}
      - {reading: mains_ok, none: [{of: alarm_active, labels: {alarm: input_bad}, eq: true}]}
      - {reading: alarms_present, count: [{of: alarm_active, eq: true}]}
      - {reading: battery_temperature_celsius, max: {of: _probe}}   # the highest known instance
      - {reading: battery_status, bands: {of: battery_charge_ratio, below: [[0.1, depleted], [0.3, low]],
                                          otherwise: normal}}
      - {reading: battery_charge_ratio, ratio: {of: _left, per: _total}}

Values that are not usable — wrong type, NULL, noSuchObject/noSuchInstance, a sentinel, text
that is not a number, out of range, an unmapped enum value — give ``value=None`` (unknown).
Text numbers (``"54.01"``) parse; NUL padding is stripped; Gauge32 in place of INTEGER is fine.
An enum target ``absent`` drops the whole table row (an interface that is ``notPresent``), as
does an index beyond ``max_index_from`` (a phase a single-phase UPS does not have).
"""

from __future__ import annotations

from sitewatch.snmp.detect import SYS_OBJECT_ID, detect_profiles, detection_plan
from sitewatch.snmp.mapping import SYSTEM_PROFILE, CompiledProfiles, compile_profiles
from sitewatch.snmp.profile_checks import profile_issues
from sitewatch.snmp.profile_loader import (
    SHIPPED_DIR,
    available_profile_names,
    load_profile_file,
    load_profiles,
    shipped_profile,
)
from sitewatch.snmp.profile_schema import Profile

__all__ = [
    "SHIPPED_DIR",
    "SYSTEM_PROFILE",
    "SYS_OBJECT_ID",
    "CompiledProfiles",
    "Profile",
    "available_profile_names",
    "compile_profiles",
    "detect_profiles",
    "detection_plan",
    "load_profile_file",
    "load_profiles",
    "profile_issues",
    "shipped_profile",
]
