"""``/metrics``, ``/healthz`` and ``/readyz``: what Prometheus and the service manager ask."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from sitewatch.metrics.exposition import CONTENT_TYPE, Exposition

__all__ = ["Probes"]


class Probes:
    """``exposition`` renders ``/metrics``; ``ready()`` says whether to take traffic, with one
    line per check for the ``/readyz`` body."""

    def __init__(self, *, exposition: Exposition, ready: Callable[[], tuple[bool, Sequence[str]]]) -> None:
        self.exposition = exposition
        self.ready = ready

    def routes(self) -> list[Route]:
        return [Route("/metrics", self.metrics), Route("/healthz", self.healthz), Route("/readyz", self.readyz)]

    async def metrics(self, _: Request) -> Response:
        """
        summary: Prometheus metrics (text format 0.0.4)
        responses: {200: {description: the exposition}}
        """
        return Response(self.exposition.render(), media_type=CONTENT_TYPE)

    async def healthz(self, _: Request) -> Response:
        """
        summary: Liveness
        responses: {200: {description: the process is serving}}
        """
        return PlainTextResponse("ok\n")

    async def readyz(self, _: Request) -> Response:
        """
        summary: Readiness (every site polled once, or one interval passed; every vital task running)
        responses: {200: {description: "ready, one [+] line per check"}, 503: {description: "a [-] check fails"}}
        """
        ok, checks = self.ready()
        body = "".join(f"{line}\n" for line in checks)
        return PlainTextResponse(("ready\n" if ok else "not ready\n") + body, status_code=200 if ok else 503)
