"""The source of a request, for the core's per-source limit, worked out only when the
core asks (requests with keys it can name never do)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from proxy.inputs.sources import client_address
from proxy.web.app_keys import TRUSTED_PROXIES


def source_of(request: web.Request) -> Callable[[], str]:
    def source() -> str:
        forwarded = request.headers.get("X-Forwarded-For")
        return client_address(request.remote, forwarded, request.app[TRUSTED_PROXIES])

    return source
