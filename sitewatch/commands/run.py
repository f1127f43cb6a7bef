"""``sitewatch run``: the daemon."""

from __future__ import annotations

import argparse
import sys

from sitewatch.core.errors import ConfigError
from sitewatch.runtime import logs

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help="run the monitoring daemon",
                       description="Poll every configured site, export /metrics, serve the HTTP API. "
                                   "SIGHUP reloads the configuration; SIGTERM stops.")
    p.add_argument("--config", "-c", required=True, help="configuration file or directory")
    p.add_argument("--listen", help="override daemon.listen (HOST:PORT)")
    p.add_argument("--state-dir", help="override daemon.state_dir")
    p.add_argument("--traps-listen", help="override traps.listen (HOST:PORT)")
    logs.add_format_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sitewatch.daemon import run_daemon

    overrides = {k: v for k, v in (("listen", args.listen), ("state_dir", args.state_dir),
                                   ("log_format", getattr(args, "log_format", None))) if v}
    try:
        return run_daemon(args.config, traps_listen=args.traps_listen, **overrides)
    except ConfigError as e:
        print(f"sitewatch: configuration errors:\n{e}", file=sys.stderr)
        return 1
