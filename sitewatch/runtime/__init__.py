"""Process-level services the daemon runs on, free of any monitoring domain: logging (``logs``),
systemd readiness and watchdog (``sdnotify``), the dead man's switch (``heartbeat``), task
supervision (``supervisor``) and GC tuning (``gctune``).

Why a package of its own rather than inside the daemon: the daemon's wiring (``sitewatch.daemon``,
the composition root) imports every area and sits at the top of the layers, while these helpers
import almost nothing and sit near the bottom, so the command line can set up logging without
loading the whole daemon, and the layering (import-linter, ``make lint``) can say so.
"""
