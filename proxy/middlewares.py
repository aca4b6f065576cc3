"""Cross-cutting request handling: request metrics and log lines, and no tracebacks ever."""

from __future__ import annotations

import itertools
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from .keys import REQUEST_NOTE
from .metrics import Metrics, upstream_calls
from .served import Served

log = logging.getLogger("smsproxy")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# request ids: a random prefix per process and a counter (unique, and far cheaper than uuid4)
_ID_PREFIX = secrets.token_hex(4)
_ids = itertools.count(1)


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "(no route)"


def observe_requests(metrics: Metrics | None, served: Served) -> Middleware:
    """One record per client request (its metrics sample and log line are made in
    batches, proxy/served.py), and no traceback ever (one middleware: each layer costs
    every request). The query string (which carries keys in the handler_api dialects)
    is never logged."""

    @web.middleware
    async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        calls = [0]
        token = upstream_calls.set(calls)
        if metrics is not None:
            metrics.serving += 1
        try:
            response = await handler(request)
        except web.HTTPException as refused:
            _served(served, request, refused.status, started, calls[0])
            raise
        except Exception:  # no traceback ever reaches a client
            # the route's pattern, not the path: a path can carry a secret (the webhook's)
            log.exception("unhandled error on %s", _route(request))
            response = web.Response(status=500, text="Internal Server Error")
        finally:
            upstream_calls.reset(token)
            if metrics is not None:
                metrics.serving -= 1
        # always our own: a caller's id is logged, and a caller may send anything in it
        # (SMS-Activate keys are hex tokens, as request ids are)
        response.headers["X-Request-Id"] = _served(
            served, request, response.status, started, calls[0]
        )
        return response

    return observe


def _served(served: Served, request: web.Request, status: int, started: float, calls: int) -> str:
    request_id = f"{_ID_PREFIX}{next(_ids) & 0xFFFFFFFF:08x}"
    note = request.get(REQUEST_NOTE)
    if note is not None:
        served.add(request_id, note, status, time.perf_counter() - started, calls)
    return request_id
