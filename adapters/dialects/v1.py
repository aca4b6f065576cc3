"""Getatext's own JSON v1 API, served by the proxy: the vendor's paths, bodies, status codes
and error texts, backed by the same core (store, pacing, caches, ownership).

Short rentals are the core's activations (the ids are the proxy's, shared with every
dialect). Long rentals, service long rentals and auctions are vendor records the core does
not model: they are forwarded as they are, paced, under the caller's key.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

from proxy import errors as e
from proxy.domain import Activation, ActivationStatus, Offer, Order, Tenant
from proxy.inputs import BodyError, ascii_digits, load_json, parse_id, parse_price, printable
from proxy.keys import REQUEST_NOTE
from proxy.service import Service

from .codes import OPERATORS

log = logging.getLogger("smsproxy.dialect.v1")
S = ActivationStatus
Reply = tuple[int, str]
Json = dict[str, Any]
RENTED = "Number rented successfully."
CARRIERS = frozenset(OPERATORS.values())
THROTTLED_RENT: Reply = (429, "Rental error, number is already taken. Please try again")

# Errors raised by the proxy itself (the vendor's own answers are repeated verbatim).
ERRORS: Mapping[type[e.DomainError], Reply] = {
    e.MissingKey: (403, "Auth is not presented on the request"),
    e.BadKey: (403, "Wrong Api Key or User is restricted"),
    e.BadService: (400, "Service is not presented on the request"),
    e.NoNumbers: (400, "Service is out of stock"),
    e.NoBalance: (400, "Insufficient funds"),  # the vendor's words: a tenant's budget too
    e.NotFound: (404, "Rental not found"),
    e.EarlyCancel: (400, "You must wait 1 minute before cancelling the rental"),
    e.BadTransition: (400, "Rental cannot be cancelled"),
    e.Expired: (400, "Rental cannot be cancelled"),
    e.StillActive: (400, "Rental is still active"),
    e.NotReRentable: (400, "This service cannot be re-rented"),
    e.RateLimited: (429, "Too Many Attempts."),
    e.Maintenance: (503, "Service is under maintenance"),
    e.OutcomeUnknown: THROTTLED_RENT,  # the vendor's own "try again" for a purchase
    e.DomainError: (500, "Server Error"),
}
BY_ACTION: Mapping[str, Mapping[type[e.DomainError], Reply]] = {
    "rent-a-number": {e.RateLimited: THROTTLED_RENT},
    "rent-specific-number": {e.RateLimited: THROTTLED_RENT},
    "rent-multiple-services": {
        e.NoNumbers: (400, "This combination of services failed recently. Please try again later")
    },
    "rental-completed": {
        e.BadTransition: (400, "Rental cannot be completed before its code is viewed"),
        e.Expired: (400, "Rental cannot be completed before its code is viewed"),
    },
}


class Refusal(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.reply = (status, text)


def reply_for(error: e.DomainError, action: str) -> Reply:
    if error.vendor_status is not None and error.vendor_text:
        return error.vendor_status, error.vendor_text  # the vendor's own words
    specific = BY_ACTION.get(action, {})
    for cls in type(error).__mro__:
        found = specific.get(cls) or ERRORS.get(cls)
        if found is not None:
            return found
    return 500, "Server Error"


def answer(status: int, payload: Any) -> web.Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return web.Response(status=status, body=body, content_type="application/json")


def money(value: Decimal | None) -> str:
    return f"{(value or Decimal(0)):.2f}"


def known_money(value: Decimal | None) -> str | None:
    return None if value is None else money(value)


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


# -- request fields (the vendor's leniency, the vendor's texts) ------------------------------
async def read_body(request: web.Request) -> Json:
    raw = await request.read()
    if not raw.strip():
        return {}
    if raw.lstrip()[:1] not in (b"{", b"[") and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        try:
            form = await request.post()
        except (ValueError, UnicodeDecodeError, web.HTTPException):
            raise Refusal(400, "Malformed JSON body") from None  # a broken form, answered alike
        return {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        body = load_json(raw)
    except BodyError:
        raise Refusal(400, "Malformed JSON body") from None
    if not isinstance(body, dict):
        raise Refusal(400, "Malformed JSON body")
    return body


def text(body: Json, name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Refusal(400, f"{name} must be a string")
    return str(value).strip() or None


def flag(body: Json, name: str) -> bool:
    value = body.get(name)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "false", "0", ""):
        return value.strip().lower() in ("true", "1")
    raise Refusal(400, f"{name} must be a boolean")


def price(body: Json, name: str) -> Decimal | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    result = parse_price(value)
    if result is None:
        raise Refusal(400, f"{name} must be a number")
    return result


def ident(body: Json, name: str, missing: str) -> int:
    value = body.get(name)
    if value in (None, ""):
        raise Refusal(400, missing)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Refusal(400, "Id must be an integer")
    found = parse_id(value)
    if found is None:
        if isinstance(value, int) or ascii_digits(value.strip(), 64) is not None:
            raise e.NotFound()  # an integer, but none the proxy ever gave out
        raise Refusal(400, "Id must be an integer")
    return found


def listing(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else str(value).split(",")
    return tuple(dict.fromkeys(s for s in (str(i).strip() for i in items) if s))


def order(body: Json, services: tuple[str, ...], area_field: str) -> Order:
    carrier = text(body, "carrier")
    if carrier is not None and carrier.lower() not in CARRIERS:
        raise Refusal(400, "Wrong Carrier")
    codes = tuple(c for c in listing(body.get(area_field)) if len(c) == 3 and ascii_digits(c, 3))
    return Order(
        services=services,
        carrier=carrier.lower() if carrier else None,
        keep_carrier=flag(body, "keep_carrier"),
        area_codes=codes,
        lock_area_code=flag(body, "lock_area_code"),
        max_price=price(body, "max_price"),
    )


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


@dataclass(frozen=True)
class Call:
    service: Service
    tenant: Tenant
    request: web.Request
    body: Json
    action: str

    async def names(self) -> dict[str, str]:
        try:
            offers: list[Offer] = list(await self.service.offers(self.tenant))
        except e.UpstreamError:
            return {}
        return {o.service: o.name for o in offers}

    async def name(self, a: Activation) -> str:
        if a.receipt is not None:
            return a.receipt.service_name
        return (await self.names()).get(a.service, a.service.capitalize())

    async def balance(self, a: Activation | None = None) -> Decimal | None:
        """The balance an answer mentions: the purchase's own, else a recent one; None
        (JSON null) when the vendor cannot say, rather than no answer at all."""
        if a is not None and a.receipt is not None and a.receipt.balance_after is not None:
            return a.receipt.balance_after
        return await self.service.balance_hint(self.tenant)


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


Handler = Callable[[Call], Awaitable[web.Response]]
ROUTES: tuple[tuple[str, str, str, Handler], ...] = (
    ("POST", "/rent-a-number", "rent-a-number", rent_a_number),
    ("POST", "/rent-specific-number", "rent-specific-number", rent_specific),
    ("POST", "/rent-multiple-services", "rent-multiple-services", rent_multiple),
    ("POST", "/cancel-rental", "cancel-rental", cancel_rental),
    ("POST", "/rental-status", "rental-status", rental_status),
    ("POST", "/rental-status/{id}/completed", "rental-completed", complete),
    ("GET", "/prices-info", "prices-info", prices_info),
    ("POST", "/re-rent", "re-rent", re_rent),
    ("GET", "/balance", "balance", balance),
    ("GET", "/long-rentals/prices", "long-rentals", native),
    ("GET", "/long-rentals", "long-rentals", native),
    ("POST", "/long-rentals", "long-rentals", native),
    ("POST", "/long-rentals/{id}/update", "long-rentals", native),
    ("GET", "/long-rentals/{id}/messages", "long-rentals", native),
    ("GET", "/service-long-rentals/prices", "service-long-rentals", native),
    ("GET", "/service-long-rentals", "service-long-rentals", native),
    ("POST", "/service-long-rentals", "service-long-rentals", native),
    ("POST", "/service-long-rentals/{number}/cancel", "service-long-rentals", native),
    ("POST", "/service-long-rentals/{number}/auto-renew", "service-long-rentals", native),
    ("POST", "/service-long-rentals/{number}/renew", "service-long-rentals", native),
    ("GET", "/service-long-rentals/{number}/messages", "service-long-rentals", native),
    ("GET", "/auctions", "auctions", native),
    ("POST", "/auctions/{id}/bid", "auctions", native),
)


def _wrap(
    service: Service,
    action: str,
    handler: Handler,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        note = {"dialect": "v1", "action": action, "result": "ok"}
        request[REQUEST_NOTE] = note
        try:
            tenant = service.tenant(request.headers.get("Auth"))
            body = await read_body(request)
            return await handler(Call(service, tenant, request, body, action))
        except Refusal as refusal:
            note["result"] = "bad_request"
            status, message = refusal.reply
        except web.HTTPRequestEntityTooLarge:
            note["result"] = "bad_request"
            status, message = 413, "Request body is too large"
        except e.DomainError as error:
            note["result"] = type(error).__name__
            status, message = reply_for(error, action)
        except Exception:
            note["result"] = "internal"
            log.exception("v1 %s failed", action)
            status, message = 500, "Server Error"
        return answer(status, {"errors": message})

    return handle


async def not_found(_request: web.Request) -> web.Response:
    return answer(404, {"errors": "Not Found"})


async def method_not_allowed(_request: web.Request) -> web.Response:
    return answer(405, {"errors": "Method Not Allowed"})


def mount(app: web.Application, service: Service) -> None:
    methods: dict[str, set[str]] = {}
    for method, path, action, handler in ROUTES:
        app.router.add_route(method, "/api/v1" + path, _wrap(service, action, handler))
        methods.setdefault(path, set()).add(method)
    for path, allowed in methods.items():
        for other in {"GET", "POST", "PUT", "PATCH", "DELETE"} - allowed:
            app.router.add_route(other, "/api/v1" + path, method_not_allowed)
    app.router.add_route("*", "/api/v1/{tail:.*}", not_found)
