"""``sitewatch`` command line: one subcommand per module in ``sitewatch.commands``."""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

from sitewatch import __version__
from sitewatch.runtime import logs

__all__ = ["main"]

#: subcommands in the order ``--help`` lists them
_ORDER = ("run", "demo", "check_config", "poll", "profile", "incidents", "oncall", "simulate", "import_sites")


def _command_modules() -> list[str]:
    import sitewatch.commands as pkg

    found = {m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_")}
    return [n for n in _ORDER if n in found] + sorted(found - set(_ORDER))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sitewatch",
        description="Telecom site continuity monitoring: polls mains, battery, generator and links "
                    "over SNMP and exports them to Prometheus.",
        epilog="Run 'sitewatch COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"sitewatch {__version__}")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"],
                        help="log verbosity (default: info)")
    logs.add_format_option(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _command_modules():
        importlib.import_module(f"sitewatch.commands.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.configure(args.log_level, args.log_format or "text")
    # APScheduler logs every job run at INFO: the dispatch tick would flood the journal;
    # and httpx one line per request, which would clutter the CLI's output
    noisy = {name: logging.getLogger(name).level for name in ("apscheduler", "httpx")}
    for name in noisy:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
    try:
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        rc: int = args.func(args)
        return rc
    finally:  # main() may be called in-process (tests, embedding): leave logging as it was
        for name, level in noisy.items():
            logging.getLogger(name).setLevel(level)


if __name__ == "__main__":
    sys.exit(main())
