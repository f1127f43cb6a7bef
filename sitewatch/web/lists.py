"""How every list the API serves says whether it is complete.

One convention for every list endpoint (incidents, maintenance windows, sites, on-call, an
incident's notifications): the body is a JSON object with the list under its name, ``total``
(how many match the filters) and ``shown`` (how many are in this answer); the header
``X-Total-Count`` repeats ``total``. ``shown < total`` means ``limit`` cut the list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.responses import JSONResponse

__all__ = ["TOTAL_HEADER", "list_response"]

TOTAL_HEADER = "X-Total-Count"


def list_response(name: str, items: Sequence[Any], total: int | None = None, **extra: Any) -> JSONResponse:
    """``{name: items, "total": total, "shown": len(items), **extra}`` with ``X-Total-Count``;
    ``total`` defaults to ``len(items)`` (a list never cut)."""
    count = len(items) if total is None else total
    return JSONResponse({name: list(items), "total": count, "shown": len(items), **extra},
                        headers={TOTAL_HEADER: str(count)})
