"""OnlineSIM's API (`/api/{method}.php`) on the same core (docs/vendor/onlinesim-protocol.md).

Every answer is JSON with HTTP 200: `{"response":1,…}` on success, `{"response":"<WORD>"}`
on failure, and `getState` a list of operations.
"""

from __future__ import annotations

from aiohttp import web

from proxy.service import Service

from ..codes import Vocabulary
from .frame import make_handler
from .methods import METHODS

PATHS = ("/api/{method}.php", "/onlinesim/api/{method}.php")


def mount(app: web.Application, service: Service, vocab: Vocabulary) -> None:
    handler = make_handler(METHODS, service, vocab)
    for path in PATHS:
        app.router.add_route("GET", path, handler)
        app.router.add_route("POST", path, handler)
