"""The frame every vendor endpoint shares: auth, throttling, body parsing, JSON out."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .keys import STATE
from .limits import RENT, LimitGroup
from .model import Account
from .state import SandboxState
from .texts import MALFORMED_JSON, RENT_THROTTLED, THROTTLED, VendorError, raise_

Payload = tuple[int, Any]
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
Handler = Callable[[SandboxState, Account, dict[str, Any], web.Request], Awaitable[Payload]]


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(status: int, payload: Any) -> web.Response:
    return web.Response(status=status, body=dumps(payload), content_type="application/json")


def error_response(error: VendorError) -> web.Response:
    return json_response(error.status, {"errors": error.text})


async def read_body(request: web.Request) -> dict[str, Any]:
    """A JSON object, a form, or nothing; anything else is the vendor's 400."""
    if not request.can_read_body:
        return {}
    raw = await request.read()
    if not raw.strip():
        return {}
    looks_like_json = raw.lstrip()[:1] in (b"{", b"[")
    if not looks_like_json and request.content_type in FORM_TYPES:
        return {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise raise_(MALFORMED_JSON) from None
    if not isinstance(body, dict):
        raise raise_(MALFORMED_JSON)
    return body


def vendor_endpoint(
    handler: Handler, group: LimitGroup | None = None
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def endpoint(request: web.Request) -> web.Response:
        state = request.app[STATE]
        try:
            account = state.authenticate(request.headers.get("Auth"))
            if group is not None and not state.limiter.allow(account.api_key, group):
                raise raise_(RENT_THROTTLED if group is RENT else THROTTLED)
            body = await read_body(request)
            status, payload = await handler(state, account, body, request)
        except VendorError as error:
            response = error_response(error)
            if error.status == 429:
                response.headers["Retry-After"] = "1"
            return response
        return json_response(status, payload)

    return endpoint
