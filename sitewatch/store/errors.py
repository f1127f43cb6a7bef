"""Errors of the database, under ``SitewatchError``.

    SitewatchError
    └── StoreError           the database cannot be opened or used
        └── SchemaTooNew     written by a newer sitewatch: refuse rather than guess
"""

from __future__ import annotations

from sitewatch.core.errors import SitewatchError

__all__ = ["SchemaTooNew", "StoreError"]


class StoreError(SitewatchError):
    """The database cannot be opened or used."""


class SchemaTooNew(StoreError):
    """The database was written by a newer sitewatch (its schema version is unknown here)."""

    def __init__(self, path: str, found: int, known: int) -> None:
        self.found = found
        self.known = known
        super().__init__(
            f"{path}: schema version {found} is newer than this sitewatch knows ({known}); "
            "run the newer sitewatch, or restore a backup made by this version")
