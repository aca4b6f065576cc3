"""Cross-cutting request handling: no traceback ever reaches a client."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger("smsproxy")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def no_tracebacks(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("unhandled error on %s", request.path)
        return web.Response(status=500, text="Internal Server Error")
