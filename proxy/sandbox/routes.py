"""The vendor's JSON v1 surface, endpoint by endpoint (getatext-api.txt)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import inputs, long_rentals, rentals, views
from .endpoint import Payload, vendor_endpoint
from .limits import CANCEL, MULTI, RENT
from .model import Account, ServiceLongRental
from .state import SandboxState
from .texts import (
    AUTO_RENEW_INVALID,
    AUTO_RENEW_MISSING,
    BID_MISSING,
    ID_INVALID,
    ID_MISSING,
    NUMBER_AND_SERVICE_REQUIRED,
    RENTAL_ID_MISSING,
    SERVICE_MISSING,
    SERVICES_MISSING,
    raise_,
)

Body = dict[str, Any]


def _preferences(body: Body, area_field: str) -> rentals.Preferences:
    return rentals.Preferences(
        carrier=rentals.check_carrier(inputs.text(body, "carrier")),
        keep_carrier=inputs.boolean(body, "keep_carrier"),
        area_codes=tuple(inputs.area_codes(body.get(area_field))),
        lock_area_code=inputs.boolean(body, "lock_area_code"),
    )


def _id(body: Body, name: str = "id") -> int:
    if body.get(name) in (None, ""):
        raise raise_(RENTAL_ID_MISSING if name == "rental_id" else ID_MISSING)
    value = inputs.integer(body.get(name))
    if value is None:
        raise raise_(ID_INVALID)
    return value


def _path_id(request: web.Request) -> int | None:
    return inputs.integer(request.match_info["id"])


async def rent_a_number(s: SandboxState, a: Account, body: Body, _: web.Request) -> Payload:
    service = inputs.text(body, "service")
    if service is None:
        raise raise_(SERVICE_MISSING)
    prefs = _preferences(body, "area_codes")
    rental = rentals.rent_number(s, a, service, prefs, inputs.decimal(body, "max_price"))
    return 201, views.rented(rental, a.balance)


async def rent_specific(s: SandboxState, a: Account, body: Body, _: web.Request) -> Payload:
    number, service = inputs.text(body, "number"), inputs.text(body, "service")
    if number is None or service is None:
        raise raise_(NUMBER_AND_SERVICE_REQUIRED)
    max_price = inputs.decimal(body, "max_price")
    rental, returning = rentals.rent_specific(s, a, number, service, max_price)
    return 201, views.rented_specific(rental, a.balance, returning)


async def rent_multiple(s: SandboxState, a: Account, body: Body, _: web.Request) -> Payload:
    names = inputs.service_list(body.get("services"))
    if not names:
        raise raise_(SERVICES_MISSING)
    prefs = _preferences(body, "rent_area_codes")
    result = rentals.rent_multiple(s, a, names, prefs, inputs.decimal(body, "max_price"))
    return 201, views.rented_multiple(result, a.balance)


async def cancel_rental(s: SandboxState, a: Account, body: Body, _: web.Request) -> Payload:
    rental = rentals.cancel(s, a, _id(body))
    return 200, views.rental_state(rental, a.balance)


async def rental_status(s: SandboxState, a: Account, body: Body, _: web.Request) -> Payload:
    rental = rentals.read_status(s, a, _id(body))
    return 200, views.rental_state(rental, a.balance)


async def complete(s: SandboxState, a: Account, _b: Body, request: web.Request) -> Payload:
    rental = rentals.complete(s, a, _path_id(request))
    return 200, views.completed(rental, a.balance)


async def prices_info(s: SandboxState, _a: Account, _b: Body, _r: web.Request) -> Payload:
    return 200, [views.price_info(svc) for svc in s.services.values()]


async def re_rent(s: SandboxState, a: Account, body: Body, _: web.Request) -> Payload:
    rental = rentals.rerent(s, a, _id(body, "rental_id"))
    return 201, views.rented(rental, a.balance)


async def balance(_s: SandboxState, a: Account, _b: Body, _r: web.Request) -> Payload:
    return 200, views.balance(a.balance)


# -- number long rentals ----------------------------------------------------------------
async def long_prices(s: SandboxState, _a: Account, _b: Body, _r: web.Request) -> Payload:
    prices = {k: float(v) for k, v in s.config.long_rental_prices.items()}
    return 200, {
        "status": "success",
        "prices": prices,
        "stock": long_rentals.long_rental_stock(s),
        "errors": None,
    }


async def long_list(s: SandboxState, a: Account, _b: Body, _r: web.Request) -> Payload:
    mine = [views.long_rental(r) for r in s.long_rentals.values() if r.owner == a.api_key]
    return 200, {"status": "success", "long_rentals": mine, "errors": "null"}


async def long_create(s: SandboxState, a: Account, body: Body, _: web.Request) -> Payload:
    rental = long_rentals.create_long_rental(
        s,
        a,
        inputs.text(body, "rental_time"),
        inputs.boolean(body, "auto_renew"),
        inputs.area_codes(body.get("area_codes")),
    )
    return 200, {"status": "success", "long_rental": views.long_rental(rental), "errors": "null"}


async def long_update(s: SandboxState, a: Account, body: Body, request: web.Request) -> Payload:
    auto_renew = inputs.boolean(body, "auto_renew") if "auto_renew" in body else None
    rental = long_rentals.update_long_rental(
        s, a, _path_id(request), inputs.text(body, "action"), auto_renew
    )
    return 200, {"status": "success", "long_rental": views.long_rental(rental), "errors": "null"}


async def long_messages(s: SandboxState, a: Account, _b: Body, request: web.Request) -> Payload:
    rental = long_rentals.owned_long_rental(s, a, _path_id(request))
    messages = [views.long_rental_message(m, rental.number.number) for m in rental.messages]
    return 200, {"status": "success", "messages": messages, "errors": "null"}


# -- service long rentals ---------------------------------------------------------------
async def slr_prices(s: SandboxState, _a: Account, _b: Body, _r: web.Request) -> Payload:
    prices = long_rentals.service_long_prices(list(s.services.values()))
    return 200, {"status": "success", "service_long_rental_prices": prices, "errors": None}


async def slr_list(s: SandboxState, a: Account, _b: Body, _r: web.Request) -> Payload:
    mine = [
        views.service_long_rental(r)
        for r in s.service_long_rentals.values()
        if r.owner == a.api_key and r.status == "Active"
    ]
    return 200, {"status": "success", "service_long_rentals": mine, "errors": None}


async def slr_create(s: SandboxState, a: Account, body: Body, _: web.Request) -> Payload:
    rental = long_rentals.create_service_long_rental(
        s,
        a,
        inputs.text(body, "service"),
        inputs.text(body, "period"),
        inputs.boolean(body, "auto_renew"),
        inputs.area_codes(body.get("area_codes")),
        inputs.boolean(body, "lock_area_code"),
    )
    return 201, views.slr_result("Service long rental created successfully.", rental)


def _slr(
    s: SandboxState, a: Account, body: Body, request: web.Request, active_only: bool = True
) -> ServiceLongRental:
    service = inputs.text(body, "service") or request.query.get("service") or None
    return long_rentals.find_service_long_rental(
        s, a, request.match_info["number"], service, active_only=active_only
    )


async def slr_cancel(s: SandboxState, a: Account, body: Body, request: web.Request) -> Payload:
    rental = _slr(s, a, body, request)
    long_rentals.cancel_service_long_rental(s, rental, a)
    return 200, views.slr_result("Service long rental cancelled successfully.", rental)


async def slr_auto_renew(s: SandboxState, a: Account, body: Body, request: web.Request) -> Payload:
    if body.get("auto_renew") is None:
        raise raise_(AUTO_RENEW_MISSING)
    value = body["auto_renew"]
    if not isinstance(value, bool):
        raise raise_(AUTO_RENEW_INVALID)
    rental = _slr(s, a, body, request)
    rental.auto_renew = value
    return 200, views.slr_result("Service long rental auto-renew updated successfully.", rental)


async def slr_renew(s: SandboxState, a: Account, body: Body, request: web.Request) -> Payload:
    rental = _slr(s, a, body, request)
    long_rentals.renew_service_long_rental(rental, a, s)
    return 200, views.slr_result("Service long rental renewed successfully.", rental)


async def slr_messages(s: SandboxState, a: Account, body: Body, request: web.Request) -> Payload:
    rental = _slr(s, a, body, request, active_only=False)
    messages = [views.service_long_rental_message(m, rental) for m in rental.messages]
    return 200, {"status": "success", "messages": messages, "errors": None}


# -- auctions ---------------------------------------------------------------------------
async def auctions(s: SandboxState, _a: Account, _b: Body, _r: web.Request) -> Payload:
    return 200, {
        "status": "success",
        "auctions": [views.auction(x) for x in long_rentals.active_auctions(s)],
    }


async def auction_bid(s: SandboxState, a: Account, body: Body, request: web.Request) -> Payload:
    amount = inputs.decimal(body, "bid_amount")
    if amount is None:
        raise raise_(BID_MISSING)
    auction = long_rentals.bid(s, a, _path_id(request), amount)
    return 200, {
        "status": "success",
        "message": "Bid placed successfully.",
        "new_current_bid": f"{auction.current_bid:.2f}",
    }


V1 = "/api/v1"
ROUTES: tuple[tuple[str, str, str, Any, Any], ...] = (
    # method, path, endpoint name (faults, stats), handler, limit group
    ("POST", "/rent-a-number", "rent-a-number", rent_a_number, RENT),
    ("POST", "/rent-specific-number", "rent-specific-number", rent_specific, RENT),
    ("POST", "/rent-multiple-services", "rent-multiple-services", rent_multiple, MULTI),
    ("POST", "/cancel-rental", "cancel-rental", cancel_rental, CANCEL),
    ("POST", "/rental-status", "rental-status", rental_status, None),
    ("POST", "/rental-status/{id}/completed", "rental-completed", complete, None),
    ("GET", "/prices-info", "prices-info", prices_info, None),
    ("POST", "/re-rent", "re-rent", re_rent, None),
    ("GET", "/balance", "balance", balance, None),
    ("GET", "/long-rentals/prices", "long-rentals-prices", long_prices, None),
    ("GET", "/long-rentals", "long-rentals", long_list, None),
    ("POST", "/long-rentals", "long-rentals-create", long_create, None),
    ("POST", "/long-rentals/{id}/update", "long-rentals-update", long_update, None),
    ("GET", "/long-rentals/{id}/messages", "long-rentals-messages", long_messages, None),
    ("GET", "/service-long-rentals/prices", "service-long-rentals-prices", slr_prices, None),
    ("GET", "/service-long-rentals", "service-long-rentals", slr_list, None),
    ("POST", "/service-long-rentals", "service-long-rentals-create", slr_create, None),
    (
        "POST",
        "/service-long-rentals/{number}/cancel",
        "service-long-rentals-cancel",
        slr_cancel,
        None,
    ),
    (
        "POST",
        "/service-long-rentals/{number}/auto-renew",
        "service-long-rentals-auto-renew",
        slr_auto_renew,
        None,
    ),
    ("POST", "/service-long-rentals/{number}/renew", "service-long-rentals-renew", slr_renew, None),
    (
        "GET",
        "/service-long-rentals/{number}/messages",
        "service-long-rentals-messages",
        slr_messages,
        None,
    ),
    ("GET", "/auctions", "auctions", auctions, None),
    ("POST", "/auctions/{id}/bid", "auctions-bid", auction_bid, None),
)


def add_routes(app: web.Application) -> None:
    for method, path, name, handler, group in ROUTES:
        app.router.add_route(method, V1 + path, vendor_endpoint(handler, group), name=name)
