"""SMSPool's endpoints, each a core call and the JSON its clients read
(docs/vendor/smspool-protocol.md §2, §3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

from proxy import errors as e
from proxy.domain import Activation, ActivationStatus, Offer, Order
from proxy.inputs import parse_price

from .. import countries
from ..base import first, json_response, positive_int
from .frame import Call, Endpoint, Failure

S = ActivationStatus
COUNTRIES: Mapping[str, str] = countries.BY_SMSPOOL  # ids, names and ISO codes


def _country(call: Call) -> str:
    raw = (call.params.get("country") or "1").strip().lower()
    iso = COUNTRIES.get(raw)
    if iso is None:
        raise e.CountryNotServed()
    return iso


NO_ACCOUNT = "No account to read prices with: send your key."


async def _offers(call: Call) -> Sequence[Offer]:
    """The caller's offers; without a key (public calls), those read with an account of
    the proxy's own, or that some key has read lately."""
    if call.tenant is not None:
        return await call.service.offers(call.tenant)
    public = await call.service.public_offers()
    if public is None:
        raise Failure("KEY_ERROR", NO_ACCOUNT)
    return public


async def _service(call: Call) -> str:
    """A service by SMSPool id (its place in `service/retrieve_all`), name or api_name."""
    raw = (call.params.get("service") or "").strip()
    offers = await _offers(call)
    position = positive_int(raw)
    if position is not None and position <= len(offers):
        return offers[position - 1].service
    for o in offers:
        if raw.lower() in (o.name.lower(), o.service):
            return o.service
    raise e.BadService()


def _order_id(call: Call) -> int | None:
    return positive_int(first(call.params, "orderid", "order_id"))


def status_of(a: Activation, now: float) -> int:
    """1 pending, 2 expired, 3 completed (its SMS came), 4 resend, 5 cancelled, 6 refunded."""
    if a.status is S.RETRY_WAIT:
        return 4
    if a.code is not None:
        return 3
    if a.status.is_open:
        return 2 if now >= a.end_time else 1
    return 6 if a.status is S.EXPIRED else 5


def order_row(a: Activation, now: float) -> dict[str, Any]:
    return {
        "order_code": str(a.id),
        "phonenumber": a.number,
        "code": a.code or "",
        "service": a.service,
        "status": {1: "pending", 2: "expired", 3: "completed", 4: "resend"}.get(
            status_of(a, now), "cancelled"
        ),
        "cost": f"{a.cost:.2f}",
        "time_left": max(0, int(a.end_time - now)),
    }


async def balance(call: Call) -> web.Response:
    return json_response({"balance": f"{await call.service.balance(call.me):.2f}"})


async def country_list(call: Call) -> web.Response:
    """The countries the providers sell that SMSPool has an id for (others are bought by
    name or ISO code)."""
    return json_response(
        [
            {
                "ID": c.smspool,
                "name": c.name,
                "short_name": c.iso.upper(),
                "cc": c.calling_code,
                "region": "Americas" if c.calling_code == "1" else "",
            }
            for c in countries.sold(call.service.countries_sold())
            if c.smspool is not None
        ]
    )


async def services(call: Call) -> web.Response:
    """Public at SMSPool, as are the price calls."""
    offers = await _offers(call)
    return json_response([{"ID": i + 1, "name": o.name} for i, o in enumerate(offers)])


async def price(call: Call) -> web.Response:
    _country(call)
    wanted = await _service(call)
    offer = next(o for o in await _offers(call) if o.service == wanted)
    cost = f"{offer.cost:.2f}"
    return json_response({"price": cost, "high_price": cost, "pool": 1, "success_rate": 100})


async def pricing(call: Call) -> web.Response:
    """Every service's price in one list (SMSPool's `request/pricing`), for tools that
    price many services at once; `country` and `service` narrow it."""
    country = _country(call) if call.params.get("country") else "us"
    wanted = await _service(call) if call.params.get("service") else None
    offers = await _offers(call)
    sold = countries.BY_ISO[country]
    return json_response(
        [
            {
                "service": i + 1,
                "service_name": o.name,
                "country": sold.smspool,
                "country_name": sold.name,
                "short_name": sold.iso.upper(),
                "price": f"{o.cost:.2f}",
                "pool": 1,
            }
            for i, o in enumerate(offers)
            if wanted is None or o.service == wanted
        ]
    )


async def purchase(call: Call) -> web.Response:
    country, wanted = _country(call), await _service(call)
    cap = parse_price(call.params.get("max_price"))
    a = await call.service.rent(call.me, Order((wanted,), country=country, max_price=cap))
    now = call.service.clock.now()
    name = next((o.name for o in await _offers(call) if o.service == a.service), a.service)
    left = await call.service.balance_hint(call.me)
    return json_response(
        {
            "success": 1,
            "number": countries.international(a),
            "cc": countries.of(a).calling_code,
            "phonenumber": a.number,
            "order_id": str(a.id),
            "orderid": str(a.id),
            "country": countries.of(a).name,
            "service": name,
            "pool": 1,
            "expires_in": max(0, int(a.end_time - now)),
            "expiration": int(a.end_time),
            "message": f"You have successfully ordered a {name} number for {a.cost:.2f}.",
            "cost": f"{a.cost:.2f}",
            "cost_in_cents": int(a.cost * 100),
            "current_balance": f"{left:.2f}" if left is not None else "",
        }
    )


async def check(call: Call) -> web.Response:
    a = await call.service.status(call.me, _order_id(call))
    now = call.service.clock.now()
    body: dict[str, Any] = {
        "status": status_of(a, now),
        "resend": 1 if a.status is S.RETRY_WAIT else 0,
        "expiration": int(a.end_time),
        "time_left": max(0, int(a.end_time - now)),
    }
    if a.code is not None and a.status is not S.RETRY_WAIT:
        body.update(sms=a.code, full_sms=a.code)
    else:
        body["message"] = "pending" if a.status.is_open else "no sms"
    return json_response(body)


async def resend(call: Call) -> web.Response:
    await call.service.request_another(call.me, _order_id(call))
    return json_response({"success": 1, "message": "The SMS will be resent."})


async def cancel(call: Call) -> web.Response:
    await call.service.cancel(call.me, _order_id(call))
    return json_response({"success": 1})


async def active(call: Call) -> web.Response:
    now = call.service.clock.now()
    return json_response([order_row(a, now) for a in await call.service.active(call.me)])


async def history(call: Call) -> web.Response:
    now = call.service.clock.now()
    found, _ = await call.service.history(call.me, 100, 0, newest_first=True)
    return json_response([order_row(a, now) for a in found])


async def archive(call: Call) -> web.Response:
    """SMSPool's way to put orders away: those that have their SMS are finished."""
    for a in await call.service.active(call.me):
        if a.code is not None:
            try:
                await call.service.complete(call.me, a.id)
            except e.ActivationError as refused:
                raise Failure("ORDER_ERROR", f"Order {a.id} could not be archived.") from refused
    return json_response({"success": 1})


# path -> (endpoint, whether it needs the key)
ENDPOINTS: Mapping[str, tuple[Endpoint, bool]] = {
    "request/balance": (balance, True),
    "country/retrieve_all": (country_list, False),
    "service/retrieve_all": (services, False),
    "request/price": (price, False),  # public at SMSPool
    "request/pricing": (pricing, False),
    "purchase/sms": (purchase, True),
    "sms/check": (check, True),
    "sms/resend": (resend, True),
    "sms/cancel": (cancel, True),
    "request/active": (active, True),
    "request/history": (history, True),
    "request/archive": (archive, True),
}
