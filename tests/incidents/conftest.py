"""A small site tree in Gia Lai and Kon Tum, and a real incident database file per test.

    PROV  provincial station, Pleiku (Gia Lai)
    ├── AGG   district station, Chư Sê
    │   ├── BTS-HOSP   BTS serving a hospital (criticality critical), Chư Sê
    │   └── BTS-2      BTS, Chư Sê
    └── BTS-3          BTS, Pleiku
    KT-1  BTS in Kon Tum, no parent
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sitewatch.config.schema import Criticality, Site, SiteKind
from sitewatch.core.conditions import Condition, RuntimeEstimate, Summary, Transition, TransitionKind
from sitewatch.incidents.lifecycle import IncidentLifecycle
from sitewatch.store.incidents import IncidentStore
from tests.store import incident_store

T0 = 1_790_000_000.0  # 2026-09-21, a fixed clock


def _site(site_id: str, kind: SiteKind, *, province: str = "Gia Lai", district: str = "", parent: str | None = None,
          criticality: Criticality = Criticality.NORMAL) -> Site:
    return Site(id=site_id, name=f"Site {site_id}", kind=kind, province=province, district=district, parent=parent,
                criticality=criticality)


SITES: dict[str, Site] = {s.id: s for s in (
    _site("PROV", SiteKind.TELECOM_STATION, district="Pleiku", criticality=Criticality.HIGH),
    _site("AGG", SiteKind.TELECOM_STATION, district="Chư Sê", parent="PROV"),
    _site("BTS-HOSP", SiteKind.BTS, district="Chư Sê", parent="AGG", criticality=Criticality.CRITICAL),
    _site("BTS-2", SiteKind.BTS, district="Chư Sê", parent="AGG"),
    _site("BTS-3", SiteKind.BTS, district="Pleiku", parent="PROV"),
    _site("KT-1", SiteKind.BTS, province="Kon Tum", district="Đắk Tô"),
)}


def tr(site: str, condition: Condition, kind: TransitionKind = TransitionKind.OPENED, *, at: float = T0,
       subject: str = "", summary: Summary | str = "", source: str = "poll", flapping: bool = False,
       runtime: RuntimeEstimate | None = None) -> Transition:
    """A transition; a ``summary`` given as text stands for any summary (shown as it is)."""
    summary = Summary(text=summary) if isinstance(summary, str) else summary
    return Transition(site_id=site, condition=condition, subject=subject, kind=kind, at=at, summary=summary,
                      source=source, flapping=flapping, runtime=runtime)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "incidents.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[IncidentStore]:
    with incident_store(db_path) as s:
        yield s


@pytest.fixture
def life(store: IncidentStore) -> IncidentLifecycle:
    return IncidentLifecycle(store, SITES)
