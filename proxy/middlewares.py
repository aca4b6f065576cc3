"""Cross-cutting request handling: request metrics and log lines, and no tracebacks ever."""

from __future__ import annotations

import itertools
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from .access_log import AccessLog
from .keys import REQUEST_NOTE
from .metrics import DIALECTS, RESULTS, Metrics, closed_label, upstream_calls

log = logging.getLogger("smsproxy")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# request ids: a random prefix per process and a counter (unique, and far cheaper than uuid4)
_ID_PREFIX = secrets.token_hex(4)
_ids = itertools.count(1)


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "(no route)"


def observe_requests(
    metrics: Metrics | None, access_log: AccessLog, *, json_logs: bool = False
) -> Middleware:
    """One log line and one metrics sample per client request, and no traceback ever
    (one middleware: each layer costs every request). The query string (which carries
    keys in the handler_api dialects) is never logged."""

    @web.middleware
    async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
        # always our own: a caller's id is logged, and a caller may send anything in it
        # (SMS-Activate keys are hex tokens, as request ids are)
        request_id = f"{_ID_PREFIX}{next(_ids) & 0xFFFFFFFF:08x}"
        calls = [0]
        token = upstream_calls.set(calls)
        started = time.perf_counter()
        if metrics is not None:
            metrics.serving += 1
        status = 500
        try:
            try:  # no traceback ever reaches a client (inline: one coroutine less)
                response = await handler(request)
            except web.HTTPException:
                raise
            except Exception:
                # the route's pattern, not the path: a path can carry a secret (the webhook's)
                log.exception("unhandled error on %s", _route(request))
                response = web.Response(status=500, text="Internal Server Error")
            status = response.status
            response.headers["X-Request-Id"] = request_id
            return response
        finally:
            upstream_calls.reset(token)
            seconds = time.perf_counter() - started
            note = request.get(REQUEST_NOTE)
            if metrics is not None:
                metrics.serving -= 1
                if note is not None:
                    metrics.request_done(
                        closed_label(note["dialect"], DIALECTS, "other"),
                        note["action"],
                        closed_label(note["result"], RESULTS, "internal"),
                        "upstream" if calls[0] else "proxy",
                        seconds,
                    )
            if note is None:
                pass
            elif json_logs:
                access_log.add(_json_line(request_id, note, status, seconds, calls[0]))
            else:
                access_log.request(request_id, note, status, seconds, calls[0])

    return observe


def _json_line(
    request_id: str, note: dict[str, str], status: int, seconds: float, upstream: int
) -> str:
    fields = {
        "request_id": request_id,
        "dialect": note["dialect"],
        "action": note["action"],
        "result": note["result"],
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "upstream_calls": upstream,
    }
    return json.dumps(fields, separators=(",", ":"))
