"""uvicorn inside an asyncio program that owns its own signals."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import uvicorn

__all__ = ["EmbeddedServer"]


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server run as one task of a larger program: it leaves signal handling to the
    program (uvicorn would otherwise replace SIGINT/SIGTERM handlers while it serves)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield
