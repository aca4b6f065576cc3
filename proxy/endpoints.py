"""Operational HTTP endpoints outside the client protocols: admin (and later health)."""

from __future__ import annotations

import hmac

from aiohttp import web

from .keys import SERVICE, SETTINGS


def _authorised(request: web.Request) -> bool:
    token = request.app[SETTINGS].admin_token
    given = request.headers.get("X-Admin-Token", "")
    return bool(token) and hmac.compare_digest(given.encode(), (token or "").encode())


async def negative_cache(request: web.Request) -> web.Response:
    if not _authorised(request):
        raise web.HTTPNotFound()
    service = request.app[SERVICE]
    if request.method == "DELETE":
        return web.json_response({"purged": service.purge_negative()})
    return web.json_response(service.negative_entries())


def mount(app: web.Application) -> None:
    app.router.add_get("/admin/negative-cache", negative_cache)
    app.router.add_delete("/admin/negative-cache", negative_cache)
