"""systemd's service notifications (sd_notify(3)): ``READY=1``, ``STATUS=...``, ``WATCHDOG=1`` and
``STOPPING=1`` as datagrams to the socket in ``$NOTIFY_SOCKET``.

Outside systemd (no ``NOTIFY_SOCKET``) every call does nothing. The watchdog is enabled when
systemd sets ``WATCHDOG_USEC`` (``WatchdogSec=`` in the unit) for this process
(``WATCHDOG_PID`` unset or ours), as sd_watchdog_enabled(3) decides; pings go at half the interval.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Mapping

__all__ = ["ServiceNotifier", "keep_watchdog"]

log = logging.getLogger(__name__)


class ServiceNotifier:
    def __init__(self, address: str | None, watchdog_interval: float | None = None) -> None:
        # a leading "@" names a socket in the abstract namespace
        self.address = "\0" + address[1:] if address and address.startswith("@") else address
        #: seconds after which systemd deems the service hung without a ``WATCHDOG=1``
        self.watchdog_interval = watchdog_interval
        self._failing = False

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> ServiceNotifier:
        usec, pid = environ.get("WATCHDOG_USEC", ""), environ.get("WATCHDOG_PID", "")
        interval = None
        if usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            interval = int(usec) / 1e6
        return cls(environ.get("NOTIFY_SOCKET") or None, interval)

    def notify(self, *assignments: str) -> bool:
        """Send ``KEY=value`` lines in one datagram; False if there is nowhere to send or it failed
        (a failure is logged once until a send works again)."""
        if self.address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
                s.setblocking(False)  # a full queue at systemd's end must not stall the loop
                s.sendto("\n".join(assignments).encode(), self.address)
        except OSError as e:
            if not self._failing:
                log.warning("cannot notify systemd at %s: %s", self.address.replace("\0", "@"), e)
            self._failing = True
            return False
        self._failing = False
        return True


async def keep_watchdog(notifier: ServiceNotifier, alive: Callable[[], bool]) -> None:
    """Send ``WATCHDOG=1`` at half the watchdog interval, but only while ``alive()``: when it stays
    false for the whole interval systemd restarts the service. Returns at once when the watchdog
    is not enabled."""
    interval = notifier.watchdog_interval
    if interval is None or notifier.address is None:
        return
    while True:
        if alive():
            notifier.notify("WATCHDOG=1")
        await asyncio.sleep(interval / 2)
