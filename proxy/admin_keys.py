"""`/admin/keys`: issue, list and revoke client keys over HTTP, behind `X-Admin-Token`
(404 without it, as every admin endpoint). A new key is in the answer to its creation
only; listings show handles, tenants and states, never keys."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .domain import ManagedKey
from .endpoints import authorised
from .inputs import BodyError, load_json
from .keys import SERVICE, SETTINGS

MAX_DAYS = 3650
GRACE_SECONDS = 3600  # the old key's time after a rotation, unless told
MAX_GRACE = 30 * 86400


def _view(key: ManagedKey, now: float) -> dict[str, Any]:
    return {
        "id": key.id,
        "tenant": key.tenant,
        "providers": list(key.providers),
        "created_at": key.created_at,
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
        "state": key.state(now),
    }


def _guard(request: web.Request) -> None:
    if not authorised(request) or not request.app[SETTINGS].managed_keys:
        raise web.HTTPNotFound()


def _bad(reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=400)


async def create(request: web.Request) -> web.Response:
    _guard(request)
    try:
        body = load_json(await request.read())
    except BodyError as bad:
        return _bad(str(bad))
    if not isinstance(body, dict):
        return _bad("the body must be a JSON object")
    tenant, providers, days = (
        body.get("tenant"),
        body.get("providers", []),
        body.get("expires_days"),
    )
    if not isinstance(tenant, str) or not tenant.strip() or len(tenant) > 64:
        return _bad("tenant must be a name of 1 to 64 characters")
    if not isinstance(providers, list) or not all(isinstance(p, str) for p in providers):
        return _bad("providers must be a list of provider names")
    services = body.get("services", [])
    if not isinstance(services, list) or not all(isinstance(s, str) and s for s in services):
        return _bad("services must be a list of service names")
    max_active = body.get("max_active")
    if max_active is not None and (isinstance(max_active, bool) or not isinstance(max_active, int)):
        return _bad("max_active must be a whole number above 0")
    if days is not None and (
        isinstance(days, bool) or not isinstance(days, int) or not 0 < days <= MAX_DAYS
    ):
        return _bad(f"expires_days must be a whole number of days, 1 to {MAX_DAYS}")
    service = request.app[SERVICE]
    try:
        key, made = await service.issue_key(
            tenant.strip(), providers, days * 86400.0 if days else None, max_active, services
        )
    except ValueError as unknown:
        return _bad(str(unknown))
    return web.json_response({**_view(made, service.clock.now()), "key": key}, status=201)


async def listing(request: web.Request) -> web.Response:
    _guard(request)
    service = request.app[SERVICE]
    now = service.clock.now()
    return web.json_response({"keys": [_view(k, now) for k in await service.issued_keys()]})


async def revoke(request: web.Request) -> web.Response:
    _guard(request)
    service = request.app[SERVICE]
    revoked = await service.revoke_key(request.match_info["key_id"])
    if revoked is None:
        return web.json_response({"error": "no such key"}, status=404)
    return web.json_response(_view(revoked, service.clock.now()))


async def rotate(request: web.Request) -> web.Response:
    """`{"grace_seconds": 3600}` (the default): how long the old key keeps working."""
    _guard(request)
    try:
        body = load_json(await request.read() or b"{}")
    except BodyError as bad:
        return _bad(str(bad))
    grace = body.get("grace_seconds", GRACE_SECONDS) if isinstance(body, dict) else None
    if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= MAX_GRACE:
        return _bad(f"grace_seconds must be a whole number of seconds, 0 to {MAX_GRACE}")
    service = request.app[SERVICE]
    made = await service.rotate_key(request.match_info["key_id"], float(grace))
    if made is None:
        return web.json_response({"error": "no such usable key"}, status=404)
    key, new = made
    return web.json_response({**_view(new, service.clock.now()), "key": key}, status=201)


def mount(app: web.Application) -> None:
    app.router.add_post("/admin/keys", create)
    app.router.add_get("/admin/keys", listing)
    app.router.add_delete("/admin/keys/{key_id}", revoke)
    app.router.add_post("/admin/keys/{key_id}/rotate", rotate)
