"""Who may reach what on the HTTP listener.

Public, for anyone who can reach the listener: ``/healthz``, ``/readyz`` (probes) and
``/ack/*`` (the acknowledge pages behind signed links, opened from on-call phones); ``/metrics``
too unless ``api.metrics_auth`` is set. Everything else (the site, incident, maintenance and
on-call API, the calendars, the OpenAPI schema) needs ``Authorization: Bearer <token>`` with a
token from ``api.tokens``: reads (GET, HEAD) the ``read`` scope, writes the ``write`` scope;
``/metrics`` under ``metrics_auth`` the ``read`` or ``metrics`` scope. No token: 401; a token
without the scope: 403. The token's name is left in ``request.state.token`` for the timeline.

Before any of that the Host header is checked (DNS rebinding: a web page on an attacker's
name that resolves to the listener's address must not read it through the on-call's browser):
IP addresses, ``localhost``, the listen host, the ack links' host and ``api.allowed_hosts``
are answered; other names get 400. Like Starlette's ``TrustedHostMiddleware``, which cannot
admit every IP literal (a listener on 0.0.0.0 does not know its addresses).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from sitewatch.config.incident_schema import ApiScope
from sitewatch.config.schema import Config

__all__ = ["PUBLIC_PATHS", "AccessControl", "token_owner"]

#: answered without a token
PUBLIC_PATHS = ("/healthz", "/readyz")
_PUBLIC_PREFIXES = ("/ack/",)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def token_owner(config: Config, header: str | None) -> tuple[str, frozenset[ApiScope]] | None:
    """The name and scopes of the token in an ``Authorization: Bearer`` header, or None."""
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return None
    found = None
    for name, token in config.api.tokens.items():
        # compare against every token, in constant time each, so timing tells nothing
        if hmac.compare_digest(given.strip().encode(), token.reveal().encode()):
            found = (name, frozenset(token.scopes))
    return found


def _host_allowed(config: Config, host: str) -> bool:
    allowed = config.api.allowed_hosts
    if "*" in allowed:
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return True  # rebinding needs a name; an address is what it says
    listen_host = config.daemon.listen.rpartition(":")[0].strip("[]").lower()
    ack_host = (urlsplit(config.notifications.ack_links.base_url).hostname or "").lower()
    if host in ("localhost", listen_host, ack_host):
        return True
    return any(host == p.lower() or (p.startswith("*.") and host.endswith(p[1:].lower())) for p in allowed)


def _required(config: Config, path: str, method: str) -> tuple[ApiScope, ...]:
    """The scopes any one of which admits the request; () for a public path."""
    if path in PUBLIC_PATHS or path.startswith(_PUBLIC_PREFIXES):
        return ()
    if path == "/metrics":
        return (ApiScope.READ, ApiScope.METRICS) if config.api.metrics_auth else ()
    return (ApiScope.READ,) if method in _SAFE_METHODS else (ApiScope.WRITE,)


class AccessControl:
    """ASGI middleware: the Host check, then the token and scope check. ``config()`` is the
    current configuration, so a reload takes effect at once."""

    def __init__(self, app: ASGIApp, config: Callable[[], Config]) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        config = self.config()
        headers = Headers(scope=scope)
        raw_host = headers.get("host")
        if raw_host is not None:
            host = urlsplit(f"//{raw_host}").hostname
            if not host or not _host_allowed(config, host):
                await JSONResponse({"error": f"this server does not answer to host {raw_host!r}; "
                                             "add it to api.allowed_hosts"}, status_code=400)(scope, receive, send)
                return
        needed = _required(config, scope["path"], scope["method"])
        if needed:
            owner = token_owner(config, headers.get("authorization"))
            if owner is None:
                await JSONResponse(
                    {"error": f"a bearer token with the {needed[0].value} scope is required "
                              "(Authorization: Bearer <token>, a token from api.tokens)"},
                    status_code=401, headers={"WWW-Authenticate": 'Bearer realm="sitewatch"'})(scope, receive, send)
                return
            name, scopes = owner
            if not scopes.intersection(needed):
                await JSONResponse({"error": f"token {name!r} lacks the {needed[0].value} scope"},
                                   status_code=403)(scope, receive, send)
                return
            scope.setdefault("state", {})["token"] = name
        await self.app(scope, receive, send)
