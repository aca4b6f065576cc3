"""`GET /admin/usage?tenant=T&since=2026-11-01&format=json|csv|table`: what issued
tenants spent, from the ledger, with the check against the vendor's balances; behind
`X-Admin-Token` like every admin endpoint."""

from __future__ import annotations

from aiohttp import web

from .endpoints import authorised
from .keys import SERVICE
from .service.usage import check, usage
from .usage_report import FORMATS, render, since_date


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
    entries = await request.app[SERVICE].ledger(query.get("tenant"), since)
    body = render(usage(entries), check(entries), fmt)
    kind = {"json": "application/json", "csv": "text/csv"}.get(fmt, "text/plain")
    return web.Response(text=body, content_type=kind)


def mount(app: web.Application) -> None:
    app.router.add_get("/admin/usage", report)
