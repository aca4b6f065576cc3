"""`GET /admin/usage?tenant=T&since=2026-11-01&format=json|csv|table`: what issued
tenants spent, from the ledger, with the check against the vendor's balances; behind
`X-Admin-Token` like every admin endpoint."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from aiohttp import web

from proxy.inputs import BodyError, load_json
from proxy.service.tenants.usage import check, usage
from proxy.service.tenants.usage_report import FORMATS, render, since_date
from proxy.web.app_keys import SERVICE
from proxy.web.ops import authorised

LIMIT = Decimal(1_000_000)


async def report(request: web.Request) -> web.Response:
    if not authorised(request):
        raise web.HTTPNotFound()
    query = request.query
    fmt = query.get("format", "json")
    if fmt not in FORMATS:
        return web.json_response(
            {"error": f"format must be one of {', '.join(FORMATS)}"}, status=400
        )
    try:
        since = since_date(query["since"]) if "since" in query else None
    except ValueError as bad:
        return web.json_response({"error": str(bad)}, status=400)
    entries = await request.app[SERVICE].operations.tenants.ledger(query.get("tenant"), since)
    body = render(usage(entries), check(entries), fmt)
    kind = {"json": "application/json", "csv": "text/csv"}.get(fmt, "text/plain")
    return web.Response(text=body, content_type=kind)


async def adjust(request: web.Request) -> web.Response:
    """`{"tenant": "fleet-a", "amount": "-2.50", "note": "goodwill"}`: a ledger row that
    counts as spend (negative: credit) in the tenant's budget and usage."""
    if not authorised(request):
        raise web.HTTPNotFound()
    try:
        body = load_json(await request.read())
    except BodyError as bad:
        return web.json_response({"error": str(bad)}, status=400)
    if not isinstance(body, dict):
        return web.json_response({"error": "the body must be a JSON object"}, status=400)
    tenant, note = body.get("tenant"), body.get("note", "")
    try:
        amount = Decimal(str(body.get("amount")))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not isinstance(tenant, str) or not tenant or not isinstance(note, str):
        return web.json_response({"error": "tenant and note must be text"}, status=400)
    if isinstance(body.get("amount"), bool) or not amount.is_finite() or abs(amount) > LIMIT:
        return web.json_response({"error": "amount must be a number such as -2.50"}, status=400)
    await request.app[SERVICE].operations.tenants.adjust(tenant, amount, note[:200])
    return web.json_response({"tenant": tenant, "amount": str(amount), "note": note[:200]})


def routes() -> list[web.RouteDef]:
    return [web.get("/admin/usage", report), web.post("/admin/usage/adjust", adjust)]
