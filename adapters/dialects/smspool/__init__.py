"""SMSPool's API on the same core (docs/vendor/smspool-protocol.md): JSON answers, HTTP
200, failures as `{"success":0,"message":…,"type":…}`."""

from __future__ import annotations

from aiohttp import web

from proxy.service import Clients

from ..codes import Vocabulary
from .endpoints import ENDPOINTS
from .frame import NAME, wrap
from .rentals import RENTAL_ENDPOINTS

PREFIXES = ("/smspool", "/api", "")  # its own prefix, a base ending in /api/, api.smspool.net


def routes(service: Clients, vocab: Vocabulary) -> list[web.RouteDef]:
    found = []
    for path, (endpoint, keyed) in {**ENDPOINTS, **RENTAL_ENDPOINTS}.items():
        handler = wrap(service, vocab, path, endpoint, keyed)
        for prefix in PREFIXES:
            found.append(web.route("GET", f"{prefix}/{path}", handler))
            found.append(web.route("POST", f"{prefix}/{path}", handler))
    return found

__all__ = ["NAME", "routes"]
