"""TextVerified's REST API v2 (`/api/pub/v2/*`) on the same core
(docs/vendor/textverified-protocol.md): bearer tokens issued by the proxy, JSON answers,
errors as `{"errorCode","errorDescription"}` with HTTP status codes."""

from __future__ import annotations

from aiohttp import web

from proxy.service import Clients

from .frame import NAME, Tokens, error, wrap
from .routes import ROUTES, authenticate

PREFIXES = ("", "/textverified")


def routes(service: Clients) -> list[web.RouteDef]:
    tokens = Tokens(service.clock.now)
    found = []
    for prefix in PREFIXES:
        base = f"{prefix}/api/pub/v2"
        found.append(
            web.post(base + "/auth", wrap(service, tokens, "auth", authenticate, auth=True))
        )
        for method, path, name, handler in ROUTES:
            found.append(web.route(method, base + path, wrap(service, tokens, name, handler)))
        found.append(web.route("*", base + "/{tail:.*}", not_found))
    return found


async def not_found(_request: web.Request) -> web.Response:
    """A path or method this API does not have, in its own error shape."""
    return error(404, "NotFound", "No such endpoint.")

__all__ = ["NAME", "routes"]
