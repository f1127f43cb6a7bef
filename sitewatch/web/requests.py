"""What every JSON route of the API shares: reading a request (body, path ids, times, text
fields) and answering a write.

Bad input is a 4xx with a JSON ``{"error": ...}``: an id beyond SQLite's integers is 404, a
body that is not a JSON object (or nested past ``json``'s recursion limit) 400, a field of the
wrong type or longer than its limit (``MAX_TEXT``) 400. A write needs a token with the ``write``
scope (``sitewatch.web.access`` checks it and leaves its name); the actor recorded on the timeline
is the token, ``api:<token name>``: a name given in the body is the caller's claim, so it goes
into the comment (``as <name>: ...``), never into "acknowledged by".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sitewatch.incidents.errors import IncidentError, IncidentNotFound, MaintenanceNotFound

__all__ = ["MAX_NAME", "MAX_TEXT", "Handler", "WriteHandler", "claimed", "error", "json_body", "path_id",
           "text_field", "time_field", "write"]

#: the longest comment or maintenance reason accepted, in characters
MAX_TEXT = 4000
#: the longest actor or author name accepted, in characters
MAX_NAME = 200
_MAX_ID = 2**63 - 1  # SQLite's INTEGER

Handler = Callable[[Request], Awaitable[Response]]
#: a write: the request and the name of the token that made it
WriteHandler = Callable[[Request, str], Awaitable[Response]]


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def write(handler: WriteHandler) -> Handler:
    """``handler`` behind a token (401 without one), its errors as 404/409/400 answers."""
    async def guarded(request: Request) -> Response:
        name: str | None = getattr(request.state, "token", None)
        if name is None:
            return JSONResponse({"error": "a valid bearer token is required"}, status_code=401,
                                headers={"WWW-Authenticate": 'Bearer realm="sitewatch"'})
        try:
            return await handler(request, name)
        except (IncidentNotFound, MaintenanceNotFound) as e:
            return error(404, str(e))
        except (IncidentError, ValueError) as e:
            return error(409 if isinstance(e, IncidentError) else 400, str(e))
    guarded.__doc__ = handler.__doc__  # the OpenAPI schema is read from the docstrings
    return guarded


async def json_body(request: Request) -> dict[str, Any]:
    """The body as a JSON object; ``{}`` when empty; ValueError (400) otherwise."""
    if not (await request.body()).strip():
        return {}
    try:
        data = await request.json()
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json can parse
        raise ValueError("the body must be JSON") from None
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def claimed(data: Mapping[str, Any], text: str | None) -> str | None:
    """The comment, with the name the caller gave (unverified: a token is not a person)."""
    who = text_field(data, "actor", limit=MAX_NAME)
    if who is None:
        return text
    return f"as {who}: {text}" if text else f"as {who}"


def time_field(value: object, field: str) -> float:
    """An ISO 8601 time with offset, or unix seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if dt.tzinfo is not None:
                return dt.timestamp()
    raise ValueError(f"{field}: expected an ISO 8601 time with an offset (2026-11-22T22:00:00+07:00) or unix seconds")


def text_field(data: Mapping[str, Any], key: str, *, limit: int, required: bool = False) -> str | None:
    """A string field, stripped; None when absent or blank (unless required)."""
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError(f"{key}: {'a non-empty string is required' if required else 'expected a string'}")
    if len(value) > limit:
        raise ValueError(f"{key}: at most {limit} characters (got {len(value)})")
    return value.strip() or None


def path_id(request: Request, key: str) -> int:
    value: int = request.path_params[key]
    if value > _MAX_ID:
        raise (IncidentNotFound(value) if key == "incident_id" else MaintenanceNotFound(value))
    return value
