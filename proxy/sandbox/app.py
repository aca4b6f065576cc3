"""Assembly of the sandbox app: state, middlewares (stats, errors, faults, gate), routes."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Middleware

from . import control, legacy, persist, routes
from .clock import SandboxClock
from .endpoint import json_response
from .faults import FaultRule, Faults
from .keys import FAULTS, STATE, STATS, WEBHOOKS
from .state import SandboxConfig, SandboxState
from .stats import Stats
from .texts import (
    BODY_TOO_LARGE,
    MAINTENANCE,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    NUMBER_TAKEN,
    RENT_THROTTLED,
    SERVER_ERROR,
)
from .webhooks import WebhookSender

log = logging.getLogger("smsproxy.sandbox")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CONTROL_PREFIX = "/_sandbox/"
LEGACY_ENDPOINT = "handler_api"
RESET_STATUS = 499  # what the stats log shows for a connection the sandbox reset


def _endpoint(request: web.Request) -> str:
    return request.match_info.route.name or "unknown"


def _is_control(request: web.Request) -> bool:
    return request.path.startswith(CONTROL_PREFIX)


def _vendor_error(entry: tuple[int, str]) -> web.Response:
    return json_response(entry[0], {"errors": entry[1]})


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    if _is_control(request):
        return await handler(request)
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    finally:
        key = request.headers.get("Auth") or request.query.get("api_key")
        request.app[STATS].record(request.app[STATE].clock.now(), _endpoint(request), status, key)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """No traceback ever leaves the sandbox: framework errors get vendor-style bodies."""
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        return _vendor_error(BODY_TOO_LARGE)
    except web.HTTPMethodNotAllowed:
        return _vendor_error(METHOD_NOT_ALLOWED)
    except web.HTTPNotFound:
        return _vendor_error(NOT_FOUND)
    except web.HTTPException as exc:
        return json_response(exc.status, {"errors": exc.reason})
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception:
        log.exception("sandbox handler failed")
        return _vendor_error(SERVER_ERROR)


def _fault_body(endpoint: str, status: int) -> web.Response:
    if status == 503:
        return _vendor_error(MAINTENANCE)
    if status in (408, 429) and endpoint in ("rent-a-number", "rent-specific-number"):
        return _vendor_error(NUMBER_TAKEN if status == 408 else RENT_THROTTLED)
    if endpoint == LEGACY_ENDPOINT:
        return web.Response(status=status, text="Server Error", content_type="text/html")
    return json_response(status, {"errors": SERVER_ERROR[1] if status >= 500 else "Error"})


async def _after_the_fact(
    request: web.Request, rule: FaultRule, faults: Faults, response: web.StreamResponse
) -> web.StreamResponse:
    if rule.answer_delay_ms:
        await asyncio.sleep(rule.answer_delay_ms / 1000)
    if faults.strikes(rule.timeout_rate):
        await asyncio.sleep(rule.timeout_seconds)
    if faults.strikes(rule.reset_rate) and request.transport is not None:
        request.transport.abort()
        return web.Response(status=RESET_STATUS)
    if faults.strikes(rule.malformed_rate) and isinstance(response, web.Response):
        body = response.body if isinstance(response.body, bytes) else b"{}"
        return web.Response(
            status=response.status,
            body=body[: max(1, len(body) // 2)],
            content_type="application/json",
        )
    return response


@web.middleware
async def inject_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    if _is_control(request):
        return await handler(request)
    faults = request.app[FAULTS]
    endpoint = _endpoint(request)
    rule = faults.rule_for(endpoint)
    if rule is None:
        return await handler(request)
    inbound = faults.inbound_seconds(rule)
    if inbound > 0:
        await asyncio.sleep(inbound)
    if faults.strikes(rule.error_rate):
        return _fault_body(endpoint, rule.error_status)
    return await _after_the_fact(request, rule, faults, await handler(request))


@web.middleware
async def gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    if _is_control(request):
        return await control.control_errors(request, handler)
    state = request.app[STATE]
    state.sweep()
    if state.maintenance and request.path.startswith("/api/"):
        return _vendor_error(MAINTENANCE)
    return await handler(request)


def _persisting(path: Path) -> Middleware:
    @web.middleware
    async def keep(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        finally:
            persist.save(request.app[STATE], path)

    return keep


def create_app(
    config: SandboxConfig | None = None, clock: SandboxClock | None = None
) -> web.Application:
    config = config or SandboxConfig()
    clock = clock or SandboxClock(frozen=config.frozen_clock)
    middlewares: list[Middleware] = [observe, errors, inject_faults, gate]
    state = SandboxState(config, clock)
    if config.state_file:
        path = Path(config.state_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        persist.load(state, path)
        middlewares.insert(0, _persisting(path))
    app = web.Application(middlewares=middlewares, client_max_size=config.max_body_bytes)
    stats = Stats()
    app[STATE] = state
    app[STATS] = stats
    app[FAULTS] = Faults(random.Random(config.seed + 1))
    app[WEBHOOKS] = WebhookSender(stats, config.webhook_timeout_seconds)
    routes.add_routes(app)
    legacy.add_routes(app)
    control.add_routes(app)

    async def close_webhooks(app: web.Application) -> None:
        await app[WEBHOOKS].close()

    app.on_cleanup.append(close_webhooks)
    return app
