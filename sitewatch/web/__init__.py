"""The one HTTP application: ``/metrics`` and health (``probes``), the JSON API (``sites``,
``incidents``, ``maintenance``, ``history``, ``oncall``) and the signed acknowledgement pages
(``ack``).

``app.build_app`` assembles it. Each route module is a small class whose methods are the
handlers and call the services (fleet snapshot, ``IncidentService``, the escalation engine's
history, the on-call schedule), never the store. ``requests`` reads requests and answers bad
input, ``lists`` says how complete a list is, ``access`` checks tokens, scopes and hosts,
``server`` runs the app inside the daemon's event loop.
"""
