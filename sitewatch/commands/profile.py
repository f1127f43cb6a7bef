"""``sitewatch profile test PROFILE RECORDING``: try a device profile on a walk of the device
(an ``snmpwalk -On`` turned into a recording, or a LibreNMS ``.snmprec``), or on a live agent.

It serves the recording with snmpsim on 127.0.0.1 (exactly as recorded), polls it once through
the daemon's own poller with the profile (and a site's dry-contact wiring, ``--inputs``), prints
every reading with the raw value it came from (as ``sitewatch poll`` does) and exits 1 when a
reading is not plausible (a wrong scale or an unknown sentinel: ``sitewatch.snmp.plausible``)
or the poll fails, 0 otherwise. The profiles README walks through making a profile with it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sitewatch.core.errors import ProfileError
from sitewatch.core.model import PollResult

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("profile", help="work on device profiles (test one against a recording)",
                       description="Device profile tools.")
    inner = p.add_subparsers(dest="profile_command", metavar="ACTION", required=True)
    t = inner.add_parser(
        "test", help="poll a recording (or a live agent) with a profile and check every reading",
        description="Serve RECORDING (snmprec: OID|TAG|VALUE lines) with snmpsim, or poll --host, "
                    "read it with PROFILE and print every reading with its raw value. Exit 1 if a "
                    "reading is out of its plausible range or the poll fails.")
    t.add_argument("profile", metavar="PROFILE", help="profile name(s), comma separated (e.g. snr-erd,if-mib)")
    t.add_argument("recording", metavar="RECORDING", nargs="?", help="a .snmprec file (omit with --host)")
    t.add_argument("--profile-dir", action="append", default=[], metavar="DIR",
                   help="also load profiles from DIR (repeatable; later wins, as profile_dirs)")
    t.add_argument("--inputs", metavar="YAML",
                   help="the site's dry-contact wiring, as in the configuration: "
                        "'{2: {means: mains, alarm_when: open}, 3: door}'")
    t.add_argument("--host", help="poll this live agent instead of a recording")
    t.add_argument("--port", type=int, default=161)
    t.add_argument("--community", default="public", help="v1/v2c community of --host (default public)")
    t.add_argument("--timeout", type=float, default=3.0)
    t.add_argument("--raw", action="store_true", help="also list every raw OID fetched")
    t.set_defaults(func=run)


def _target_inputs(args: argparse.Namespace, names: list[str]) -> Any:
    """The wiring, validated exactly as a site's SNMP target is."""
    from sitewatch.config.schema import SnmpTarget
    from sitewatch.snmp.contacts import wiring_of

    inputs = yaml.safe_load(args.inputs) if args.inputs else {}
    target = SnmpTarget.model_validate({"host": "127.0.0.1", "credential": "-", "profiles": names,
                                        "inputs": inputs or {}})
    return wiring_of(target.inputs)


async def _poll(args: argparse.Namespace, names: list[str]) -> PollResult:
    from sitewatch.config.schema import Config
    from sitewatch.core.clock import SystemClock
    from sitewatch.daemon import build_clients
    from sitewatch.polling.poller import SitePlan, SitePoller, TargetPlan
    from sitewatch.simulator.recording import COMMUNITY, serve_recording
    from sitewatch.snmp.client import Target
    from sitewatch.snmp.profiles import load_profiles

    profiles = load_profiles(args.profile_dir)
    unknown = [n for n in names if n not in profiles]
    if unknown:
        raise ProfileError(f"no profile {unknown[0]!r} (have: {', '.join(sorted(profiles))})")
    inputs = _target_inputs(args, names)

    async def once(host: str, port: int, community: str) -> PollResult:
        clients = build_clients(Config())
        try:
            poller = SitePoller(clients=clients, profiles=profiles, clock=SystemClock(), keep_raw=True)
            target = Target(host=host, port=port, version="2c", community=community.encode(),
                            timeout=args.timeout, retries=1)
            plan = SitePlan(site_id=Path(args.recording).stem if args.recording else host, budget=60.0,
                            targets=(TargetPlan(target=target, profile_names=tuple(names), inputs=inputs),))
            return await poller.poll(plan)
        finally:
            await clients.close()

    if args.host:
        return await once(args.host, args.port, args.community)
    async with serve_recording(args.recording) as (host, port):
        return await once(host, port, COMMUNITY)


def run(args: argparse.Namespace) -> int:
    from sitewatch.commands.poll import format_result
    from sitewatch.snmp.plausible import implausible

    if args.profile_command != "test":
        return 2
    if bool(args.recording) == bool(args.host):
        print("sitewatch profile test: give a RECORDING or --host", file=sys.stderr)
        return 2
    if args.recording and not Path(args.recording).is_file():
        print(f"sitewatch profile test: no such recording: {args.recording}", file=sys.stderr)
        return 2
    names = [n.strip() for n in args.profile.split(",") if n.strip()]
    try:
        result = asyncio.run(_poll(args, names))
    except (ProfileError, ValueError, ValidationError, yaml.YAMLError) as e:
        print(f"sitewatch profile test: {e}", file=sys.stderr)
        return 2
    print(format_result(result, raw=args.raw))
    bad = [(r, why) for r in result.readings if (why := implausible(r))]
    unknown = sum(r.value is None for r in result.readings)
    print()
    for r, why in bad:
        labels = ",".join(f"{k}={v}" for k, v in r.labels)
        print(f"OUT OF RANGE {r.name}{'{' + labels + '}' if labels else ''}: {why} (from {r.source})")
    print(f"{len(result.readings)} readings, {unknown} unknown, {len(bad)} out of range"
          + ("" if result.ok else ", poll FAILED"))
    return 0 if result.ok and not bad else 1
