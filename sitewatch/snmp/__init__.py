"""SNMP: clients (lean v1/v2c codec, pysnmp for v3), device profiles, traps."""
