"""The state directory and the files in it are the daemon's alone: 0700 and 0600.

They hold phone numbers, email addresses, who was paged for what, and the key that signs
acknowledge links. A directory or file someone else can read (made by an older sitewatch, or
copied in with a loose umask) is tightened at start and said loudly in the log, since whatever
it held may have been read already.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

__all__ = ["DIR_MODE", "FILE_MODE", "private_dir", "private_file"]

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Make ``path`` (0700; missing parents with the process umask) or tighten the one there."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _tighten(path, DIR_MODE, "directory")
    return path


def private_file(path: Path, *, create: bool = True) -> Path:
    """Make ``path`` empty at 0600 if it is missing (``create``), or tighten the one there."""
    if create:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
            return path
        except FileExistsError:
            pass
    if path.exists():
        _tighten(path, FILE_MODE, "file")
    return path


def _tighten(path: Path, mode: int, what: str) -> None:
    was = stat.S_IMODE(path.stat().st_mode)
    if was & 0o077:
        os.chmod(path, was & ~0o077 | mode)
        log.error("state %s %s was open to other users (mode %04o); made it %04o. Anything it held (contacts, "
                  "acknowledge links) may have been read: rotate the ack link secret (notifications.ack_links."
                  "secret, or delete ack-links.key in the state directory)", what, path, was, was & ~0o077 | mode)
