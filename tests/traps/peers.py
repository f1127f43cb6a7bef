"""Senders for the trap tests: net-snmp's ``snmptrap`` / ``snmpinform``, and hand-encoded
datagrams from a socket bound to any loopback address (``snmptrap`` cannot pick its source)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence

from pyasn1.codec.ber import encoder
from pysnmp.proto import api

__all__ = ["UPS_ON_BATTERY", "encode_v2c_trap", "net_snmp", "send_from"]

#: upsTrapOnBattery with its three RFC 1628 varbinds, as snmptrap arguments
UPS_ON_BATTERY = ("1.3.6.1.2.1.33.2.1", "1.3.6.1.2.1.33.1.2.3.0", "i", "42", "1.3.6.1.2.1.33.1.2.2.0", "i", "120",
                  "1.3.6.1.2.1.33.1.9.7.0", "i", "5")


async def net_snmp(tool: str, *args: str, within: float = 10.0) -> tuple[int, str]:
    """Run ``snmptrap`` or ``snmpinform`` (exit code, stderr). Informs wait for the ack."""
    proc = await asyncio.create_subprocess_exec(tool, *args, stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), within)
    return int(proc.returncode or 0), err.decode()


def encode_v2c_trap(community: bytes, trap_oid: str, varbinds: Sequence[tuple[str, int]] = ()) -> bytes:
    """An SNMPv2c Trap message, encoded with pysnmp's protocol API."""
    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = p.TrapPDU()
    p.apiTrapPDU.set_defaults(pdu)
    vbs = [(p.ObjectIdentifier("1.3.6.1.2.1.1.3.0"), p.TimeTicks(100)),
           (p.ObjectIdentifier("1.3.6.1.6.3.1.1.4.1.0"), p.ObjectIdentifier(trap_oid))]
    vbs += [(p.ObjectIdentifier(oid), p.Integer(value)) for oid, value in varbinds]
    p.apiTrapPDU.set_varbinds(pdu, vbs)
    msg = p.Message()
    p.apiMessage.set_defaults(msg)
    p.apiMessage.set_community(msg, community)
    p.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


def send_from(source: str, dest: tuple[str, int], data: bytes) -> None:
    """Send one datagram from ``source`` (any 127/8 address on Linux) to ``dest``."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        s.sendto(data, dest)
