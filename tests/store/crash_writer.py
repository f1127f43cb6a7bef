"""A daemon stand-in that writes incidents and evaluation state as fast as it can, one
transaction per "poll result", until it is killed. Run: ``python -m tests.store.crash_writer DB``.

Like the daemon it resumes from the stored evaluation state: each site's state says which phase
its incident is in (none → opened → updated → resolved), so after a restart it must never open
an incident that is already open, nor update or resolve one that is not. It exits with status 3
(and a message on stderr) if the store disagrees with the evaluation state it just loaded.

Sites: ``HUB`` and its children ``S0``..``S12``; the children's ``site_unreachable`` incidents are
suppressed while ``HUB``'s is open, so some transactions also touch other sites' incidents.
After each commit it prints the step number.
"""

from __future__ import annotations

import json
import sys

from sitewatch.config.schema import Site, SiteKind
from sitewatch.core.conditions import Condition, Summary, Transition, TransitionKind
from sitewatch.incidents.lifecycle import ChangeKind, IncidentLifecycle
from sitewatch.store.database import SqliteDatabase
from sitewatch.store.incidents import IncidentStore

T0 = 1_790_000_000.0
CHILDREN = 13
SITES = [Site(id="HUB", name="hub", kind=SiteKind.TELECOM_STATION, province="Gia Lai"),
         *(Site(id=f"S{i}", name=f"bts {i}", kind=SiteKind.BTS, province="Gia Lai", parent="HUB")
           for i in range(CHILDREN))]
PHASES = (TransitionKind.OPENED, TransitionKind.UPDATED, TransitionKind.RESOLVED)
EXPECT = {TransitionKind.OPENED: ChangeKind.OPENED, TransitionKind.UPDATED: ChangeKind.UPDATED,
          TransitionKind.RESOLVED: ChangeKind.RESOLVED}


def site_for(step: int) -> str:
    return "HUB" if step % 7 == 0 else f"S{step % CHILDREN}"


def main(path: str) -> int:
    store = IncidentStore(SqliteDatabase(path))
    life = IncidentLifecycle(store, SITES)
    states = {site: json.loads(blob) for site, blob in store.load_eval_states().items()}
    step = max((s["step"] for s in states.values()), default=-1) + 1
    while True:
        site = site_for(step)
        st = states.get(site, {"phase": 0, "step": -1, "counts": {"opened": 0, "updated": 0, "resolved": 0}})
        kind = PHASES[st["phase"]]
        with store.transaction():
            changes = life.apply([Transition(site_id=site, condition=Condition.SITE_UNREACHABLE, kind=kind,
                                             at=T0 + step, summary=Summary(text=f"step {step}"))], T0 + step)
            if not changes or changes[0].kind is not EXPECT[kind]:
                print(f"step {step}: {kind.value} at {site} gave {[c.kind.value for c in changes]}", file=sys.stderr)
                return 3
            counts = dict(st["counts"])
            counts[kind.value] += 1
            new = {"phase": (st["phase"] + 1) % len(PHASES), "step": step, "counts": counts}
            store.save_eval_state(site, json.dumps(new), T0 + step)
        states[site] = new
        print(step, flush=True)
        step += 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
