"""The simulator's HTTP control API, on loopback.

    GET  /sites                          every site's state
    GET  /sites/{id}                     one site's state
    POST /sites/{id}/mains               {"ok": false}
    POST /sites/{id}/battery             {"drain_per_minute": 0.02, "charge": 0.8}
                                         (either or both; "drain_per_minute": null = follow the load)
    POST /sites/{id}/links/{ifname}      {"up": false}
    POST /sites/{id}/generator           {"running": true}
    POST /sites/{id}/agent               {"answering": false}
    POST /sites/{id}/alarms/{name}       {"active": true}   a UPS-MIB well-known alarm (battery_bad, ...)
    POST /sites/{id}/bypass              {"on": true}       UPS output on bypass
    POST /sites/{id}/input               {"volts": 170} every phase, {"phase": 2, "volts": 0} one,
                                         {"hz": 45.5}; null = as the device has it
    POST /sites/{id}/temperature         {"celsius": 45}    room temperature (null: as the device has it)
    POST /sites/{id}/door                {"open": true}
    POST /sites/{id}/smoke               {"detected": true}
    POST /clock/advance                  {"seconds": 600}

Every POST answers with the site's new state (``Fleet.status``). Errors: 400 bad body or value
(out of range, unknown alarm name), 404 unknown site or interface, 409 a change the site's
device cannot show (no generator, no UPS alarm table on a DC plant).
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sitewatch.simulator.fleet import Fleet, InvalidValue
from sitewatch.web.server import EmbeddedServer

__all__ = ["ControlServer", "build_control_app"]


class _BadRequest(ValueError):
    pass


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise _BadRequest("the body must be JSON") from None
    if not isinstance(body, dict):
        raise _BadRequest("the body must be a JSON object")
    return body


def _flag(body: dict[str, Any], key: str) -> bool:
    value = body.get(key)
    if not isinstance(value, bool):
        raise _BadRequest(f'expected {{"{key}": true|false}}')
    return value


def _ratio(body: dict[str, Any], key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _BadRequest(f"{key} must be a number")
    return float(value)


Handler = Callable[[Fleet, str, dict[str, Any], dict[str, str]], dict[str, Any]]


def _battery(fleet: Fleet, site: str, body: dict[str, Any], _: dict[str, str]) -> dict[str, Any]:
    if not body.keys() & {"drain_per_minute", "charge"}:
        raise _BadRequest('expected {"drain_per_minute": 0.02} and/or {"charge": 0.5}')
    return fleet.set_battery(site, drain_per_minute=_ratio(body, "drain_per_minute"), charge=_ratio(body, "charge"),
                             follow_load="drain_per_minute" in body and body["drain_per_minute"] is None)


def _number(body: dict[str, Any], key: str) -> float | None:
    """A number, or null (as the device has it); the key must be there."""
    if key not in body:
        raise _BadRequest(f'expected {{"{key}": N}} (null: as the device has it)')
    return _ratio(body, key)


def _input(fleet: Fleet, site: str, body: dict[str, Any], _: dict[str, str]) -> dict[str, Any]:
    unknown = body.keys() - {"volts", "phase", "hz"}
    if unknown or not body.keys() & {"volts", "hz"} or ("phase" in body and "volts" not in body):
        raise _BadRequest('expected {"volts": V} (every phase), {"phase": N, "volts": V} and/or {"hz": F}; '
                          "null: as the device has it")
    result: dict[str, Any] = {}
    if "volts" in body:
        phase = body.get("phase")
        if phase is None:
            result = fleet.set_voltage(site, _number(body, "volts"))
        elif isinstance(phase, int) and not isinstance(phase, bool):
            result = fleet.set_phase(site, phase, _number(body, "volts"))
        else:
            raise _BadRequest("phase must be a whole number (1, 2, 3)")
    if "hz" in body:
        result = fleet.set_frequency(site, _number(body, "hz"))
    return result


_CHANGES: dict[str, Handler] = {
    "mains": lambda f, s, b, _: f.set_mains(s, _flag(b, "ok")),
    "generator": lambda f, s, b, _: f.set_generator(s, _flag(b, "running")),
    "agent": lambda f, s, b, _: f.set_agent(s, _flag(b, "answering")),
    "link": lambda f, s, b, p: f.set_link(s, p["ifname"], _flag(b, "up")),
    "battery": _battery,
    "alarm": lambda f, s, b, p: f.set_alarm(s, p["name"], _flag(b, "active")),
    "bypass": lambda f, s, b, _: f.set_bypass(s, _flag(b, "on")),
    "input": _input,
    "temperature": lambda f, s, b, _: f.set_temperature(s, _number(b, "celsius")),
    "door": lambda f, s, b, _: f.set_door(s, _flag(b, "open")),
    "smoke": lambda f, s, b, _: f.set_smoke(s, _flag(b, "detected")),
}


def build_control_app(fleet: Fleet) -> Starlette:
    """The control API over ``fleet``."""

    def guarded(work: Callable[[Request], Awaitable[Any]]) -> Callable[[Request], Awaitable[JSONResponse]]:
        async def endpoint(request: Request) -> JSONResponse:
            try:
                return JSONResponse(await work(request))
            except (_BadRequest, InvalidValue) as e:
                return JSONResponse({"error": str(e)}, status_code=400)
            except LookupError as e:
                return JSONResponse({"error": str(e.args[0] if e.args else e)}, status_code=404)
            except ValueError as e:
                return JSONResponse({"error": str(e)}, status_code=409)
        return endpoint

    async def sites(request: Request) -> Any:
        return fleet.statuses()

    async def site(request: Request) -> Any:
        return fleet.status(request.path_params["site"])

    def change(kind: str) -> Callable[[Request], Awaitable[Any]]:
        async def work(request: Request) -> Any:
            params = dict(request.path_params)
            return _CHANGES[kind](fleet, params.pop("site"), await _body(request), params)
        return work

    async def advance(request: Request) -> Any:
        seconds = _ratio(await _body(request), "seconds")
        if seconds is None or seconds < 0:
            raise _BadRequest('expected {"seconds": N} with N >= 0')
        fleet.advance(seconds)
        return {"time": fleet.clock.time()}

    routes = [
        Route("/sites", guarded(sites)),
        Route("/sites/{site}", guarded(site)),
        Route("/sites/{site}/links/{ifname:path}", guarded(change("link")), methods=["POST"]),
        Route("/sites/{site}/alarms/{name}", guarded(change("alarm")), methods=["POST"]),
        *(Route(f"/sites/{{site}}/{kind}", guarded(change(kind)), methods=["POST"])
          for kind in ("mains", "battery", "generator", "agent", "bypass", "input", "temperature", "door", "smoke")),
        Route("/clock/advance", guarded(advance), methods=["POST"]),
    ]
    return Starlette(routes=routes)


class ControlServer:
    """The control API served on ``host:port`` (port 0 = any free port; see ``port``)."""

    def __init__(self, fleet: Fleet, host: str = "127.0.0.1", port: int = 9642) -> None:
        self._sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._sock.bind((host, port))
        except OSError:
            self._sock.close()
            raise
        self.host = host
        self.port = int(self._sock.getsockname()[1])
        self._server = EmbeddedServer(uvicorn.Config(build_control_app(fleet), log_level="warning", log_config=None,
                                              access_log=False, lifespan="off", ws="none"))
        self._task: Any = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        import asyncio

        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]), name="simulator-control")
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
        self._sock.close()
