"""5sim hosting orders (protocols §2.5, §2.11, §7.4) over the core's long rentals.

A hosting order is a whole number for any service, kept for a while (F19): its product
names hours, and it buys the shortest whole-number period that lasts them (`3hours`
buys a week where the vendor sells weeks). The order answers with the product the
period covers best, so a client reads back a product it knows.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from proxy.domain import LongOrder, LongRental, LongRentalState
from proxy.errors import DomainError, NotFound, PeriodTooLong

from .. import countries
from .errors import Refusal
from .frame import Call, ok
from .params import carrier_of, country_of
from .views import rfc3339

HOUR = 3600.0
PRODUCTS = {"3hours": 3, "1day": 24, "10days": 240, "1month": 720}  # product -> hours
S = LongRentalState


def product_of(rental_seconds: float) -> str:
    """The longest product the period lasts (a week covers `1day`)."""
    fitting = [p for p, h in PRODUCTS.items() if h * HOUR <= rental_seconds]
    return fitting[-1] if fitting else "3hours"


def status_of(rental: LongRental) -> str:
    if rental.state is S.CANCELLED:
        return "CANCELED"
    if rental.state is S.ACTIVE:
        return "RECEIVED" if rental.messages else "PENDING"
    return "FINISHED"


def sms_rows(rental: LongRental) -> list[dict[str, Any]]:
    rows = []
    for m in sorted(rental.messages, key=lambda m: m.received_at):
        at = rfc3339(m.received_at)
        rows.append(
            {"created_at": at, "date": at, "sender": m.sender, "text": m.text, "code": m.code or ""}
        )
    return rows


def hosting_json(rental: LongRental, seconds: float) -> dict[str, Any]:
    return {
        "id": rental.id,
        "phone": "+" + countries.international(rental),
        "operator": "any",
        "product": product_of(seconds),
        "price": float(rental.cost),
        "status": status_of(rental),
        "expires": rfc3339(rental.end_time),
        "sms": sms_rows(rental),
        "created_at": rfc3339(rental.created_at),
        "forwarding": False,
        "forwarding_number": "",
        "country": countries.of(rental).fivesim,
    }


async def _period_seconds(call: Call, rental: LongRental) -> float:
    try:
        return (await call.service.long_rentals.period_of(call.me, rental)).seconds
    except DomainError:  # no longer sold: the time it was rented for shows the product
        return rental.end_time - rental.created_at


async def render(call: Call, rental: LongRental) -> dict[str, Any]:
    return hosting_json(rental, await _period_seconds(call, rental))


async def buy_hosting(call: Call) -> web.Response:
    country = country_of(call.path("country"))
    carrier_of(call.path("operator"))  # a bad operator is refused; any serves a hosting
    hours = PRODUCTS.get(call.path("product"))
    if hours is None:
        raise Refusal(400, "no product")
    rentals = call.service.long_rentals
    try:
        offer = await rentals.period_for(call.me, None, hours * HOUR, country)
    except PeriodTooLong:
        raise Refusal(400, "no product") from None
    rental = await rentals.rent(call.me, LongOrder(None, offer.period, country=country))
    return ok(hosting_json(rental, offer.seconds))


async def held(call: Call, order_id: int) -> LongRental | None:
    """The caller's hosting order of this id, or None when the id is an activation's."""
    try:
        return await call.service.long_rentals.get(call.me, order_id)
    except NotFound:
        return None


async def check(call: Call, rental: LongRental) -> web.Response:
    read = await call.service.long_rentals.status(call.me, rental.id)
    return ok(await render(call, read))


async def inbox(call: Call, rental: LongRental) -> web.Response:
    read = await call.service.long_rentals.status(call.me, rental.id)
    rows = [
        {"ID": i + 1, **sms, "is_wave": False, "wave_uuid": ""}
        for i, sms in enumerate(sms_rows(read))
    ]
    return ok({"Data": rows, "Total": len(rows)})


async def orders(call: Call, limit: int, offset: int, newest_first: bool) -> web.Response:
    held_now = await call.service.long_rentals.listing(call.me)
    if not newest_first:
        held_now.reverse()
    shown = held_now[offset : offset + limit]
    return ok(
        {
            "Data": [await render(call, r) for r in shown],
            "ProductNames": [],
            "Statuses": [],
            "Total": len(held_now),
        }
    )
