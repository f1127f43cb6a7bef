"""Who may send us traps: source address → site, and the credentials each site may use.

A trap is attributed by the UDP source address it came from, matched against the hosts of the
sites' SNMP targets (a device sends its traps from the address we poll it on; behind NAT or a
second interface, add the trap source as another target host of the site). Then:

- v1/v2c: the community must be one of that site's target communities, or one of the extra
  ``traps.communities`` (accepted from any known site).
- v3: the USM user name must be one of that site's v3 credentials.

Several sites may share an address (a gateway in front of several controllers) only when
their communities (or v3 user names) tell them apart. A community or user shared by sites at
one address, or an extra community arriving from a shared address, identifies no single site:
such traps are dropped and counted ``ambiguous_source``, and ``warnings`` lists the overlaps
found at build time (without secrets).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sitewatch.config.schema import Config
from sitewatch.polling.site_plans import site_plans
from sitewatch.snmp.client import UsmAuth

__all__ = ["AMBIGUOUS", "SourceEntry", "TrapSources", "normalize_address"]

log = logging.getLogger(__name__)

#: marker for a community or user that more than one site at one address uses
AMBIGUOUS = "\x00ambiguous"

Resolver = Callable[[str], list[str]]


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceEntry:
    """One site's trap identity at one address (secrets resolved; ``repr`` hides them)."""

    address: str
    site_id: str
    communities: frozenset[bytes] = frozenset()
    users: tuple[UsmAuth, ...] = ()

    def __repr__(self) -> str:
        return (f"SourceEntry({self.address}, {self.site_id}, {len(self.communities)} communities, "
                f"users={[u.username for u in self.users]})")


def normalize_address(host: str) -> str:
    """Canonical text of an IP address (IPv4-mapped IPv6 as IPv4). ValueError if not an IP."""
    ip = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


def _resolve(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    return sorted({str(info[4][0]) for info in infos})


@dataclass(slots=True)
class _Address:
    sites: set[str] = field(default_factory=set)
    communities: dict[bytes, str] = field(default_factory=dict)
    users: dict[str, list[tuple[str, UsmAuth]]] = field(default_factory=dict)


class TrapSources:
    """Immutable after construction; ``TrapReceiver.update`` swaps in a new one on reload."""

    def __init__(self, entries: Iterable[SourceEntry], extra_communities: Iterable[bytes] = ()) -> None:
        self._by_address: dict[str, _Address] = {}
        self.extra_communities = frozenset(extra_communities)
        warnings: list[str] = []
        for e in entries:
            addr = self._by_address.setdefault(normalize_address(e.address), _Address())
            addr.sites.add(e.site_id)
            for c in e.communities:
                owner = addr.communities.get(c)
                if owner is not None and owner != e.site_id:
                    if owner != AMBIGUOUS:
                        warnings.append(f"{e.address}: sites {owner} and {e.site_id} use the same community; "
                                        "traps with it cannot be attributed and are dropped")
                    addr.communities[c] = AMBIGUOUS
                else:
                    addr.communities[c] = e.site_id
            for u in e.users:
                holders = addr.users.setdefault(u.username, [])
                if any(site != e.site_id for site, _ in holders):
                    warnings.append(f"{e.address}: SNMPv3 user {u.username!r} is used by several sites; "
                                    "its traps cannot be attributed and are dropped")
                holders.append((e.site_id, u))
        self.warnings = tuple(dict.fromkeys(warnings))

    @classmethod
    def from_config(cls, config: Config, *, resolve: Resolver = _resolve) -> TrapSources:
        """Sources from the sites' SNMP targets; host names are resolved now (``resolve``),
        and a name that does not resolve is left out with a warning in the log."""
        entries: list[SourceEntry] = []
        for plan in site_plans(config).values():
            for tp in plan.targets:
                t = tp.target
                try:
                    addresses = [normalize_address(t.host)]
                except ValueError:
                    try:
                        addresses = resolve(t.host)
                    except OSError as e:
                        log.warning("traps from site %s: cannot resolve %s (%s); its traps will be dropped",
                                    plan.site_id, t.host, e, extra={"site": plan.site_id})
                        continue
                communities = frozenset({t.community}) if t.version != "3" else frozenset()
                users = (t.usm,) if t.version == "3" and t.usm is not None else ()
                entries.extend(SourceEntry(address=a, site_id=plan.site_id, communities=communities, users=users)
                               for a in addresses)
        extra = (c.reveal().encode() for c in config.traps.communities)
        return cls(entries, extra)

    def knows(self, address: str) -> bool:
        return address in self._by_address

    def sites_at(self, address: str) -> frozenset[str]:
        a = self._by_address.get(address)
        return frozenset(a.sites) if a is not None else frozenset()

    def site_for_community(self, address: str, community: bytes) -> tuple[str | None, str]:
        """(site id, "") when accepted, else (None, result): ``unknown_source``,
        ``bad_community`` or ``ambiguous_source``."""
        a = self._by_address.get(address)
        if a is None:
            return None, "unknown_source"
        owner = a.communities.get(community)
        if owner == AMBIGUOUS:
            return None, "ambiguous_source"
        if owner is not None:
            return owner, ""
        if community in self.extra_communities:
            if len(a.sites) == 1:
                return next(iter(a.sites)), ""
            return None, "ambiguous_source"
        return None, "bad_community"

    def users_at(self, address: str, username: str) -> list[tuple[str, UsmAuth]]:
        """(site id, credential) of every site at ``address`` with this v3 user name."""
        a = self._by_address.get(address)
        return list(a.users.get(username, ())) if a is not None else []

    def __len__(self) -> int:
        return len(self._by_address)
