"""The store's tests, and how other tests open the incident repository on a real file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sitewatch.store.database import SqliteDatabase
from sitewatch.store.incidents import IncidentStore


@contextmanager
def incident_store(path: Path | str, **options: Any) -> Iterator[IncidentStore]:
    """The incidents' repository on a database opened at ``path`` (``SqliteDatabase`` options),
    closed on leaving."""
    with SqliteDatabase(path, **options) as db:
        yield IncidentStore(db)
