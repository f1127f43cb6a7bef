"""Errors of the incident lifecycle, under ``SitewatchError`` (the database's own are
``sitewatch.store.errors``).

    SitewatchError
    └── IncidentError            a command that cannot be carried out (the API maps these to 4xx)
        ├── IncidentNotFound     no incident with that id                       (404)
        ├── InvalidTransition    e.g. acknowledging a resolved incident          (409)
        │   └── StillActive      resolving by hand what the last poll still finds (409)
        ├── MaintenanceNotFound  no (undeleted) maintenance window with that id  (404)
        └── InvalidMaintenance   a window without author/reason, end before start (422)

Messages are written for the operator who typed the command.
"""

from __future__ import annotations

from sitewatch.core.errors import SitewatchError

__all__ = [
    "IncidentError",
    "IncidentNotFound",
    "InvalidMaintenance",
    "InvalidTransition",
    "MaintenanceNotFound",
    "StillActive",
]


class IncidentError(SitewatchError):
    """A command on incidents or maintenance windows cannot be carried out."""


class IncidentNotFound(IncidentError):
    def __init__(self, incident_id: int) -> None:
        self.incident_id = incident_id
        super().__init__(f"no incident #{incident_id}")


class InvalidTransition(IncidentError):
    """The incident's state does not allow the command (e.g. acknowledging a resolved incident)."""


class StillActive(InvalidTransition):
    """A manual resolve of an incident whose condition the evaluator still finds: it would
    never be reported again. Acknowledge it, put the site in maintenance, or force the resolve."""


class MaintenanceNotFound(IncidentError):
    def __init__(self, window_id: int) -> None:
        self.window_id = window_id
        super().__init__(f"no maintenance window #{window_id}")


class InvalidMaintenance(IncidentError):
    """A maintenance window that cannot be created as given."""
