"""Every route's handler, observed: one record per request (its metrics sample and log
line, proxy/telemetry/served.py), an `X-Request-Id`, and no traceback ever.

This wraps each route's handler as it is registered rather than running as an aiohttp
middleware: any middleware at all makes aiohttp build a chain and add its own layer
(`_fix_request_current_app`) on every request, which measured as 4 % of a request
answered from state (bench/overhead.py, bytecodes counted per request).
"""

from __future__ import annotations

import itertools
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable
from time import perf_counter

from aiohttp import web

from proxy.telemetry.metrics import Metrics, upstream_calls
from proxy.telemetry.served import Served
from proxy.web.app_keys import REQUEST_NOTE

log = logging.getLogger("smsproxy")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# request ids: a random prefix per process and a counter (unique, and far cheaper than uuid4)
_ID_PREFIX = secrets.token_hex(4)
_ids = itertools.count(1)
REQUEST_ID = "X-Request-Id"


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "(no route)"


def register(
    router: web.UrlDispatcher,
    routes: Iterable[web.RouteDef],
    metrics: Metrics | None,
    served: Served,
) -> None:
    """The routes, each handler observed, registered as `router.add_route` would: a GET
    answers HEAD too only when it was declared with `web.get` (a HEAD must never run a
    handler_api action such as getNumber). The query string (which carries keys in the
    handler_api dialects) is never logged."""
    for route in routes:
        handler = _observe(route.handler, metrics, served)
        kwargs = dict(route.kwargs)
        if kwargs.pop("allow_head", False):
            router.add_route("HEAD", route.path, handler, **kwargs)
        router.add_route(route.method, route.path, handler, **kwargs)


def _observe(handler: Handler, metrics: Metrics | None, served: Served) -> Handler:
    async def observe(request: web.Request) -> web.StreamResponse:
        started = perf_counter()
        calls = [0]
        token = upstream_calls.set(calls)
        if metrics is not None:
            metrics.serving += 1
        try:
            response = await handler(request)
        except web.HTTPException as refused:
            _record(served, request, refused.status, started, calls[0])
            raise
        except Exception:  # no traceback ever reaches a client
            # the route's pattern, not the path: a path can carry a secret (the webhook's)
            log.exception("unhandled error on %s", _route(request))
            response = web.Response(status=500, text="Internal Server Error")
        finally:
            upstream_calls.reset(token)
            if metrics is not None:
                metrics.serving -= 1
        response.headers[REQUEST_ID] = _record(served, request, response.status, started, calls[0])
        return response

    return observe


def _record(served: Served, request: web.Request, status: int, started: float, calls: int) -> str:
    # always our own id: a caller's would be logged, and a caller may send anything in it
    # (SMS-Activate keys are hex tokens, as request ids are)
    request_id = f"{_ID_PREFIX}{next(_ids) & 0xFFFFFFFF:08x}"
    try:
        note = request[REQUEST_NOTE]
    except KeyError:  # not a dialect's request (metrics, health, admin)
        return request_id
    served.add((request_id, note, status, started, perf_counter(), calls))
    return request_id
