"""`/admin/keys`: issue, list and revoke client keys over HTTP, behind `X-Admin-Token`
(404 without it, as every admin endpoint). A new key is in the answer to its creation
only; listings show handles, tenants and states, never keys."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from proxy.domain import ManagedKey
from proxy.inputs import BodyError, load_json
from proxy.web.admin.policy import policy_change, tenant_view
from proxy.web.app_keys import SERVICE, SETTINGS
from proxy.web.ops import authorised

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
    body = await _body(request)
    if isinstance(body, web.Response):
        return body
    tenant, providers, days = (
        body.get("tenant"),
        body.get("providers", []),
        body.get("expires_days"),
    )
    if not isinstance(tenant, str) or not tenant.strip() or len(tenant) > 64:
        return _bad("tenant must be a name of 1 to 64 characters")
    if not isinstance(providers, list) or not all(isinstance(p, str) for p in providers):
        return _bad("providers must be a list of provider names")
    if days is not None and (
        isinstance(days, bool) or not isinstance(days, int) or not 0 < days <= MAX_DAYS
    ):
        return _bad(f"expires_days must be a whole number of days, 1 to {MAX_DAYS}")
    operations = request.app[SERVICE].operations
    tenants = operations.tenants
    try:
        change = policy_change(body)
        key, made = await tenants.issue_key(
            tenant.strip(), providers, days * 86400.0 if days else None, change
        )
    except ValueError as unknown:
        return _bad(str(unknown))
    answer = {**_view(made, operations.clock.now()), "key": key}
    if change.webhook_url:
        answer["webhook_secret"] = tenants.signing_key(made.tenant)
    return web.json_response(answer, status=201)


async def _body(request: web.Request) -> dict[str, Any] | web.Response:
    try:
        body = load_json(await request.read())
    except BodyError as bad:
        return _bad(str(bad))
    if not isinstance(body, dict):
        return _bad("the body must be a JSON object")
    return body


async def tenants(request: web.Request) -> web.Response:
    """Every tenant with a policy, and its budget left."""
    _guard(request)
    operations = request.app[SERVICE].operations
    tenants = operations.tenants
    policies = await tenants.policies()
    return web.json_response(
        {"tenants": [await tenant_view(operations, p) for _, p in sorted(policies.items())]}
    )


async def set_tenant(request: web.Request) -> web.Response:
    """PATCH a tenant's policy: the fields given change, the others stay."""
    _guard(request)
    body = await _body(request)
    if isinstance(body, web.Response):
        return body
    operations = request.app[SERVICE].operations
    tenants = operations.tenants
    name = request.match_info["tenant"]
    try:
        change = policy_change(body)
        updated = await tenants.set_policy(name, change)
    except ValueError as bad:
        return _bad(str(bad))
    answer = await tenant_view(operations, updated)
    if change.webhook_url:
        answer["webhook_secret"] = tenants.signing_key(name)
    return web.json_response(answer)


async def listing(request: web.Request) -> web.Response:
    _guard(request)
    operations = request.app[SERVICE].operations
    tenants = operations.tenants
    now = operations.clock.now()
    return web.json_response({"keys": [_view(k, now) for k in await tenants.issued_keys()]})


async def revoke(request: web.Request) -> web.Response:
    _guard(request)
    operations = request.app[SERVICE].operations
    tenants = operations.tenants
    revoked = await tenants.revoke_key(request.match_info["key_id"])
    if revoked is None:
        return web.json_response({"error": "no such key"}, status=404)
    return web.json_response(_view(revoked, operations.clock.now()))


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
    operations = request.app[SERVICE].operations
    tenants = operations.tenants
    made = await tenants.rotate_key(request.match_info["key_id"], float(grace))
    if made is None:
        return web.json_response({"error": "no such usable key"}, status=404)
    key, new = made
    return web.json_response({**_view(new, operations.clock.now()), "key": key}, status=201)


def routes() -> list[web.RouteDef]:
    return [
        web.post("/admin/keys", create),
        web.get("/admin/keys", listing),
        web.delete("/admin/keys/{key_id}", revoke),
        web.post("/admin/keys/{key_id}/rotate", rotate),
        web.get("/admin/tenants", tenants),
        web.patch("/admin/tenants/{tenant}", set_tenant),
    ]
