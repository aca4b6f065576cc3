"""SMSPool's rentals (`rental/*`, `purchase/rental`) on the core's long rentals
(docs/vendor/smspool-protocol.md §4): a number kept for days, read for every SMS it gets.

`rental_id` 1 is the whole number, for any service (SMSPool's rental list is of number
pools; here one: the providers' whole-number rentals); with `service_id`, a rental for
that one service. `days` picks the shortest period covering them. A rental's code is
the proxy's long-rental id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from proxy import errors as e
from proxy.domain import LongChange, LongOffer, LongOrder, LongRental, LongRentalState

from .. import countries
from ..base import json_response, positive_int
from .endpoints import _offers as catalogue
from .frame import Call, Endpoint, Failure

DAY = 86400
WHOLE_NUMBER = 1  # the one rental pool listed: a whole US number


def _days(offer: LongOffer) -> int:
    return max(1, round(offer.seconds / DAY))


async def _whole_offers(call: Call) -> list[LongOffer]:
    """The caller's; without a key (public at SMSPool), read with the proxy's own account."""
    if call.tenant is not None:
        offers = await call.service.long_rentals.offers(call.tenant)
    else:
        public = await call.service.public_long_offers()
        if public is None:
            raise Failure("KEY_ERROR", "No account to read rentals with: send your key.")
        offers = public
    return sorted((o for o in offers if o.service is None), key=lambda o: o.seconds)


async def rental_list(call: Call) -> web.Response:
    """`rental/retrieve_all`: the rental pools and their price by days."""
    offers = await _whole_offers(call)
    us = countries.BY_ISO["us"]
    return json_response(
        [
            {
                "ID": WHOLE_NUMBER,
                "name": f"{us.name} - any service",
                "country": us.name,
                "pricing": {str(_days(o)): f"{o.cost:.2f}" for o in offers},
                "stock": offers[0].stock if offers and offers[0].stock is not None else 1,
            }
        ]
        if offers
        else []
    )


async def _service(call: Call) -> str | None:
    raw = (call.params.get("service_id") or "").strip()
    if not raw:
        return None
    listed = await catalogue(call)
    position = positive_int(raw)
    if position is not None and position <= len(listed):
        return listed[position - 1].service
    for o in listed:
        if raw.lower() in (o.name.lower(), o.service):
            return o.service
    raise e.BadService()


def _code(call: Call) -> int:
    found = positive_int(call.params.get("rental_code"))
    if found is None:
        raise Failure("RENTAL_ERROR", "Rental not found.")
    return found


def _row(rental: LongRental, now: float) -> dict[str, Any]:
    left = max(0, int(rental.end_time - now))
    return {
        "rental_code": str(rental.id),
        "phonenumber": rental.number,
        "number": countries.of(rental).calling_code + rental.number,
        "expiry": int(rental.end_time),
        "days_left": left // DAY,
        "available": 1 if rental.state is LongRentalState.ACTIVE else 0,
        "auto_extend": 1 if rental.auto_renew else 0,
        "cost": f"{rental.cost:.2f}",
    }


async def purchase(call: Call) -> web.Response:
    """`purchase/rental`: `rental_id` (1), `days`, optional `service_id`."""
    if positive_int(call.params.get("rental_id")) != WHOLE_NUMBER:
        raise Failure("RENTAL_ERROR", "This rental is not available.")
    days = positive_int(call.params.get("days")) or 1
    service = await _service(call)
    rentals = call.service.long_rentals
    offer = await rentals.period_for(call.me, service, days * DAY)
    rental = await rentals.rent(call.me, LongOrder(service, offer.period))
    row = _row(rental, call.service.clock.now())
    return json_response(
        {
            "success": 1,
            **row,
            "days": _days(offer),
            "message": f"You have successfully rented {row['number']} for {_days(offer)} days.",
        }
    )


async def status(call: Call) -> web.Response:
    """`rental/retrieve_status.php`: the rental as it stands."""
    rental = await call.service.long_rentals.status(call.me, _code(call))
    return json_response({"success": 1, "status": _row(rental, call.service.clock.now())})


async def messages(call: Call) -> web.Response:
    """`rental/retrieve_messages`: every SMS it got, newest first."""
    rental = await call.service.long_rentals.status(call.me, _code(call))
    newest = sorted(rental.messages, key=lambda m: m.received_at, reverse=True)
    return json_response(
        {
            "success": 1,
            "messages": [
                {
                    "ID": index + 1,
                    "sender": m.sender,
                    "message": m.text,
                    "code": m.code or "",
                    "timestamp": int(m.received_at),
                }
                for index, m in enumerate(newest)
            ],
        }
    )


async def refund(call: Call) -> web.Response:
    """`rental/refund.php`: cancelled and refunded while the vendor refunds a cancel (at
    once, before any message); after that `REFUND_ERROR` and the rental stays."""
    rentals = call.service.long_rentals
    rental = await rentals.status(call.me, _code(call))  # its messages, read now
    if rental.state is not LongRentalState.ACTIVE or not rentals.refundable(rental):
        raise Failure("REFUND_ERROR", "This rental cannot be refunded.")  # nothing changed
    try:
        await rentals.change(call.me, rental.id, LongChange.CANCEL)
    except (e.BadTransition, e.EarlyCancel, e.Expired):
        raise Failure("REFUND_ERROR", "This rental cannot be refunded.") from None
    return json_response({"success": 1, "message": "Your rental has been refunded."})


async def extend(call: Call) -> web.Response:
    """`rental/extend.php`: renewed by its period (`days` must be that period's)."""
    rentals = call.service.long_rentals
    rental = await rentals.get(call.me, _code(call))
    offer = await rentals.period_of(call.me, rental)
    if positive_int(call.params.get("days")) not in (None, _days(offer)):
        raise Failure("RENTAL_ERROR", f"This rental extends by {_days(offer)} days.")
    renewed = await rentals.change(call.me, rental.id, LongChange.RENEW)
    return json_response({"success": 1, **_row(renewed, call.service.clock.now())})


RENTAL_ENDPOINTS: Mapping[str, tuple[Endpoint, bool]] = {
    "rental/retrieve_all": (rental_list, False),  # public at SMSPool: an account's list
    "purchase/rental": (purchase, True),
    "rental/retrieve_status.php": (status, True),
    "rental/retrieve_status": (status, True),
    "rental/retrieve_messages": (messages, True),
    "rental/refund.php": (refund, True),
    "rental/refund": (refund, True),
    "rental/extend.php": (extend, True),
    "rental/extend": (extend, True),
}
