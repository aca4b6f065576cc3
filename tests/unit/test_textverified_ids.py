"""TextVerified's ids are long strings: a verification bought by one process is read and
cancelled by the next (after a restart) through its number in the core, found again in
the account's list. TextVerified cannot run here; a loopback server answers as its
reference says (docs/vendor/textverified-protocol.md §2) with ids of its real shape."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.upstreams.http import Http
from adapters.upstreams.ids import is_hashed
from adapters.upstreams.textverified import TextverifiedProvider
from proxy.domain import Order, RentalState

VENDOR_ID = "lr_01HV8ZQ3MJ9W3T5KX2R7C4D6EF"


class Vendor:
    def __init__(self) -> None:
        self.state = "verificationPending"
        self.sign_ins = 0
        self.cancelled: list[str] = []

    def row(self) -> dict[str, Any]:
        return {
            "id": VENDOR_ID,
            "createdAt": "2026-12-07T10:00:00Z",
            "serviceName": "whatsapp",
            "state": self.state,
            "totalCost": 0.5,
            "number": "2125550100",
            "endsAt": "2026-12-07T10:15:00Z",
        }

    def app(self) -> web.Application:
        async def auth(request: web.Request) -> web.Response:
            self.sign_ins += 1
            assert request.headers["X-API-USERNAME"] == "me@example.com"
            return web.json_response({"token": f"t{self.sign_ins}", "expiresIn": 3600})

        async def create(_request: web.Request) -> web.Response:
            href = f"/api/pub/v2/verifications/{VENDOR_ID}"
            return web.json_response({"method": "GET", "href": href}, status=201)

        async def details(request: web.Request) -> web.Response:
            assert request.match_info["id"] == VENDOR_ID
            return web.json_response(self.row())

        async def listing(_request: web.Request) -> web.Response:
            return web.json_response({"data": [self.row()], "hasNext": False, "links": {}})

        async def cancel(request: web.Request) -> web.Response:
            self.cancelled.append(request.match_info["id"])
            self.state = "verificationCanceled"
            return web.Response()

        async def sms(request: web.Request) -> web.Response:
            assert request.query["reservationId"] == VENDOR_ID
            return web.json_response({"data": [], "hasNext": False, "links": {}})

        app = web.Application()
        app.router.add_post("/api/pub/v2/auth", auth)
        app.router.add_post("/api/pub/v2/verifications", create)
        app.router.add_get("/api/pub/v2/verifications", listing)
        app.router.add_get("/api/pub/v2/verifications/{id}", details)
        app.router.add_post("/api/pub/v2/verifications/{id}/cancel", cancel)
        app.router.add_get("/api/pub/v2/sms", sms)
        return app


@pytest.fixture
async def vendor() -> AsyncIterator[tuple[Vendor, str]]:
    played = Vendor()
    server = TestServer(played.app(), host="127.0.0.1")
    await server.start_server()
    yield played, str(server.make_url("")).rstrip("/")
    await server.close()


async def test_a_long_id_survives_a_restart(vendor: tuple[Vendor, str]) -> None:
    played, origin = vendor
    async with Http() as http:
        before = TextverifiedProvider(origin, http, username="me@example.com")
        rented = await before.rent("key", Order(("whatsapp",)))
        assert is_hashed(rented.upstream_id) and rented.number == "2125550100"
        after = TextverifiedProvider(origin, http, username="me@example.com")  # restarted
        snap = await after.status("key", rented.upstream_id)
        assert (snap.state, snap.number, snap.code) == (RentalState.OPEN, "2125550100", None)
        await after.cancel("key", rented.upstream_id)
        assert played.cancelled == [VENDOR_ID]
        assert played.sign_ins == 2  # one token per process, kept between calls
