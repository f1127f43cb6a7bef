"""What one site-poll does in the benchmark: the issue's "get36", or the shipped profiles' plan.

- **get36** (issue 3's measure, ``docs/snmp-measurements.md``): one GET of 16 scalars (system +
  UPS-MIB battery/input/output) and the 20 IF-MIB instances of 4 interfaces, all by GET. Mapped
  by the bench profile ``bench/profiles/get36.yaml``, whose plan (with the shipped ``system``
  profile) is exactly those 36 OIDs.
- **profiles**: what a site configured with the shipped ``ups-mib`` + ``if-mib`` profiles costs:
  one GET of their scalars and a walk of their table columns (UPS input and alarm tables,
  IF-MIB).

sitewatch, the lean client alone and snmp_exporter (its ``snmp.yml`` written from the same
plan) all do the same work; one agent serves the objects of every work (``agent_plan``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sitewatch.snmp.client import FetchPlan
from sitewatch.snmp.profiles import CompiledProfiles, compile_profiles, load_profiles

__all__ = ["PROFILE_DIR", "WORKS", "Work", "agent_plan", "work"]

#: the bench's own device profiles (get36)
PROFILE_DIR = Path(__file__).resolve().parent / "profiles"


@dataclass(frozen=True, slots=True)
class Work:
    """One kind of site-poll: the profiles that define it, compiled."""

    name: str
    title: str
    profiles: tuple[str, ...]
    profile_dirs: tuple[str, ...]
    compiled: CompiledProfiles

    @property
    def plan(self) -> FetchPlan:
        return self.compiled.plan

    def poll_args(self) -> list[str]:
        """``bench.poll_fleet`` arguments that make its sites do this work."""
        out = ["--profiles", ",".join(self.profiles)]
        for d in self.profile_dirs:
            out += ["--profile-dir", d]
        return out

    def describe(self) -> str:
        plan = self.plan
        what = f"GET of {len(plan.scalars)} OIDs"
        if plan.columns:
            what += f" and a walk of {len(plan.columns)} table columns (max-repetitions {plan.max_repetitions})"
        return f"{self.title}: {what}"


_DEFS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "get36": ("get36 (issue 3's work: 16 scalars + 20 IF-MIB instances, by GET)", ("get36",), (str(PROFILE_DIR),)),
    "profiles": ("shipped profiles ups-mib + if-mib (scalars by GET, tables walked)", ("ups-mib", "if-mib"), ()),
}
#: every work, in report order
WORKS = tuple(_DEFS)


def work(name: str) -> Work:
    title, profiles, dirs = _DEFS[name]
    available = load_profiles(dirs)
    return Work(name=name, title=title, profiles=profiles, profile_dirs=dirs,
                compiled=compile_profiles([available[p] for p in profiles]))


def agent_plan(works: Sequence[Work]) -> FetchPlan:
    """One plan asking for every work's objects: what the bench agent must serve."""
    return FetchPlan(scalars=tuple(dict.fromkeys(o for w in works for o in w.plan.scalars)),
                     columns=tuple(dict.fromkeys(c for w in works for c in w.plan.columns)))
