"""``sitewatch oncall [TEAM_OR_ROSTER] [--at TIME]``: who is on call, with how to reach them.

Reads the configuration directly (no daemon needed: the roster is all in the config), so a
duty officer can answer "who do I call?" even when the daemon is down. ``--ics`` and
``--ics-person`` print an iCalendar file instead, to import into a calendar.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from zoneinfo import ZoneInfo

from sitewatch.commands.incidents import format_footer
from sitewatch.config.loader import load_config
from sitewatch.config.schema import Config
from sitewatch.core.errors import ConfigError
from sitewatch.messages.timefmt import readable_time
from sitewatch.oncall.ics import person_ics, roster_ics
from sitewatch.oncall.localtime import parse_when
from sitewatch.oncall.schedule import schedule_for
from sitewatch.oncall.view import RosterDuty, roster_duty, select_rosters

__all__ = ["add_parser", "format_duty", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``oncall``."""
    p = sub.add_parser(
        "oncall", help="who is on call now or at a given time (reads the configuration)",
        description="Print who is on call per roster, their contacts and the next handoffs; or export "
                    "a roster's or a person's shifts as iCalendar.")
    p.add_argument("name", nargs="?", metavar="TEAM_OR_ROSTER", help="a roster id or a team id (default: all rosters)")
    p.add_argument("--at", metavar="TIME",
                   help="ISO 8601, e.g. 2026-03-01T20:00 (each roster's local time) or 2026-03-01T20:00+07:00; "
                        "default now")
    p.add_argument("--config", "-c", default=os.environ.get("SITEWATCH_CONFIG"),
                   help="configuration file or directory (default $SITEWATCH_CONFIG)")
    ics = p.add_mutually_exclusive_group()
    ics.add_argument("--ics", metavar="ROSTER", help="print ROSTER's shifts as iCalendar")
    ics.add_argument("--ics-person", metavar="PERSON", help="print PERSON's shifts on every roster as iCalendar")
    p.add_argument("--days", type=int, metavar="N",
                   help="how far ahead: handoffs listed (default 1), or the calendar's length (default 30)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """0 with the answer on stdout; 1 for a bad config; 2 for a bad argument."""
    if not args.config:
        print("sitewatch oncall: give --config PATH or set SITEWATCH_CONFIG", file=sys.stderr)
        return 2
    if args.days is not None and not 0 < args.days <= 366:
        print("sitewatch oncall: --days must be from 1 to 366", file=sys.stderr)
        return 2
    try:
        config = load_config(args.config)
    except ConfigError as e:
        print(f"sitewatch oncall: configuration errors:\n{e}", file=sys.stderr)
        return 1
    try:
        if args.ics or args.ics_person:
            sys.stdout.write(_calendar(config, args))
        else:
            ids = select_rosters(config, either=args.name)
            ahead = (args.days or 1) * 86400.0
            duties = [roster_duty(config, rid, _when(config, rid, args.at), ahead=ahead) for rid in ids]
            print("\n\n".join(format_duty(config, d) for d in duties) if duties else "no rosters")
            if duties and not (args.name and args.name in config.rosters):  # a list: say how long
                print(f"\n{format_footer(len(duties), len(duties), 'rosters' if len(duties) > 1 else 'roster')}")
    except (LookupError, ValueError) as e:
        print(f"sitewatch oncall: {e.args[0] if e.args else e}", file=sys.stderr)
        return 2
    return 0


def _when(config: Config, roster_id: str, at: str | None) -> float:
    if at is None:
        return time.time()
    return parse_when(at, schedule_for(config.rosters[roster_id], roster_id).zone)


def _calendar(config: Config, args: argparse.Namespace) -> str:
    days = (args.days or 30) * 86400.0
    if args.ics:
        if args.ics not in config.rosters:
            raise LookupError(f"no roster {args.ics!r}")
        schedule = schedule_for(config.rosters[args.ics], args.ics)
        start = parse_when(args.at, schedule.zone) if args.at else time.time()
        names = {pid: p.name for pid, p in config.people.items()}
        return roster_ics(schedule, start, start + days, names=names)
    if args.ics_person not in config.people:
        raise LookupError(f"no person {args.ics_person!r}")
    start = parse_when(args.at, ZoneInfo(config.daemon.timezone)) if args.at else time.time()
    return person_ics(config, args.ics_person, start, start + days)


def format_duty(config: Config, duty: RosterDuty) -> str:
    """A few lines: the roster, who is on call with their contacts, until when, what comes next."""
    spec = config.rosters[duty.roster]
    zone = config.daemon.timezone  # every time people read is in the daemon's zone, with its offset
    team = f", team {spec.team}" if spec.team else ""
    lines = [f"{duty.roster}: {spec.name}{team} ({spec.timezone})", f"  at {readable_time(duty.at, zone)}:"]
    until = f" until {readable_time(duty.until, zone)}" if duty.until is not None else ""
    if duty.current is None:
        lines.append(f"    NOBODY on call (a gap){until}")
    else:
        lines.append(f"    {_name(config, duty.current.person)}, {duty.current.layer}{until}")
        person = config.people.get(duty.current.person)
        contacts = [f"{c.channel} {c.address}".strip() for c in person.contacts] if person else []
        lines.append("      " + (", ".join(contacts) if contacts else "NO CONTACT METHOD"))
    if duty.upcoming:
        lines.append("  next:")
        lines += [f"    {readable_time(s.start, zone)}  {_name(config, s.person)}, {s.layer}" for s in duty.upcoming]
    return "\n".join(lines)


def _name(config: Config, pid: str) -> str:
    person = config.people.get(pid)
    return f"{person.name} ({pid})" if person else pid
