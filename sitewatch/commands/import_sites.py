"""``sitewatch import-sites CSV [-o OUT.yaml]``: turn a site spreadsheet into ``sites:`` YAML.

For operators who keep their site list in Excel but want it reviewed in the config repository
as YAML. Every bad row and column is reported (``file.csv:LINE: column: reason``, exit 1);
names the rows refer to (parents, credentials, ...) are checked when the YAML is loaded with
the rest of the configuration. A CSV can also be used directly with ``sites_csv:``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sitewatch.config.csvsites import sites_from_csv, sites_to_yaml
from sitewatch.core.errors import ConfigError

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``import-sites``."""
    parser = subparsers.add_parser(
        "import-sites",
        help="convert a CSV table of sites to YAML",
        description="Read a CSV of sites (UTF-8, header row; see sitewatch.config.csvsites for the "
        "columns) and write the equivalent sites: YAML.",
    )
    parser.add_argument("csv", metavar="CSV", help="the CSV file")
    parser.add_argument("-o", "--output", metavar="OUT.yaml", help="write here instead of stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Exit status 0 after writing the YAML, or 1 with every issue on stderr."""
    try:
        sites = sites_from_csv(args.csv)
    except ConfigError as e:
        print(e, file=sys.stderr)  # one ``file:line: field: reason`` per line
        return 1
    text = f"# Generated from {Path(args.csv).name} by `sitewatch import-sites`.\n{sites_to_yaml(sites)}"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {len(sites)} sites to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
