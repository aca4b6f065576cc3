"""What an unreadable answer to a purchase means, over a real HTTP connection."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.upstreams.getatext import GetatextProvider
from adapters.upstreams.handler_api import HandlerApiProvider
from adapters.upstreams.http import Http
from proxy.domain import Order
from proxy.errors import (
    BadKey,
    NoBalance,
    NoNumbers,
    NotFound,
    OutcomeUnknown,
    UpstreamUnavailable,
)


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
    async with Http() as client:
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
    async with Http() as client:
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


def clone(answers: dict[str, tuple[int, str]]) -> web.Application:
    """A stand-in for an SMS-Activate clone this machine cannot reach: one answer per action."""

    async def handler(request: web.Request) -> web.Response:
        status, text = answers[request.query["action"]]
        return web.Response(status=status, text=text)

    app = web.Application()
    app.router.add_get("/stubs/handler_api.php", handler)
    return app


async def provider_for(server: TestServer, client: Http, flavour: str) -> Any:
    return HandlerApiProvider(
        str(server.make_url("/stubs/handler_api.php")), client, flavour=flavour
    )


async def test_smshub_buys_with_get_number_and_reads_its_price() -> None:
    server = TestServer(
        clone(
            {
                "getPrices": (200, '{"187": {"wa": {"cost": 0.3, "count": 5}}}'),
                "getNumber": (200, "ACCESS_NUMBER:555:12125550100"),
                "getBalance": (200, "API_KEY_NOT_VALID"),
            }
        ),
        host="127.0.0.1",
    )
    await server.start_server()
    async with Http() as client:
        smshub = await provider_for(server, client, "smshub")
        rented = await smshub.rent("key", Order(("whatsapp",)))
        assert (rented.upstream_id, rented.number, rented.cost) == (
            555,
            "2125550100",
            Decimal("0.3"),
        )
        with pytest.raises(BadKey):
            await smshub.balance("key")
    await server.close()


@pytest.mark.parametrize(
    ("action", "status", "body", "error"),
    [
        ("getNumberV2", 402, '{"title": "NO_BALANCE", "details": "top up"}', NoBalance),
        ("getNumberV2", 402, '{"title": "Payment Required"}', NoBalance),
        ("getNumberV2", 404, '{"title": "Not Found"}', NoNumbers),  # nothing to sell
        ("getStatus", 404, '{"title": "Not Found"}', NotFound),  # no such activation
        ("getStatus", 401, '{"title": "Unauthorized"}', BadKey),
    ],
)
async def test_herosms_errors_come_as_http_statuses(
    action: str, status: int, body: str, error: type
) -> None:
    server = TestServer(clone({action: (status, body)}), host="127.0.0.1")
    await server.start_server()
    async with Http() as client:
        herosms = await provider_for(server, client, "herosms")
        with pytest.raises(error):
            if action == "getNumberV2":
                await herosms.rent("key", Order(("whatsapp",)))
            else:
                await herosms.status("key", 7)
    await server.close()
