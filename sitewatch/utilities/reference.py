"""Request numbers: ``PCGL-20261207-003``: the utility's prefix, the local date, a sequence
that starts at 1 each local day. The utility quotes it back when it answers."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sitewatch.config.schema import Utility
from sitewatch.messages.timefmt import local

__all__ = ["next_reference", "request_prefix"]


def request_prefix(utility_id: str, utility: Utility) -> str:
    """The utility's ``request_prefix``, else its id in capitals (``pc-gialai`` → ``PC-GIALAI``)."""
    if utility.request_prefix is not None:
        return utility.request_prefix
    return re.sub(r"[^A-Z0-9-]", "-", utility_id.upper())[:16]


def next_reference(prefix: str, at: float, tz: str, issued: Iterable[str]) -> str:
    """The next free number for the local day of ``at``, given the references already issued."""
    day = f"{prefix}-{local(at, tz):%Y%m%d}-"
    taken = [int(r[len(day):]) for r in issued if r.startswith(day) and r[len(day):].isdigit()]
    return f"{day}{max(taken, default=0) + 1:03d}"
