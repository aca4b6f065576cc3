"""Getatext's long rentals read into the core's words: the adapter against the sandbox,
over a real socket (issue 15: the vendor layer; the use cases and dialects come next)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from aiohttp.test_utils import TestServer

from adapters.upstreams.getatext.provider import GetatextProvider
from adapters.upstreams.http import Http
from proxy import errors as e
from proxy.domain import LongChange, LongOrder, LongRental, LongRentalState
from proxy.sandbox import SandboxClock, SandboxConfig, create_app

KEY = "sk_sandbox_demo"
DAY = 86400.0


class Vendor:
    def __init__(self, server: TestServer, provider: GetatextProvider) -> None:
        self.server, self.provider = server, provider

    async def control(self, method: str, path: str, body: object) -> None:
        async with httpx.AsyncClient() as http:
            r = await http.request(method, str(self.server.make_url("/_sandbox" + path)), json=body)
            assert r.status_code == 200, r.text


@pytest.fixture
async def vendor() -> AsyncIterator[Vendor]:
    server = TestServer(create_app(SandboxConfig(seed=3), SandboxClock(frozen=True)))
    await server.start_server()
    async with Http() as client:
        yield Vendor(server, GetatextProvider(str(server.make_url("")), client))
    await server.close()


def held(snap_id: int, number: str, service: str | None) -> LongRental:
    """What the core would store for a snapshot (the adapter reads by these fields)."""
    return LongRental(
        1,
        "getatext",
        snap_id,
        "o",
        number,
        service,
        "1w",
        Decimal(0),
        LongRentalState.ACTIVE,
        0.0,
        0.0,
    )


async def test_offers_cover_whole_numbers_and_services(vendor: Vendor) -> None:
    offers = await vendor.provider.long_rentals.offers(KEY)
    whole = {o.period: o for o in offers if o.service is None}
    assert sorted(whole) == ["1m", "1w", "1y", "2w"]
    assert whole["1y"].cost == Decimal("99.99")
    assert whole["1w"].seconds == 7 * DAY and whole["1w"].stock is not None
    per_service = {(o.service, o.period): o for o in offers if o.service is not None}
    assert per_service[("whatsapp", "7d")].seconds == 7 * DAY


async def test_a_whole_number_is_rented_read_renewed_and_cancelled(vendor: Vendor) -> None:
    snap = await vendor.provider.long_rentals.rent(KEY, LongOrder(None, "1w", auto_renew=True))
    assert (snap.state, snap.period, snap.auto_renew, len(snap.number)) == (
        LongRentalState.ACTIVE,
        "1w",
        True,
        10,
    )
    rental = held(snap.upstream_id, snap.number, None)
    assert (await vendor.provider.long_rentals.status(KEY, rental)).messages == ()
    await vendor.control("POST", "/sms", {"number": snap.number, "text": "Code 4321"})
    read = await vendor.provider.long_rentals.status(KEY, rental)
    assert [m.text for m in read.messages or ()] == ["Code 4321"]
    off = await vendor.provider.long_rentals.change(KEY, rental, LongChange.AUTO_RENEW_OFF)
    assert off.auto_renew is False
    renewed = await vendor.provider.long_rentals.change(KEY, rental, LongChange.RENEW)
    assert renewed.end_time == snap.end_time + 7 * DAY
    cancelled = await vendor.provider.long_rentals.change(KEY, rental, LongChange.CANCEL)
    assert cancelled.state is LongRentalState.CANCELLED


async def test_a_number_for_one_service(vendor: Vendor) -> None:
    await vendor.control("POST", "/accounts", {"api_key": KEY, "service_long_rentals": True})
    snap = await vendor.provider.long_rentals.rent(KEY, LongOrder("whatsapp", "7d"))
    assert (snap.service, snap.period, snap.state) == ("whatsapp", "7d", LongRentalState.ACTIVE)
    rental = held(snap.upstream_id, snap.number, "whatsapp")
    await vendor.control(
        "POST", "/sms", {"number": snap.number, "service": "whatsapp", "code": "777111"}
    )
    read = await vendor.provider.long_rentals.status(KEY, rental)
    assert [m.sender for m in read.messages or ()] == ["8888"]
    with pytest.raises(e.BadTransition):  # it received a message: no cancel any more
        await vendor.provider.long_rentals.change(KEY, rental, LongChange.CANCEL)


async def test_vendor_refusals_become_domain_errors(vendor: Vendor) -> None:
    await vendor.control("POST", "/accounts", {"api_key": KEY, "service_long_rentals": True})
    with pytest.raises(e.BadService):
        await vendor.provider.long_rentals.rent(KEY, LongOrder("whatsapp", "9d"))
    await vendor.control("POST", "/accounts", {"api_key": KEY, "balance": "0.01"})
    with pytest.raises(e.NoBalance):
        await vendor.provider.long_rentals.rent(KEY, LongOrder(None, "1w"))
    with pytest.raises(e.NotFound):
        await vendor.provider.long_rentals.status(KEY, held(999, "2125550100", None))
