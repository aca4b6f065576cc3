"""TextVerified's verification calls, each a core call and the JSON its client parses
(docs/vendor/textverified-protocol.md §2, §3)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from proxy.domain import Activation, ActivationStatus, Order
from proxy.inputs import BodyError, load_json, parse_id, parse_price

from ..base import json_response
from . import rentals
from .frame import TOKEN_SECONDS, Call, Handler, Refusal, json_response_status

S = ActivationStatus
BASE = "/api/pub/v2"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def state_of(a: Activation) -> str:
    if a.status in (S.CANCELLED, S.BANNED):
        return "verificationCanceled"
    if a.code is not None or a.status is S.COMPLETED:
        return "verificationCompleted"
    return "verificationPending" if a.status.is_open else "verificationTimedOut"


def compact(a: Activation) -> dict[str, Any]:
    return {
        "id": str(a.id),
        "createdAt": iso(a.created_at),
        "serviceName": a.service,
        "state": state_of(a),
        "totalCost": float(a.cost),
        "number": a.number,
    }


def expanded(a: Activation, can_cancel: bool) -> dict[str, Any]:
    return {
        **compact(a),
        "endsAt": iso(a.end_time),
        "cancel": {"canCancel": can_cancel},  # the truth: false during the cancel lock
        "reactivate": {"canReactivate": False},
        "report": {"canReport": False},
        "reuse": {"reusableUntil": None},
    }


def page(rows: list[dict[str, Any]]) -> web.Response:
    return json_response({"data": rows, "hasNext": False, "links": {}})


def _id(call: Call) -> int | None:
    return parse_id(call.request.match_info["id"])


async def authenticate(call: Call) -> web.Response:
    key = call.request.headers.get("X-API-KEY")
    # refused here (401) when the proxy does not take the key; no vendor call is made
    # here, so the source's limit is met where the token is used
    await call.service.tenant(key)
    assert key is not None
    token, ends = call.tokens.issue(key)
    return json_response({"token": token, "expiresAt": iso(ends), "expiresIn": TOKEN_SECONDS})


async def me(call: Call) -> web.Response:
    balance = await call.service.balance(call.me)
    return json_response({"username": "smsproxy", "currentBalance": float(balance)})


async def services(call: Call) -> web.Response:
    offers = await call.service.offers(call.me)
    return json_response([{"serviceName": o.service, "capability": "sms"} for o in offers])


async def pricing(call: Call) -> web.Response:
    """A verification's price for a service (`POST pricing/verifications`); area code and
    carrier choices are priced as the plain verification (the core's offer)."""
    try:
        body = load_json(await call.request.read())
    except BodyError:
        raise Refusal(400, "InvalidRequest", "The body must be JSON.") from None
    if not isinstance(body, dict) or not isinstance(body.get("serviceName"), str):
        raise Refusal(400, "InvalidServiceName", "serviceName is required.")
    wanted = body["serviceName"].strip().lower()
    for offer in await call.service.offers(call.me):
        if offer.service == wanted:
            return json_response({"serviceName": offer.service, "price": float(offer.cost)})
    raise Refusal(400, "InvalidServiceName", "Unknown service name.")


async def create(call: Call) -> web.Response:
    try:
        body = load_json(await call.request.read())
    except BodyError:
        raise Refusal(400, "InvalidRequest", "The body must be JSON.") from None
    if not isinstance(body, dict) or not isinstance(body.get("serviceName"), str):
        raise Refusal(400, "InvalidServiceName", "serviceName is required.")
    if body.get("capability", "sms") != "sms":
        raise Refusal(400, "InvalidCapability", "Only sms verifications are offered.")
    area_codes = body.get("areaCodeSelectOption") or ()
    carriers = body.get("carrierSelectOption") or ()
    if not isinstance(area_codes, list | tuple) or not isinstance(carriers, list | tuple):
        raise Refusal(400, "InvalidRequest", "Select options must be lists.")
    order = Order(
        (body["serviceName"].strip().lower(),),
        carrier=str(carriers[0]) if carriers else None,
        area_codes=tuple(str(c) for c in area_codes),
        max_price=parse_price(body.get("maxPrice")),
    )
    a = await call.service.rent(call.me, order)
    link = {"method": "GET", "href": f"{_base(call)}/verifications/{a.id}"}
    return json_response_status(link, 201)


def _base(call: Call) -> str:
    path = call.request.path
    return path[: path.index(BASE) + len(BASE)]


async def details(call: Call) -> web.Response:
    a = await call.service.status(call.me, _id(call))
    return json_response(expanded(a, call.service.can_cancel(a)))


async def listing(call: Call) -> web.Response:
    found, _ = await call.service.fresh_history(call.me, 100, 0, newest_first=True)
    return page([compact(a) for a in found])


async def cancel(call: Call) -> web.Response:
    await call.service.cancel(call.me, _id(call))
    return web.Response(status=200)


async def sms(call: Call) -> web.Response:
    """The SMS of the caller's verifications, for one number (`to`) or all; of one
    rental with its `reservationId`."""
    reservation = call.request.query.get("reservationId")
    if reservation:
        rows = await rentals.rental_sms(call, reservation)
        if rows is not None:
            return page(rows)
    wanted = call.request.query.get("to", "").strip().removeprefix("+1").removeprefix("1")
    found, _ = await call.service.fresh_history(call.me, 100, 0, newest_first=True)
    rows = []
    for a in found:
        if a.code is None or (wanted and a.number != wanted[-10:]):
            continue
        for index, code in enumerate(c for c in dict.fromkeys((a.retry_code, a.code)) if c):
            rows.append(
                {
                    "id": f"{a.id}-{index}",
                    "to": a.number,
                    "from": None,
                    "createdAt": iso(a.code_at or a.created_at),
                    "smsContent": code,
                    "parsedCode": code,
                    "encrypted": False,
                }
            )
    return page(rows)


ROUTES: tuple[tuple[str, str, str, Handler], ...] = (
    ("GET", "/account/me", "account", me),
    ("GET", "/services", "services", services),
    ("POST", "/pricing/verifications", "pricing", pricing),
    ("POST", "/verifications", "create", create),
    ("GET", "/verifications", "list", listing),
    ("GET", "/verifications/{id}", "details", details),
    ("POST", "/verifications/{id}/cancel", "cancel", cancel),
    ("GET", "/sms", "sms", sms),
    *rentals.RENTAL_ROUTES,
)
