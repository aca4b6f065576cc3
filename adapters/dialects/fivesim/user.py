"""`/v1/user/*`: the account, orders and their actions, price limits."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from aiohttp import web

from proxy.domain import Activation, LongRental, Order, Tenant
from proxy.errors import NotFound
from proxy.inputs import BodyError, ascii_digits, load_json, parse_id
from proxy.service import Clients

from .. import codes
from ..base import TRUE
from . import hosting
from .errors import Refusal
from .frame import Call, Handler, ok
from .params import api_name_of, carrier_of, country_of, positive_price
from .views import order_json, rfc3339, sms_list


def order_id(call: Call) -> int:
    found = parse_id(call.path("id"))
    if found is None:
        raise Refusal(400, "order not found")
    return found


# -- user ------------------------------------------------------------------------------------
async def profile(call: Call) -> web.Response:
    balance, (latest, total), active_now = await asyncio.gather(
        call.service.listing_balance(call.me),
        call.service.history(call.me, 1, 0, newest_first=True),
        call.service.active(call.me),
    )
    active = len(active_now)
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
    digits = ascii_digits(value, len(str(limit)))
    return min(int(digits), limit) if digits is not None else default


async def orders(call: Call) -> web.Response:
    if call.query("category") not in ("activation", "hosting"):
        raise Refusal(400, "select category")  # decided: the category is required
    limit, offset = _int(call.query("limit"), 50, 500), _int(call.query("offset"), 0, 10**9)
    newest_first = (call.query("reverse") or "true").lower() in TRUE
    if call.query("category") == "hosting":
        return await hosting.orders(call, limit, offset, newest_first)
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


async def buy_activation(call: Call) -> web.Response:
    country = country_of(call.path("country"))
    carrier = carrier_of(call.path("operator"))
    service = api_name_of(call.path("product"))
    if (call.query("forwarding") or "").lower() in TRUE or call.query("voice") == "1":
        raise Refusal(400, "no free phones")  # forwarding and voice are not offered
    max_price = positive_price(call.query("maxPrice"))
    if max_price is None:
        max_price = (await call.service.max_prices(call.me)).get(service)
    order = Order(
        services=(service,),
        carrier=carrier,
        keep_carrier=carrier is not None,
        max_price=max_price,
        country=country,
    )  # F3: a named operator is a hard choice
    a = await call.service.rent(call.me, order)
    return ok(order_json(a, call.service.clock.now()))


buy_hosting = hosting.buy_hosting


async def reuse(call: Call) -> web.Response:
    service = api_name_of(call.path("product"))
    digits = call.path("number").lstrip("+")
    number = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
    if ascii_digits(number, 10) is None or len(number) != 10:
        raise Refusal(400, "reuse not possible")
    a = await call.service.reuse(call.me, service, number)
    return ok(order_json(a, call.service.clock.now()))


OrderMethod = Callable[[Clients, Tenant, int | None], Awaitable[Activation]]


HostingAction = Callable[[Call, LongRental], Awaitable[web.Response]]


async def refuse_hosting(_call: Call, _rental: LongRental) -> web.Response:
    raise Refusal(400, "hosting order")  # §2.5: finish, cancel and ban


def order_action(method: OrderMethod, on_hosting: HostingAction = refuse_hosting) -> Handler:
    """check, finish, cancel, ban: one core call on the order, the order as the answer;
    an id no activation has may be a hosting order's, which goes to `on_hosting` (looked
    up only then: the activation polls that make most traffic pay nothing for it)."""

    async def act(call: Call) -> web.Response:
        wanted = order_id(call)
        try:
            a = await method(call.service, call.me, wanted)
        except NotFound:  # not an activation: a hosting order's id, or no order at all
            rental = await hosting.held(call, wanted)
            if rental is None:
                raise
            return await on_hosting(call, rental)
        return ok(order_json(a, call.service.clock.now()))

    return act


check = order_action(Clients.status, hosting.check)
finish = order_action(Clients.complete)
cancel = order_action(Clients.cancel)
ban = order_action(Clients.ban)


async def inbox(call: Call) -> web.Response:
    wanted = order_id(call)
    try:
        a = await call.service.status(call.me, wanted)
    except NotFound:
        rental = await hosting.held(call, wanted)
        if rental is None:
            raise
        return await hosting.inbox(call, rental)
    rows = [
        {"ID": i + 1, **sms, "is_wave": False, "wave_uuid": ""} for i, sms in enumerate(sms_list(a))
    ]
    return ok({"Data": rows, "Total": len(rows)})


async def _max_price_body(call: Call) -> object:
    """JSON, as 5sim documents it, or a form (F18: clients that post forms)."""
    raw = await call.request.read()
    if call.request.content_type == "application/x-www-form-urlencoded":
        form = parse_qs(raw.decode("utf-8", "replace"), max_num_fields=10)
        return {k: v[0] for k, v in form.items()}
    try:
        return load_json(raw or b"{}")
    except BodyError:
        raise Refusal(400, "bad request") from None


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
    body = await _max_price_body(call)
    if not isinstance(body, dict) or not isinstance(body.get("product_name"), str):
        raise Refusal(400, "no product")
    service = api_name_of(body["product_name"])
    if call.request.method == "DELETE":
        await call.service.delete_max_price(call.me, service)
        return ok({"success": True})
    price = positive_price(body.get("price"))
    if price is None:
        raise Refusal(400, "bad price")
    await call.service.set_max_price(call.me, service, price)
    return ok({"success": True})
