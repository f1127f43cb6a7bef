"""``sitewatch poll``: poll one site once and print its canonical readings and the raw values
behind them — the first thing an engineer tries on a new site."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from sitewatch.core.errors import ConfigError
from sitewatch.core.model import PollResult, SnmpException, SnmpValue

__all__ = ["add_parser", "format_result", "format_value", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "poll", help="poll one site once and print what it reports",
        description="Poll SITE from the configuration (or an ad-hoc --host) once and print every "
                    "canonical reading with the raw SNMP value it came from.")
    p.add_argument("site", nargs="?", help="site id from the configuration")
    p.add_argument("--config", "-c", help="configuration file or directory")
    p.add_argument("--host", help="ad hoc: poll this agent instead of a configured site")
    p.add_argument("--port", type=int, default=161)
    p.add_argument("--community", default="public", help="ad hoc: v1/v2c community (default public)")
    p.add_argument("--snmp-version", choices=["1", "2c"], default="2c")
    p.add_argument("--profile", action="append", default=[],
                   help="ad hoc: profile name (repeatable; default: detect from the agent)")
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--retries", type=int, default=1)
    p.add_argument("--raw", action="store_true", help="also list every raw OID fetched")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def _raw(v: SnmpValue) -> str:
    if isinstance(v, SnmpException):
        return v.name.lower()
    if isinstance(v, bytes):
        text = v.rstrip(b"\0")
        try:
            s = text.decode()
            if s.isprintable():
                return repr(s)
        except UnicodeDecodeError:
            pass
        return "0x" + v.hex()
    return "NULL" if v is None else str(v)


def format_value(value: float | str | None) -> str:
    """A reading's value exactly as read: 10543000 (not 1.0543e+07), 53.23, a state, or unknown."""
    if value is None:
        return "unknown"
    if isinstance(value, str):
        return value
    return str(int(value)) if value.is_integer() and abs(value) < 2**63 else repr(float(value))


def format_result(result: PollResult, *, site_name: str = "", raw: bool = False) -> str:
    """A human-readable report of one poll."""
    lines = [f"site {result.site_id}" + (f" ({site_name})" if site_name else "")
             + f": {'OK' if result.ok else 'FAILED'} in {result.duration_seconds * 1000:.0f} ms"]
    if result.profiles:
        lines.append(f"profiles: {', '.join(result.profiles)}")
    if not result.ok:
        lines.append(f"error: {result.error.value if result.error else '?'}: {result.error_detail}")
    if result.readings:
        rows = []
        for r in result.readings:
            name = r.name + ("{" + ",".join(f"{k}={v}" for k, v in r.labels) + "}" if r.labels else "")
            rows.append((name, format_value(r.value), r.source))
        w1 = max(len(r[0]) for r in rows)
        w2 = max(len(r[1]) for r in rows)
        lines.append("")
        lines.append(f"{'READING':<{w1}}  {'VALUE':<{w2}}  FROM")
        lines += [f"{a:<{w1}}  {b:<{w2}}  {c}" for a, b, c in rows]
    if raw and result.raw:
        lines.append("")
        lines.append("RAW")
        lines += [f"{oid} = {_raw(v)}" for oid, v in sorted(
            result.raw.items(), key=lambda kv: tuple(int(x) for x in kv[0].split(".")))]
    return "\n".join(lines)


def _json(result: PollResult) -> dict[str, Any]:
    return {
        "site": result.site_id, "ok": result.ok, "error": result.error.value if result.error else None,
        "error_detail": result.error_detail, "duration_seconds": result.duration_seconds,
        "profiles": list(result.profiles),
        "readings": [{"name": r.name, "labels": dict(r.labels), "value": r.value, "source": r.source}
                     for r in result.readings],
        "raw": {k: _raw(v) for k, v in result.raw.items()},
    }


async def _poll(args: argparse.Namespace) -> tuple[PollResult, str]:
    from sitewatch.config.loader import load_config
    from sitewatch.config.schema import Config
    from sitewatch.core.clock import SystemClock
    from sitewatch.daemon import build_clients
    from sitewatch.polling.poller import SitePlan, SitePoller, TargetPlan
    from sitewatch.polling.site_plans import site_plan
    from sitewatch.snmp.client import Target
    from sitewatch.snmp.profiles import load_profiles

    if args.host:
        config = load_config(args.config) if args.config else Config()
        plan = SitePlan(site_id=args.site or args.host, budget=60.0, targets=(TargetPlan(
            target=Target(host=args.host, port=args.port, version=args.snmp_version,
                          community=args.community.encode(), timeout=args.timeout, retries=args.retries),
            profile_names=tuple(args.profile)),))
        name = ""
    else:
        if not (args.site and args.config):
            raise SystemExit("sitewatch poll: give SITE and --config, or --host")
        config = load_config(args.config)
        try:
            site = config.site(args.site)
        except KeyError:
            raise SystemExit(f"sitewatch poll: no site {args.site!r} in {args.config}") from None
        if not site.snmp:
            raise SystemExit(f"sitewatch poll: site {args.site} has no SNMP target")
        plan, name = site_plan(config, site), site.name
    clients = build_clients(config)
    try:
        poller = SitePoller(clients=clients, profiles=load_profiles(config.profile_dirs), clock=SystemClock(),
                            keep_raw=True)
        return await poller.poll(plan), name
    finally:
        await clients.close()


def run(args: argparse.Namespace) -> int:
    try:
        result, name = asyncio.run(_poll(args))
    except ConfigError as e:
        print(f"sitewatch: configuration errors:\n{e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(_json(result), ensure_ascii=False, indent=2))
    else:
        print(format_result(result, site_name=name, raw=args.raw))
    return 0 if result.ok else 1
