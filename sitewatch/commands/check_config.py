"""``sitewatch check-config PATH``: validate a configuration without starting anything.

Operators run it before a reload and in CI on the config repository. It prints every problem
as ``file:line: field: reason`` (exit 1), or a one-screen summary of what was loaded (exit 0),
so a wrong directory or a forgotten include shows up as a wrong count, not as silence. Under
``warnings:`` it lists what is valid but would page nobody (roster gaps, people without contacts)
or watch nothing (a BTS whose profiles read no mains, battery or on-battery value).
"""

from __future__ import annotations

import argparse
import sys
import time

from sitewatch.config.loader import load_config
from sitewatch.config.schema import Config
from sitewatch.config.summary import format_summary
from sitewatch.core.errors import ConfigError
from sitewatch.oncall.checks import oncall_warnings

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``check-config``."""
    parser = subparsers.add_parser(
        "check-config",
        help="validate a configuration and summarise it",
        description="Load the configuration (a YAML file or a directory of them, with its includes "
        "and CSV site tables), check every cross-reference and secret, and report all problems.",
    )
    parser.add_argument("path", metavar="PATH", help="a YAML file or a directory of *.yaml files")
    parser.set_defaults(func=run)


def _power_warnings(config: Config) -> list[str]:
    from sitewatch.snmp.coverage import site_power_warnings
    from sitewatch.snmp.profiles import load_profiles

    return site_power_warnings(config, load_profiles(config.profile_dirs))


def run(args: argparse.Namespace) -> int:
    """Exit status 0 with a summary on stdout, or 1 with every issue on stderr."""
    try:
        config = load_config(args.path)
    except ConfigError as e:
        print(e, file=sys.stderr)  # one ``file:line: field: reason`` per line
        n = len(e.issues)
        print(f"{args.path}: {n} problem{'s' if n != 1 else ''} found", file=sys.stderr)
        return 1
    print(f"{args.path}: configuration OK")
    print(format_summary(config))
    warnings = oncall_warnings(config, time.time()) + _power_warnings(config)
    if warnings:  # valid, but some pages would go nowhere: worth a look, not a failure
        print("warnings:")
        print("\n".join(f"  {w}" for w in warnings))
    return 0
