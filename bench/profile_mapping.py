"""Micro-benchmark: ``CompiledProfiles.readings`` for UPS-MIB + IF-MIB, the poll path's mapping.

Raw values are what a client returns for the real deltaups recording (Minuteman UPS), trimmed to
4 interfaces and given the ifName/ifAlias that card lacks: the system group and UPS-MIB scalars
(the plan GETs 15 OIDs; 12 have values), one input phase, and 4 interfaces x 6 IF-MIB columns.
Three cases:

- ``steady``: every poll brings new objects with the values of the previous poll (the common
  case: most values do not change between polls);
- ``drifting``: uptime, battery voltage, runtime and input voltage change on every poll;
- ``cold``: every value is new to the mapping (first poll of a site, or caches cleared).

Run: ``python bench/profile_mapping.py``. Prints CPU µs per site-poll (process time, best of 7
runs: the machine is shared, and wall time mostly measures the neighbours).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sitewatch.core.model import SnmpValue
from sitewatch.snmp.profiles import CompiledProfiles, compile_profiles, load_profiles
from tests.agents import FIXTURES
from tests.profiles.snmprec import apply_plan, read_snmprec

N = 10_000


def _fresh(raw: dict[str, SnmpValue]) -> dict[str, SnmpValue]:
    """The same values in new objects, as a client decoding a new response produces them."""
    return {k: (bytes(bytearray(v)) if isinstance(v, bytes) else v) for k, v in raw.items()}


def _best(fn: Callable[[], None], runs: int = 7) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best / N * 1e6


def main() -> None:
    profiles = load_profiles()
    compiled = compile_profiles([profiles["ups-mib"], profiles["if-mib"]])
    base = apply_plan(read_snmprec(FIXTURES / "deltaups.snmprec"), compiled.plan)
    base = {k: v for k, v in base.items() if not (k.startswith("1.3.6.1.2.1.2.2.1.") and k.endswith(".5"))}
    interfaces = sorted(k.rsplit(".", 1)[1] for k in base if k.startswith("1.3.6.1.2.1.2.2.1.8."))
    for i in interfaces:
        base[f"1.3.6.1.2.1.31.1.1.1.1.{i}"] = f"eth{i}".encode()         # ifName
        base[f"1.3.6.1.2.1.31.1.1.1.18.{i}"] = f"uplink {i}".encode()    # ifAlias
    print(f"profiles: {', '.join(compiled.names)}; plan: {len(compiled.plan.scalars)} scalars, "
          f"{len(compiled.plan.columns)} columns; raw values: {len(base)}; interfaces: {len(interfaces)}; "
          f"readings: {len(compiled.readings(base))}")

    steady = [_fresh(base) for _ in range(64)]
    drifting = []
    for i in range(N):
        r = dict(base)
        r["1.3.6.1.2.1.1.3.0"] = 340585 + i * 3000
        r["1.3.6.1.2.1.33.1.2.5.0"] = 400 + i % 997
        r["1.3.6.1.2.1.33.1.2.3.0"] = i % 1009
        r["1.3.6.1.2.1.33.1.3.3.1.3.1"] = 100 + i % 991
        drifting.append(r)

    def run_steady() -> None:
        readings = compiled.readings
        for i in range(N):
            readings(steady[i & 63])

    def run_drifting() -> None:
        readings = compiled.readings
        for r in drifting:
            readings(r)

    for name, fn in (("steady", run_steady), ("drifting", run_drifting)):
        print(f"{name:9s} {_best(fn):6.1f} µs per site-poll")
    print(f"{'cold':9s} {_cold(compiled, base):6.1f} µs per site-poll")


def _cold(compiled: CompiledProfiles, base: dict[str, SnmpValue], polls: int = 2000, runs: int = 7) -> float:
    """Every poll brings values never seen before (a different number in every cell)."""
    best = float("inf")
    for run in range(runs):
        batch = [{k: (v + (run * polls + i) * 7919 if type(v) is int else
                      v + str(run * polls + i).encode() if type(v) is bytes else v)
                  for k, v in base.items()} for i in range(polls)]
        t0 = time.process_time()
        for r in batch:
            compiled.readings(r)
        best = min(best, time.process_time() - t0)
    return best / polls * 1e6


if __name__ == "__main__":
    main()
