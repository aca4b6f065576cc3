"""Auctions: the vendor's records, forwarded as they are, paced, under the caller's key
(the core has no auction concept: a bid is the vendor's matter)."""

from __future__ import annotations

from aiohttp import web

from proxy.inputs import ascii_digits, printable

from .frame import Call, Refusal, answer


async def native(call: Call) -> web.Response:
    """Long rentals, service long rentals, auctions: the vendor's records, forwarded."""
    if not all(ascii_digits(v, 20) for v in call.request.match_info.values()):
        raise Refusal(404, "Not Found")  # only plain ids and numbers are forwarded
    path = call.request.path.removeprefix("/api/v1")
    query = call.request.rel_url.raw_query_string  # still percent-encoded: no CR/LF
    if query:
        if not printable(query, 2048):
            raise Refusal(400, "Malformed query")
        path += "?" + query
    body = call.body if call.request.method != "GET" else None
    status, payload = await call.service.forward(call.tenant, call.request.method, path, body)
    return answer(status, payload)
