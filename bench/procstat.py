"""What the bench reads about processes it did not write: CPU and peak memory from /proc,
and the machine it ran on.

The peer (snmp_exporter) and the agent (snmpd) are other programs, so their cost is read from
``/proc/PID/stat`` (utime + stime) and ``/proc/PID/status`` (VmHWM), before and after a run.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

__all__ = ["cpu_seconds", "load_average", "machine_info", "peak_rss_mb", "snmp_counter"]

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()  # the command name may contain spaces
    return (int(fields[11]) + int(fields[12])) / _TICK


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size (VmHWM), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for pid {pid}")


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def snmp_counter(port: int, oid: str, community: str = "public") -> int:
    """One counter of the agent on 127.0.0.1:port, read with net-snmp's ``snmpget``."""
    out = subprocess.run(["snmpget", "-v2c", "-c", community, "-Oqv", "-t", "2", f"127.0.0.1:{port}", oid],
                         check=True, capture_output=True, text=True, env=dict(os.environ, MIBS=""))
    return int(out.stdout.split()[0])


def machine_info() -> dict[str, object]:
    """nproc, CPU model, kernel, Python and the versions of the programs compared."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))

    def version(cmd: list[str]) -> str:
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return "not installed"
        text = (out.stdout + out.stderr).strip().splitlines()
        return text[0] if text else "?"

    from importlib.metadata import version as pkg_version

    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "pysnmp": pkg_version("pysnmp"),
        "snmpd": " ".join(version(["snmpd", "-v"]).replace("NET-SNMP version:", "net-snmp").split()),
        "snmp_exporter": version(["prometheus-snmp-exporter", "--version"]),
    }
