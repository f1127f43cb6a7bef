"""A one-screen summary of a loaded configuration, for ``sitewatch check-config``.

It answers "did it read what I meant?": how many sites of each kind, where, how critical;
which credentials (by name and SNMP version, never a secret), utilities and teams; and the
daemon settings that decide load (poll interval, concurrency) and where it listens and writes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sitewatch.config.schema import Config, SnmpV1V2Credential, SnmpV3Credential

__all__ = ["format_summary"]


def format_summary(config: Config) -> str:
    """Several short lines describing ``config``; contains no secret."""
    d = config.daemon
    sites = config.sites
    targets = [t for s in sites for t in s.snmp]
    restricted = sum(1 for s in sites if s.restricted_area)
    served = Counter(u.utility for s in sites for u in (s.power, s.water) if u is not None)
    teams = Counter(s.team for s in sites)
    lines = [
        f"{len(sites)} sites, {len(targets)} SNMP targets, {len(config.credentials)} credentials, "
        f"{len(config.utilities)} utilities, {len(config.teams)} teams",
        f"daemon: listen {d.listen}; poll every {_duration(d.poll_interval)} "
        f"(SNMP timeout {_duration(d.snmp_timeout)}, retries {d.snmp_retries}, "
        f"concurrency {d.concurrency}, {d.snmp_client} client); "
        f"stale after {_duration(d.staleness_seconds)}",
        f"        state dir {d.state_dir}; time zone {d.timezone}",
        "sites by kind: " + _counts(s.kind.value for s in sites),
        "sites by province: " + _counts(s.province for s in sites),
        "sites by criticality: "
        + _counts(s.criticality.value for s in sites)
        + (f"; {restricted} in restricted areas" if restricted else ""),
        "profiles used: " + (_counts(p for t in targets for p in t.profiles) or "none (automatic)"),
        "credentials: " + _join(f"{name} (v{_version(c)})" for name, c in sorted(config.credentials.items())),
        "utilities: "
        + _join(
            f"{uid} ({u.kind.value}, {served[uid]} sites: {u.name})" for uid, u in sorted(config.utilities.items())
        ),
        "teams: " + _join(f"{tid} ({teams[tid]} sites)" for tid in sorted(config.teams)),
    ]
    if config.profile_dirs:
        lines.append("extra profile dirs: " + ", ".join(config.profile_dirs))
    return "\n".join(lines)


def _version(cred: SnmpV1V2Credential | SnmpV3Credential) -> str:
    return cred.version if isinstance(cred, SnmpV1V2Credential) else f"3 {cred.security_level}"


def _counts(values: Iterable[str]) -> str:
    return ", ".join(f"{name or '(none)'} {n}" for name, n in Counter(values).most_common())


def _join(items: Iterable[str]) -> str:
    return ", ".join(items) or "none"


def _duration(seconds: float) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"
