"""``sitewatch demo``: the simulated fleet and the daemon together, no hardware needed.

Starts ``sitewatch simulate`` for the example configuration as a child process, waits until
every simulated agent answers (the simulator writes the fleet's daemon configuration only
then), and runs the daemon on that configuration until Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sitewatch.runtime import logs

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="run the daemon against a simulated fleet (no hardware)",
                       description="Serve every site of CONFIG from simulated SNMP agents on 127.0.0.1 and "
                                   "run the daemon against them. Change a site while it runs with "
                                   "'sitewatch simulate ctl SITE mains off'.")
    p.add_argument("--config", "-c", default="config/gialai",
                   help="configuration whose sites are simulated (default: config/gialai)")
    p.add_argument("--state-dir", default=".demo", help="where the demo keeps its files (default: .demo)")
    p.add_argument("--listen", default="127.0.0.1:9641", help="daemon HTTP listener (default 127.0.0.1:9641)")
    p.add_argument("--control", default="127.0.0.1:9642",
                   help="simulator control API address (default 127.0.0.1:9642)")
    p.add_argument("--traps-listen", default="127.0.0.1:9162",
                   help="where the daemon receives SNMP traps in the demo (default 127.0.0.1:9162)")
    p.add_argument("--poll-interval", type=float, default=15.0,
                   help="poll interval in seconds for the demo (default 15)")
    logs.add_format_option(p)
    p.set_defaults(func=run)


def _shown(path: Path) -> str:
    """``path`` relative to the working directory where it is inside it (what a user types)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def run(args: argparse.Namespace) -> int:
    if not Path(args.config).exists():
        print(f"sitewatch demo: no configuration at {args.config!r} (run from the repository, or pass --config)",
              file=sys.stderr)
        return 2
    state = Path(args.state_dir).resolve()
    state.mkdir(parents=True, exist_ok=True)
    fleet = state / "fleet.yaml"
    fleet.unlink(missing_ok=True)
    fmt = getattr(args, "log_format", None)
    log_format = ["--log-format", fmt] if fmt else []
    sim = subprocess.Popen([sys.executable, "-m", "sitewatch", *log_format, "simulate", "--config", args.config,
                            "--state-dir", str(state / "simulator"), "--control", args.control,
                            "--write-config", str(fleet)])
    # stands in for the SMS gateway, Telegram and SMTP the example's channels point at: the
    # pages sitewatch sends are printed here, ack links and all
    inbox = subprocess.Popen([sys.executable, "-m", "sitewatch.simulator.lab_inbox"])
    try:
        deadline = time.monotonic() + 120
        while not fleet.exists():
            if sim.poll() is not None:
                print("sitewatch demo: the simulator exited", file=sys.stderr)
                return 1
            if time.monotonic() > deadline:
                print("sitewatch demo: the simulated fleet did not come up within 120 s", file=sys.stderr)
                return 1
            time.sleep(0.2)
        print(f"sitewatch demo: simulated fleet up; metrics at http://{args.listen}/metrics, "
              f"simulator control at http://{args.control}/sites\n"
              f"sitewatch demo: the fleet's own configuration (every site on 127.0.0.1) is {_shown(fleet)}: "
              f"use it with 'sitewatch poll SITE --config {_shown(fleet)}'", flush=True)
        from sitewatch.daemon import run_daemon

        return run_daemon(fleet, listen=args.listen, state_dir=str(state / "state"),
                          poll_interval=args.poll_interval, traps_listen=args.traps_listen,
                          **({"log_format": fmt} if fmt else {}))
    finally:
        for child in (sim, inbox):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(15)
                except subprocess.TimeoutExpired:
                    os.kill(child.pid, signal.SIGKILL)
