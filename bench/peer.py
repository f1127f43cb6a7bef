"""The peer: Debian's prometheus-snmp-exporter (0.21) doing sitewatch's fetch plan.

Its ``snmp.yml`` is written from the same ``FetchPlan`` sitewatch polls with (``get:`` the
plan's scalars, ``walk:`` its columns, same max-repetitions, timeout and retries), so both ask
the agent for the same objects. 0.21 predates the auth split (0.23): modules sit at the top of
the file, each with its own ``version`` and ``auth``. The exporter also renders the text
exposition on every scrape, which sitewatch does only when Prometheus scrapes it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from types import TracebackType

import yaml

from sitewatch.snmp.client import FetchPlan

__all__ = ["MODULE", "Exporter", "agent_values", "exporter_config", "metric_name", "scrape_marker", "verify_scrape"]

MODULE = "get36"

_LINE = re.compile(r"^\.?([\d.]+) = (?:([\w-]+): )?(.*)$")


def metric_name(oid: str) -> str:
    return "oid_" + oid.replace(".", "_")


def _object(oid: str) -> str:
    """The metric OID of a GET: the object for a scalar's ``.0``, else the whole instance OID."""
    return oid.removesuffix(".0") if oid.endswith(".0") else oid


def scrape_marker(plan: FetchPlan) -> str:
    """A metric every successful scrape carries (the plan's first scalar, sysUpTime for profiles)."""
    return metric_name(_object(plan.scalars[0]))


def agent_values(port: int, plan: FetchPlan, community: str = "public") -> dict[str, tuple[str, str]]:
    """What the agent answers for the plan, read with net-snmp's tools: OID -> (type, value)."""
    env = dict(os.environ, MIBS="", MIBDIRS="/nonexistent")
    base = ["-v2c", "-c", community, "-On", "-Oe", "-Ot", "-t", "2", "-r", "1", f"127.0.0.1:{port}"]
    out = subprocess.run(["snmpget", *base, *plan.scalars], capture_output=True, text=True, env=env, check=True).stdout
    for col in plan.columns:
        out += subprocess.run(["snmpbulkwalk", *base, col], capture_output=True, text=True, env=env,
                              check=True).stdout
    values: dict[str, tuple[str, str]] = {}
    for line in out.splitlines():
        m = _LINE.match(line)
        if m and not m.group(3).startswith("No Such"):
            typ = m.group(2) or ("STRING" if m.group(3).startswith('"') else "")  # "" prints without a type
            values[m.group(1)] = (typ.upper(), m.group(3).strip('"'))
    return values


def exporter_config(plan: FetchPlan, values: dict[str, tuple[str, str]], *, timeout: float = 2.0,
                    retries: int = 1, community: str = "public") -> dict[str, object]:
    """The runtime snmp.yml (0.21 format) for one module doing the plan."""

    def kind(oid: str) -> str:
        typ = next((t for o, (t, _) in values.items() if o == oid or o.startswith(oid + ".")), "INTEGER")
        return "DisplayString" if typ in ("STRING", "OID", "HEX-STRING") else "gauge"

    objects = dict.fromkeys(_object(o) for o in plan.scalars)  # x.0 and its fallback x: one metric
    metrics: list[dict[str, object]] = [
        {"name": metric_name(o), "oid": o, "type": kind(o), "help": o} for o in objects
    ]
    metrics += [{"name": metric_name(c), "oid": c, "type": kind(c), "help": c,
                 "indexes": [{"labelname": "index", "type": "gauge"}]} for c in plan.columns]
    return {MODULE: {
        "version": 2, "auth": {"community": community}, "timeout": f"{timeout:g}s", "retries": retries,
        "max_repetitions": _max_repetitions(plan), "get": list(plan.scalars), "walk": list(plan.columns),
        "metrics": metrics,
    }}


def _max_repetitions(plan: FetchPlan) -> int:
    """0.21 also splits its GETs into chunks of max_repetitions OIDs: a plan with no walk gets the
    plan's GET size instead, so its GET goes in as few requests as sitewatch's."""
    return plan.max_repetitions if plan.columns else max(plan.max_repetitions, plan.max_varbinds_per_get)


class Exporter:
    """prometheus-snmp-exporter on 127.0.0.1, started with a generated config; stopped by pid."""

    def __init__(self, config: dict[str, object]) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="snmp-exporter-"))
        self.config_path = self.workdir / "snmp.yml"
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Exporter:
        exe = shutil.which("prometheus-snmp-exporter")
        if exe is None:
            raise RuntimeError("prometheus-snmp-exporter is not installed (apt-get install prometheus-snmp-exporter)")
        with open(self.workdir / "exporter.log", "wb") as log:
            self.proc = subprocess.Popen([exe, f"--config.file={self.config_path}", "--log.level=warn",
                                          f"--web.listen-address=127.0.0.1:{self.port}"],
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"snmp_exporter exited: {(self.workdir / 'exporter.log').read_text()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("snmp_exporter did not start listening")

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        shutil.rmtree(self.workdir, ignore_errors=True)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def path(self, agent_port: int) -> str:
        return f"/snmp?target=127.0.0.1:{agent_port}&module={MODULE}"

    def scrape(self, agent_port: int) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{self.path(agent_port)}", timeout=10) as r:
            return str(r.read().decode())


def verify_scrape(text: str, plan: FetchPlan, values: dict[str, tuple[str, str]]) -> list[str]:
    """Problems with one scrape: every numeric scalar must carry the agent's value and every
    column as many series as the agent has rows. Empty when the scrape is right."""
    problems = []
    samples: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name = re.split(r"[{ ]", line, maxsplit=1)[0]
            samples.setdefault(name, []).append(line.rsplit(" ", 1)[1])
    for oid in plan.scalars:
        typ, want = values.get(oid, ("", ""))
        got = samples.get(metric_name(_object(oid)))
        if not got:
            problems.append(f"{oid}: missing from the scrape")
        elif typ in ("INTEGER", "GAUGE32") and float(got[0]) != float(want.split()[0]):  # counters move
            problems.append(f"{oid}: scrape says {got[0]}, agent says {want}")
    for col in plan.columns:
        rows = sum(1 for o in values if o.startswith(col + "."))
        got = samples.get(metric_name(col), [])
        if len(got) != rows:
            problems.append(f"{col}: {len(got)} series, agent has {rows} rows")
    return problems
