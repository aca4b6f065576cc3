"""What an unreadable answer to a purchase means, over a real HTTP connection."""

from __future__ import annotations

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.upstreams.getatext import GetatextProvider
from adapters.upstreams.handler_api import HandlerApiProvider
from proxy.domain import Order
from proxy.errors import NoNumbers, OutcomeUnknown, UpstreamUnavailable


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


async def test_a_handler_api_vendor_gets_its_own_service_codes() -> None:
    seen: list[dict[str, str]] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(dict(request.query))
        return web.Response(text="NO_NUMBERS")

    app = web.Application()
    app.router.add_get("/stubs/handler_api.php", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with httpx.AsyncClient() as client:
        provider = HandlerApiProvider(
            str(server.make_url("/stubs/handler_api.php")),
            client,
            flavour="sms-activate",
            codes={"whatsapp": "wa2"},
        )
        with pytest.raises(NoNumbers):
            await provider.rent("key", Order(("whatsapp",), country="gb"))
        with pytest.raises(NoNumbers):
            await provider.rent("key", Order(("telegram",)))
    await server.close()
    assert [(q["action"], q["service"], q["country"]) for q in seen] == [
        ("getNumberV2", "wa2", "16"),  # the configured code; the family's id for the UK
        ("getNumberV2", "tg", "187"),  # the flavour's own code
    ]
