"""Short rentals: the core's activations, their ids the proxy's, shared with every
dialect."""

from __future__ import annotations

from decimal import Decimal

from aiohttp import web

from proxy.domain import Activation, ActivationStatus
from proxy.inputs import parse_id

from .frame import (
    Call,
    Json,
    Refusal,
    _float,
    answer,
    ident,
    known_money,
    listing,
    money,
    order,
    price,
    text,
    when,
)

S = ActivationStatus
RENTED = "Number rented successfully."


# -- views --------------------------------------------------------------------------------------
VENDOR_STATE = {
    S.WAITING: "active",
    S.CODE_RECEIVED: "viewed",
    S.RETRY_WAIT: "viewed",
    S.COMPLETED: "completed",
    S.CANCELLED: "cancelled",
    S.BANNED: "cancelled",
}


def vendor_state(a: Activation) -> str:
    if a.status is S.EXPIRED:
        return "completed" if a.code else "expired"
    return VENDOR_STATE[a.status]


async def rented(call: Call, a: Activation) -> Json:
    return {
        "id": a.id,
        "status": "success",
        "message": RENTED,
        "errors": None,
        "end_time": when(a.end_time),
        "number": a.number,
        "service_name": await call.name(a),
        "price": money(a.cost),
        "new_balance": known_money(await call.balance(a)),
    }


async def state(call: Call, a: Activation) -> Json:
    return {
        "id": a.id,
        "status": vendor_state(a),
        "code": a.code,
        "errors": None,
        "end_time": when(a.end_time),
        "number": a.number,
        "service_name": await call.name(a),
        "cost": money(a.cost),
        "balance": known_money(await call.balance()),
    }


# -- endpoints ---------------------------------------------------------------------------------
async def rent_a_number(call: Call) -> web.Response:
    service = text(call.body, "service")
    if service is None:
        raise Refusal(400, "Service is not presented on the request")
    a = await call.service.rent(call.tenant, order(call.body, (service,), "area_codes"))
    return answer(201, await rented(call, a))


async def rent_specific(call: Call) -> web.Response:
    number, service = text(call.body, "number"), text(call.body, "service")
    if number is None or service is None:
        raise Refusal(400, "Phone number and service are required")
    a = await call.service.rent_specific(
        call.tenant, number, service, price(call.body, "max_price")
    )
    receipt = a.receipt
    return answer(
        201,
        {
            "id": a.id,
            "status": "success",
            "message": RENTED,
            "errors": None,
            "end_time": when(a.end_time),
            "number": a.number,
            "service_name": await call.name(a),
            "price": float(a.cost),
            "new_balance": _float(await call.balance(a)),
            "country": "usa",
            "returning_customer": bool(receipt and receipt.returning_customer),
        },
    )


async def rent_multiple(call: Call) -> web.Response:
    services = listing(call.body.get("services"))
    if not services:
        raise Refusal(400, "Services are not presented on the request")
    found = await call.service.rent_many(call.tenant, order(call.body, services, "rent_area_codes"))
    items = []
    for a in found:
        item = await rented(call, a)
        del item["new_balance"]
        items.append(item)
    total = sum((a.cost for a in found), Decimal(0))
    return answer(
        201,
        {
            "status": "success",
            "rentals": items,
            "new_balance": known_money(await call.balance(found[-1])),
            "total_cost": money(total),
        },
    )


async def cancel_rental(call: Call) -> web.Response:
    a = await call.service.cancel(
        call.tenant, ident(call.body, "id", "Id is not presented on the request")
    )
    return answer(200, await state(call, a))


async def rental_status(call: Call) -> web.Response:
    a = await call.service.status(
        call.tenant, ident(call.body, "id", "Id is not presented on the request")
    )
    return answer(200, await state(call, a))


async def complete(call: Call) -> web.Response:
    raw = call.request.match_info["id"]
    a = await call.service.complete(call.tenant, parse_id(raw))
    return answer(
        200,
        {
            "status": "success",
            "message": "Rental marked as completed successfully.",
            "errors": "null",
            "rental": {
                "id": a.id,
                "end_time": when(a.end_time),
                "number": a.number,
                "service_name": await call.name(a),
                "price": money(a.cost),
                "new_balance": known_money(await call.balance()),
            },
        },
    )


async def prices_info(call: Call) -> web.Response:
    return answer(
        200,
        [
            {
                "service_name": o.name,
                "api_name": o.service,
                "multiple_sms": "true" if o.multiple_sms else "false",
                "price": money(o.cost),
                "ttl": o.ttl_minutes,
                "stock": o.stock,
            }
            for o in await call.service.offers(call.tenant)
        ],
    )


async def re_rent(call: Call) -> web.Response:
    parent = ident(call.body, "rental_id", "Rental id is not presented on the request")
    a = await call.service.extra(call.tenant, parent)
    return answer(201, await rented(call, a))


async def balance(call: Call) -> web.Response:
    value = await call.service.balance(call.tenant)
    return answer(200, {"status": "success", "balance": money(value), "errors": "null"})
