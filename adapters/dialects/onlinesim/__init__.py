"""OnlineSIM's API (`/api/{method}.php`) on the same core (docs/vendor/onlinesim-protocol.md).

Every answer is JSON with HTTP 200: `{"response":1,…}` on success, `{"response":"<WORD>"}`
on failure, and `getState` a list of operations.
"""

from __future__ import annotations

from aiohttp import web

from proxy.service import Clients

from ..codes import Vocabulary
from .frame import NAME, make_handler
from .methods import METHODS
from .rent import RENT_METHODS

PATHS = ("/api/{method}.php", "/onlinesim/api/{method}.php")
RENT_PATHS = ("/api/rent/{method}.php", "/onlinesim/api/rent/{method}.php")


def routes(service: Clients, vocab: Vocabulary) -> list[web.RouteDef]:
    handler = make_handler(METHODS, service, vocab)
    renting = make_handler(RENT_METHODS, service, vocab)
    return [
        web.route(verb, path, serve)
        for paths, serve in ((PATHS, handler), (RENT_PATHS, renting))
        for path in paths
        for verb in ("GET", "POST")
    ]

__all__ = ["NAME", "routes"]
