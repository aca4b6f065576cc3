"""What an unreadable answer to a purchase means, over a real HTTP connection."""

from __future__ import annotations

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.upstreams.getatext import GetatextProvider
from proxy.domain import Order
from proxy.errors import OutcomeUnknown, UpstreamUnavailable


def vendor_answering(status: int, body: bytes) -> web.Application:
    async def answer(_request: web.Request) -> web.Response:
        return web.Response(status=status, body=body, content_type="application/json")

    app = web.Application()
    app.router.add_post("/api/v1/rent-a-number", answer)
    return app


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (201, b'{"id": 1, "numb', OutcomeUnknown),  # sold, answer cut short
        (502, b"<html>Bad Gateway", OutcomeUnknown),  # a gateway: the sale may be behind it
        (500, b'{"errors": "Server Error"}', OutcomeUnknown),
        (400, b"<html>not json", UpstreamUnavailable),  # a refusal, unreadable: not sold
    ],
)
async def test_an_unreadable_purchase_answer(status: int, body: bytes, error: type) -> None:
    server = TestServer(vendor_answering(status, body), host="127.0.0.1")
    await server.start_server()
    async with httpx.AsyncClient() as client:
        provider = GetatextProvider(str(server.make_url("")), client)
        with pytest.raises(error):
            await provider.rent("key", Order(("whatsapp",)))
    await server.close()
