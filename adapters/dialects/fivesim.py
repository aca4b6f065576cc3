"""5sim's REST v1 API (`/v1/user/*`, `/v1/guest/*`) on the same core (protocols/5sim.md).

Success is JSON with `Content-Type: application/json` exactly; errors are the exact
lowercase 5sim strings as `text/plain` with HTTP 400 (401 for keys, 429 for pacing, 500
for failures). Decisions F1–F15 are recorded in docs/fivesim.md.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from proxy import errors as e
from proxy.domain import Activation, ActivationStatus, Offer, Order, Tenant
from proxy.keys import REQUEST_NOTE
from proxy.service import Service

from . import codes
from .base import TRUE

log = logging.getLogger("smsproxy.dialect.fivesim")
S = ActivationStatus
Reply = tuple[int, str]
CARRIER_SURCHARGE = Decimal("1.2")  # the vendor's price for a carrier match (F11)

ERRORS: Mapping[type[e.DomainError], Reply] = {
    e.AuthError: (401, ""),
    e.NoNumbers: (400, "no free phones"),
    e.RentalLimit: (400, "no free phones"),  # F13
    e.MaxPriceExceeded: (400, "no free phones"),
    e.NumberTaken: (400, "no free phones"),
    e.CombinationFailed: (400, "no free phones"),
    e.NoBalance: (400, "not enough user balance"),
    e.BadService: (400, "no product"),
    e.ServiceUnavailable: (400, "no product"),
    e.WrongCarrier: (400, "bad operator"),
    e.RateLimited: (429, ""),
    e.NotFound: (400, "order not found"),  # F15
    e.EarlyCancel: (400, "you need to wait time"),  # F5
    e.Expired: (400, "order expired"),
    e.BadTransition: (400, "order has sms"),
    e.NotViewed: (400, "order no sms"),
    e.StillActive: (400, "reuse not possible"),
    e.NotReRentable: (400, "reuse not possible"),
    e.Maintenance: (400, "server offline"),  # F8
    e.DomainError: (500, "internal error"),
}
BY_ACTION: Mapping[str, Mapping[type[e.DomainError], Reply]] = {
    "finish": {e.BadTransition: (400, "order no sms")},
    "reuse": {e.NoNumbers: (400, "reuse not possible"), e.BadService: (400, "no product")},
}


class Refusal(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(body)
        self.reply = (status, body)


def reply_for(error: e.DomainError, action: str) -> Reply:
    specific = BY_ACTION.get(action, {})
    for cls in type(error).__mro__:
        found = specific.get(cls) or ERRORS.get(cls)
        if found is not None:
            return found
    return 500, "internal error"


def ok(payload: Any) -> web.Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return web.Response(body=body, content_type="application/json")


def fail(status: int, body: str) -> web.Response:
    return web.Response(status=status, text=body, content_type="text/plain")


def rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Call:
    service: Service
    tenant: Tenant | None
    request: web.Request

    @property
    def me(self) -> Tenant:
        assert self.tenant is not None
        return self.tenant

    def path(self, name: str) -> str:
        return self.request.match_info[name]

    def query(self, name: str) -> str | None:
        value = self.request.query.get(name, "").strip()
        return value or None  # empty values mean absent


Handler = Callable[[Call], Awaitable[web.Response]]


def token(request: web.Request) -> str | None:
    """`Authorization: Bearer X` or a bare `X`."""
    raw = request.headers.get("Authorization", "").strip()
    if raw.lower().startswith("bearer "):
        raw = raw[7:].strip()
    return raw or None


# -- rendering ------------------------------------------------------------------------------
def status_of(a: Activation, now: float) -> str:
    if a.status in (S.WAITING, S.CODE_RECEIVED, S.RETRY_WAIT) and now >= a.end_time:
        return "FINISHED" if a.code else "TIMEOUT"
    return {
        S.WAITING: "PENDING",
        S.CODE_RECEIVED: "RECEIVED",
        S.RETRY_WAIT: "RECEIVED",
        S.CANCELLED: "CANCELED",
        S.BANNED: "BANNED",
        S.COMPLETED: "FINISHED",
        S.EXPIRED: "FINISHED" if a.code else "TIMEOUT",
    }[a.status]


def sms_list(a: Activation) -> list[dict[str, Any]]:
    if a.code is None:
        return []
    at = rfc3339(a.code_at or a.created_at)
    return [{"created_at": at, "date": at, "sender": "", "text": a.code, "code": a.code}]


def order_json(a: Activation, now: float) -> dict[str, Any]:
    return {
        "id": a.id,
        "phone": "+1" + a.number,
        "operator": "any",
        "product": codes.fivesim_slug(a.service),
        "price": float(a.cost),
        "status": status_of(a, now),
        "expires": rfc3339(a.end_time),
        "sms": sms_list(a),
        "created_at": rfc3339(a.created_at),
        "forwarding": False,
        "forwarding_number": "",
        "country": codes.FIVESIM_COUNTRY,
    }


def order_id(call: Call) -> int:
    raw = call.path("id")
    if not raw.isdigit() or not 0 < int(raw) < 2**31:
        raise Refusal(400, "order not found")
    return int(raw)


# -- user ------------------------------------------------------------------------------------
async def profile(call: Call) -> web.Response:
    balance = await call.service.balance(call.me)
    latest, total = await call.service.history(call.me, 1, 0, newest_first=True)
    active = len(await call.service.active(call.me))
    last = (
        f"usa:{codes.fivesim_slug(latest[0].service)}:any:{latest[0].id}:{float(latest[0].cost)}"
        if latest
        else "usa:other:any:0:0"
    )
    number = int(hashlib.sha256(call.me.owner.encode()).hexdigest()[:7], 16)  # F12
    return ok(
        {
            "id": number,
            "email": f"u{number}@example.com",
            "vendor": "",
            "default_forwarding_number": "",
            "balance": max(float(balance), 0.0),
            "rating": 96,
            "default_country": {"name": "usa", "iso": "us", "prefix": "+1"},
            "default_operator": {"name": "any"},
            "frozen_balance": 0,
            "did_order": total > 0,
            "last_order": last,
            "last_top_orders": f"[{last}]",
            "last_top_idx": 0,
            "total_active_orders": active,
        }
    )


def _int(value: str | None, default: int, limit: int) -> int:
    return min(int(value), limit) if value and value.isdigit() else default


async def orders(call: Call) -> web.Response:
    if call.query("category") not in ("activation", "hosting"):
        raise Refusal(400, "select category")  # decided: the category is required
    if call.query("category") == "hosting":
        return ok({"Data": [], "ProductNames": [], "Statuses": [], "Total": 0})
    limit, offset = _int(call.query("limit"), 50, 500), _int(call.query("offset"), 0, 10**9)
    newest_first = (call.query("reverse") or "true").lower() in TRUE
    found, total = await call.service.history(call.me, limit, offset, newest_first)
    now = call.service.clock.now()
    return ok(
        {
            "Data": [order_json(a, now) for a in found],
            "ProductNames": [],
            "Statuses": [],
            "Total": total,
        }
    )


async def payments(_call: Call) -> web.Response:
    return ok({"Data": [], "PaymentTypes": [], "PaymentProviders": [], "Total": 0})


def _country(slug: str) -> None:
    slug = slug.strip().lower()
    if slug in ("usa", "any"):
        return
    if slug in codes.FIVESIM_COUNTRIES:
        raise Refusal(400, "no free phones")  # F2: tools move on to another country
    raise Refusal(400, "bad country")


def _operator(slug: str) -> str | None:
    known, carrier = codes.fivesim_operator(slug)
    if not known:
        raise Refusal(400, "bad operator")
    return carrier


def _product(slug: str) -> str:
    api_name = codes.fivesim_api_name(slug)
    if api_name is None:
        raise Refusal(400, "no product")
    return api_name


async def buy_activation(call: Call) -> web.Response:
    _country(call.path("country"))
    carrier = _operator(call.path("operator"))
    service = _product(call.path("product"))
    if (call.query("forwarding") or "").lower() in TRUE or call.query("voice") == "1":
        raise Refusal(400, "no free phones")  # forwarding and voice are not offered
    max_price = _price(call.query("maxPrice"))
    if max_price is None:
        max_price = (await call.service.max_prices(call.me)).get(service)
    order = Order(
        services=(service,), carrier=carrier, keep_carrier=carrier is not None, max_price=max_price
    )  # F3: a named operator is a hard choice
    a = await call.service.rent(call.me, order)
    return ok(order_json(a, call.service.clock.now()))


def _price(raw: str | None) -> Decimal | None:
    if raw is None:
        return None
    try:
        price = Decimal(raw)
    except InvalidOperation:
        return None
    return price if price.is_finite() and price > 0 else None


async def buy_hosting(call: Call) -> web.Response:
    _country(call.path("country"))
    _operator(call.path("operator"))
    raise Refusal(400, "no product")  # F7: hosting is not offered by this proxy yet


async def reuse(call: Call) -> web.Response:
    service = _product(call.path("product"))
    digits = call.path("number").lstrip("+")
    number = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
    if len(number) != 10 or not number.isdigit():
        raise Refusal(400, "reuse not possible")
    a = await call.service.reuse(call.me, service, number)
    return ok(order_json(a, call.service.clock.now()))


OrderMethod = Callable[[Service, Tenant, int | None], Awaitable[Activation]]


def order_action(method: OrderMethod) -> Handler:
    """check, finish, cancel, ban: one core call on the order, the order as the answer."""

    async def act(call: Call) -> web.Response:
        a = await method(call.service, call.me, order_id(call))
        return ok(order_json(a, call.service.clock.now()))

    return act


check = order_action(Service.status)
finish = order_action(Service.complete)
cancel = order_action(Service.cancel)
ban = order_action(Service.ban)


async def inbox(call: Call) -> web.Response:
    a = await call.service.status(call.me, order_id(call))
    rows = [
        {"ID": i + 1, **sms, "is_wave": False, "wave_uuid": ""} for i, sms in enumerate(sms_list(a))
    ]
    return ok({"Data": rows, "Total": len(rows)})


async def max_prices(call: Call) -> web.Response:
    if call.request.method == "GET":
        prices = await call.service.max_prices(call.me)
        stamp = rfc3339(call.service.clock.now())
        return ok(
            [
                {
                    "id": i + 1,
                    "product": codes.fivesim_slug(name),
                    "price": float(price),
                    "CreatedAt": stamp,
                    "created_at": stamp,
                }
                for i, (name, price) in enumerate(sorted(prices.items()))
            ]
        )
    try:
        body = json.loads(await call.request.read() or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise Refusal(400, "bad request") from None
    if not isinstance(body, dict) or not isinstance(body.get("product_name"), str):
        raise Refusal(400, "no product")
    service = _product(body["product_name"])
    if call.request.method == "DELETE":
        await call.service.delete_max_price(call.me, service)
        return ok({"success": True})
    price = _price(str(body.get("price")))
    if price is None:
        raise Refusal(400, "bad price")
    await call.service.set_max_price(call.me, service, price)
    return ok({"success": True})


# -- guest -----------------------------------------------------------------------------------
def _offer_prices(o: Offer) -> dict[str, dict[str, Any]]:
    """F11: `any` at the base price, each carrier at base x 1.2, same stock."""
    prices = {"any": {"cost": float(o.cost), "count": o.stock, "rate": 99}}
    surcharged = float((o.cost * CARRIER_SURCHARGE).quantize(Decimal("0.01")))
    for name in codes.FIVESIM_OPERATOR_NAMES:
        prices[name] = {"cost": surcharged, "count": o.stock, "rate": 99}
    return prices


async def guest_products(call: Call) -> web.Response:
    _country(call.path("country"))
    carrier = _operator(call.path("operator"))
    offers = await call.service.offers(call.me)
    factor = CARRIER_SURCHARGE if carrier else Decimal(1)
    return ok(
        {
            codes.fivesim_slug(o.service): {
                "Category": "activation",
                "Qty": o.stock,
                "Price": float((o.cost * factor).quantize(Decimal("0.01"))),
            }
            for o in offers
        }
    )


async def guest_prices(call: Call) -> web.Response:
    country, product = call.query("country"), call.query("product")
    if country is not None and country not in codes.FIVESIM_COUNTRIES:
        raise Refusal(400, "country is incorrect")
    offers = {codes.fivesim_slug(o.service): o for o in await call.service.offers(call.me)}
    if product is not None and codes.fivesim_api_name(product) is None:
        raise Refusal(400, "product is incorrect")
    if country not in (None, "usa", "any") or (product is not None and product not in offers):
        return ok(None)  # not sold there: the JSON literal null
    table = {
        slug: _offer_prices(o) for slug, o in offers.items() if product is None or slug == product
    }
    if product is not None and country is None:
        return ok({product: {"usa": table[product]}})
    return ok({"usa": table})


async def guest_countries(_call: Call) -> web.Response:
    operators = {name: {"activation": 1} for name in ("any", *codes.FIVESIM_OPERATOR_NAMES)}
    return ok(
        {
            "usa": {
                "iso": {"us": 1},
                "prefix": {"+1": 1},
                "text_en": "USA",
                "text_ru": "США",
                **operators,
            }
        }
    )


async def flash(_call: Call) -> web.Response:
    return ok({"text": ""})


# -- frame ---------------------------------------------------------------------------------
def _wrap(
    service: Service, action: str, handler: Handler, guest_key: str | None, *, guest: bool = False
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        note = {"dialect": "5sim", "action": action, "result": "ok"}
        request[REQUEST_NOTE] = note
        try:
            key = token(request)
            if guest:
                key = key or guest_key
                if key is None:
                    raise e.Maintenance()  # no key to read the vendor's prices with
            tenant = service.tenant(key)
            return await handler(Call(service, tenant, request))
        except Refusal as refusal:
            note["result"] = "bad_request"
            return fail(*refusal.reply)
        except e.DomainError as error:
            note["result"] = type(error).__name__
            return fail(*reply_for(error, action))
        except Exception:
            note["result"] = "internal"
            log.exception("5sim %s failed", action)
            return fail(500, "internal error")

    return handle


ROUTES: tuple[tuple[str, str, str, Handler, bool], ...] = (
    ("GET", "/v1/user/profile", "profile", profile, False),
    ("GET", "/v1/user/orders", "orders", orders, False),
    ("GET", "/v1/user/payments", "payments", payments, False),
    ("GET", "/v1/user/buy/activation/{country}/{operator}/{product}", "buy", buy_activation, False),
    (
        "GET",
        "/v1/user/buy/hosting/{country}/{operator}/{product}",
        "buy_hosting",
        buy_hosting,
        False,
    ),
    ("GET", "/v1/user/reuse/{product}/{number}", "reuse", reuse, False),
    ("GET", "/v1/user/buy/reuse/{product}/{number}", "reuse", reuse, False),
    ("GET", "/v1/user/check/{id}", "check", check, False),
    ("GET", "/v1/user/finish/{id}", "finish", finish, False),
    ("GET", "/v1/user/cancel/{id}", "cancel", cancel, False),
    ("GET", "/v1/user/ban/{id}", "ban", ban, False),
    ("GET", "/v1/user/sms/inbox/{id}", "inbox", inbox, False),
    ("GET", "/v1/user/max-prices", "max_prices", max_prices, False),
    ("POST", "/v1/user/max-prices", "max_prices", max_prices, False),
    ("DELETE", "/v1/user/max-prices", "max_prices", max_prices, False),
    ("GET", "/v1/guest/products/{country}/{operator}", "products", guest_products, True),
    ("GET", "/v1/guest/prices", "prices", guest_prices, True),
    ("GET", "/v1/guest/countries", "countries", guest_countries, True),
    ("GET", "/v1/guest/flash/{lang}", "flash", flash, True),
)


def mount(app: web.Application, service: Service, guest_key: str | None = None) -> None:
    for method, path, action, handler, guest in ROUTES:
        wrapped = _wrap(service, action, handler, guest_key, guest=guest)
        app.router.add_route(method, path, wrapped)
        app.router.add_route(method, path + "/", wrapped)  # tolerate a trailing slash
