"""Operational HTTP endpoints outside the client protocols: metrics, health, admin."""

from __future__ import annotations

import asyncio
import hmac
import time

from aiohttp import web

from proxy.domain import Purchase, PurchaseState
from proxy.web.app_keys import METRICS, SERVED, SERVICE, SETTINGS

READY_WINDOW_SECONDS = 120.0


def authorised(request: web.Request) -> bool:
    """The admin token was given (constant-time check); admin endpoints 404 otherwise."""
    token = request.app[SETTINGS].admin_token
    given = request.headers.get("X-Admin-Token", "")
    return bool(token) and hmac.compare_digest(given.encode(), (token or "").encode())


async def negative_cache(request: web.Request) -> web.Response:
    if not authorised(request):
        raise web.HTTPNotFound()
    service = request.app[SERVICE].operations
    if request.method == "DELETE":
        return web.json_response({"purged": service.purge_negative()})
    return web.json_response(service.negative_entries())


async def purchases(request: web.Request) -> web.Response:
    """The purchase journal, newest first: `?state=unknown` lists what may have been sold
    without the proxy holding it. Owners are fingerprints; no key is ever stored."""
    if not authorised(request):
        raise web.HTTPNotFound()
    raw_state = request.query.get("state")
    try:
        state = PurchaseState(raw_state) if raw_state else None
        limit = int(request.query.get("limit", "100"))
    except ValueError:
        return web.json_response({"error": "state or limit not understood"}, status=400)
    entries = await request.app[SERVICE].operations.purchases(state, max(1, min(limit, 1000)))
    return web.json_response({"purchases": [_entry(p) for p in entries]})


def _entry(p: Purchase) -> dict[str, object]:
    return {
        "id": p.id,
        "state": p.state.value,
        "owner": p.owner,
        "provider": p.provider,
        "operation": p.operation,
        "services": list(p.services),
        "order_ref": p.order_ref,
        "created_at": p.created_at,
        "settled_at": p.settled_at,
        "activation_ids": list(p.activation_ids),
        "note": p.note,
    }


async def metrics(request: web.Request) -> web.Response:
    registry = request.app.get(METRICS)
    if registry is None:
        raise web.HTTPNotFound()
    service = request.app[SERVICE].operations
    request.app[SERVED].fold()  # the requests served so far are all in the page
    counts, purchases = await service.activation_counts(), await service.purchase_counts()
    registry.tenants.show(*await service.tenant_gauges())
    registry.show_long_rentals(await service.long_rental_counts())
    pacer = service.pacer
    registry.show_fleet(getattr(pacer, "alive", 1), getattr(pacer, "degraded", None) is not None)
    registry.show_refused_keys(service.refused_keys_remembered())
    # rendering ~600 samples takes milliseconds of pure Python: in a thread, the loop gets
    # the interpreter back at every switch interval instead of waiting for the whole page
    body = await asyncio.to_thread(registry.render, counts, purchases)
    return web.Response(
        body=body,
        headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
    )


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    """Ready when the store answers and the upstream's latest word was an answer."""
    reasons: dict[str, str] = {}
    try:
        await request.app[SERVICE].operations.activation_counts()
        reasons["store"] = "ok"
    except Exception as exc:  # any store failure makes us unready, never a 500
        reasons["store"] = f"unreachable: {type(exc).__name__}"
    m = request.app.get(METRICS)
    if m is None or (m.last_upstream_answer is None and m.last_upstream_failure is None):
        reasons["upstream"] = "not contacted yet"
    elif m.last_upstream_failure is not None and (
        m.last_upstream_answer is None or m.last_upstream_failure > m.last_upstream_answer
    ):
        reasons["upstream"] = "last call failed"
    elif (
        m.last_upstream_answer is not None
        and time.monotonic() - m.last_upstream_answer > READY_WINDOW_SECONDS
    ):
        reasons["upstream"] = "ok (idle)"
    else:
        reasons["upstream"] = "ok"
    degraded = getattr(request.app[SERVICE].operations.pacer, "degraded", None)
    if degraded is not None or getattr(request.app[SERVICE].operations.pacer, "alive", None):
        # pacing alone at a share of the limit is safe, so still ready: but said
        reasons["coordination"] = f"degraded: {degraded}" if degraded else "ok"
    ready = reasons["store"] == "ok" and reasons["upstream"] != "last call failed"
    return web.json_response({"ready": ready, **reasons}, status=200 if ready else 503)


async def providers(request: web.Request) -> web.Response:
    """Each provider and its accounts cooling down: why, and for how long yet (null:
    until a balance read shows its funds rose)."""
    if not authorised(request):
        raise web.HTTPNotFound()
    operations = request.app[SERVICE].operations
    cooling = operations.router.cooldowns()
    return web.json_response(
        {
            "providers": [
                {
                    "name": name,
                    "cooldowns": [
                        {
                            "account": c.account,
                            "reason": c.reason,
                            "seconds_left": None
                            if c.seconds_left == float("inf")
                            else round(c.seconds_left, 1),
                        }
                        for c in cooling
                        if c.provider == name
                    ],
                }
                for name in operations.provider_names()
            ]
        }
    )


def routes() -> list[web.RouteDef]:
    return [
        web.get("/metrics", metrics),
        web.get("/healthz", healthz),
        web.get("/readyz", readyz),
        web.get("/admin/negative-cache", negative_cache),
        web.delete("/admin/negative-cache", negative_cache),
        web.get("/admin/purchases", purchases),
        web.get("/admin/providers", providers),
    ]
