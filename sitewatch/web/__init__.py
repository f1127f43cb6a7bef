"""The one HTTP application: ``/metrics``, health, the JSON API (sites, incidents, maintenance,
paging history, on-call) and the signed acknowledgement pages.

``app.build_app`` assembles it; each route module is small and calls the services
(``IncidentService``, the escalation engine's history, the on-call schedule), never the store.
``access`` checks tokens, scopes and hosts; ``server`` runs it inside the daemon's event loop.
"""
