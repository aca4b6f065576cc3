"""TextVerified's rentals and wake requests (docs/vendor/textverified-protocol.md §4) on
the core's long rentals: a number kept for a duration, renewable (auto-renewed) or not,
for one service or for any (`allservices`).

A purchase answers a link to its sale, the sale lists the one reservation, and the
reservation's link leads to its renewable or non-renewable details, as the client
follows them. A rental is always on here: a wake request reads the rental's messages
from the vendor at once and answers a usage window that has begun. Ids are the proxy's
long-rental ids (from 5,000,000: no verification shares one)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from proxy import errors as e
from proxy.domain import LongChange, LongOrder, LongRental, LongRentalState
from proxy.inputs import BodyError, load_json, parse_id

from ..base import json_response
from .frame import Call, Handler, Refusal, json_response_status

DAY = 86400.0
DURATIONS = {
    "oneDay": DAY,
    "threeDay": 3 * DAY,
    "sevenDay": 7 * DAY,
    "fourteenDay": 14 * DAY,
    "thirtyDay": 30 * DAY,
    "ninetyDay": 90 * DAY,
    "oneYear": 365 * DAY,
}
ANY_SERVICE = ("allservices", "servicenotlisted")
WAKE_WINDOW_SECONDS = 15 * 60  # how long a woken number is said to be on
BASE = "/api/pub/v2"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def kind(rental: LongRental) -> str:
    return "renewable" if rental.auto_renew else "nonrenewable"


def state_of(rental: LongRental) -> str:
    word = {
        LongRentalState.ACTIVE: "Active",
        LongRentalState.CANCELLED: "Refunded",
        LongRentalState.EXPIRED: "Expired",
        LongRentalState.FINISHED: "Expired",
    }[rental.state]
    return kind(rental) + word


def compact(rental: LongRental) -> dict[str, Any]:
    row: dict[str, Any] = {
        "createdAt": iso(rental.created_at),
        "id": str(rental.id),
        "serviceName": rental.service or ANY_SERVICE[0],
        "state": state_of(rental),
        "number": rental.number,
        "alwaysOn": True,
        "saleId": str(rental.id),
    }
    if rental.auto_renew:
        row.update(billingCycleId=f"bc{rental.id}", isIncludedForNextRenewal=True)
    return row


def expanded(call: Call, rental: LongRental) -> dict[str, Any]:
    refundable = rental.state is LongRentalState.ACTIVE and call.service.long_rentals.refundable(
        rental
    )
    return {
        **compact(rental),
        "endsAt": iso(rental.end_time),
        "refund": {"canRefund": refundable, "refundableUntil": None},
    }


def _base(call: Call) -> str:
    path = call.request.path
    return path[: path.index(BASE) + len(BASE)]


def _link(call: Call, path: str) -> dict[str, str]:
    return {"method": "GET", "href": f"{_base(call)}{path}"}


async def _rental(call: Call, wanted: str | None = None) -> LongRental:
    rental_id = parse_id(wanted if wanted is not None else call.request.match_info["id"])
    try:
        return await call.service.long_rentals.status(call.me, rental_id)
    except e.NotFound:
        raise Refusal(404, "NotFound", "Reservation not found.") from None


async def _body(call: Call) -> dict[str, Any]:
    try:
        body = load_json(await call.request.read())
    except BodyError:
        raise Refusal(400, "InvalidRequest", "The body must be JSON.") from None
    if not isinstance(body, dict):
        raise Refusal(400, "InvalidRequest", "The body must be a JSON object.")
    return body


async def pricing(call: Call) -> web.Response:
    """`POST pricing/rentals`: what a rental of that duration costs (`PricingSnapshot`)."""
    body = await _body(call)
    seconds = DURATIONS.get(str(body.get("duration")))
    name = body.get("serviceName")
    if seconds is None:
        raise Refusal(400, "InvalidDuration", "Unknown rental duration.")
    if not isinstance(name, str) or not name.strip():
        raise Refusal(400, "InvalidServiceName", "serviceName is required.")
    service = None if name.strip().lower() in ANY_SERVICE else name.strip().lower()
    offer = await call.service.long_rentals.period_for(call.me, service, seconds)
    return json_response({"serviceName": name, "price": float(offer.cost)})


async def create(call: Call) -> web.Response:
    """`POST reservations/rental`: a rental bought; the answer links to its sale."""
    body = await _body(call)
    seconds = DURATIONS.get(str(body.get("duration")))
    name = body.get("serviceName")
    if seconds is None:
        raise Refusal(400, "InvalidDuration", "Unknown rental duration.")
    if not isinstance(name, str) or not name.strip():
        raise Refusal(400, "InvalidServiceName", "serviceName is required.")
    if body.get("capability", "sms") != "sms":
        raise Refusal(400, "InvalidCapability", "Only sms rentals are offered.")
    service = None if name.strip().lower() in ANY_SERVICE else name.strip().lower()
    areas = body.get("areaCodeSelectOption") or ()
    if not isinstance(areas, list | tuple):
        raise Refusal(400, "InvalidRequest", "Select options must be lists.")
    rentals = call.service.long_rentals
    offer = await rentals.period_for(call.me, service, seconds)
    order = LongOrder(
        service,
        offer.period,
        auto_renew=bool(body.get("isRenewable")),
        area_codes=tuple(str(a) for a in areas),
    )
    rental = await rentals.rent(call.me, order)
    return json_response_status(_link(call, f"/sales/{rental.id}"), 201)


async def sale(call: Call) -> web.Response:
    """`GET sales/{id}`: the sale of one rental (the proxy sells one per sale)."""
    rental = await _rental(call)
    return json_response(
        {
            "createdAt": iso(rental.created_at),
            "id": str(rental.id),
            "backOrderReservations": [],
            "reservations": [
                {
                    "id": str(rental.id),
                    "reservationType": kind(rental),
                    "serviceName": rental.service or ANY_SERVICE[0],
                }
            ],
            "state": "succeeded",
            "total": float(rental.cost),
            "updatedAt": iso(rental.created_at),
        }
    )


async def reservation(call: Call) -> web.Response:
    """`GET reservations/{id}`: a link to the rental's own details."""
    rental = await _rental(call)
    return json_response(_link(call, f"/reservations/rental/{kind(rental)}/{rental.id}"))


def details(wanted_kind: str) -> Handler:
    async def act(call: Call) -> web.Response:
        rental = await _rental(call)
        if kind(rental) != wanted_kind:
            raise Refusal(404, "NotFound", "Reservation not found.")
        return json_response(expanded(call, rental))

    return act


def listing(wanted_kind: str) -> Handler:
    async def act(call: Call) -> web.Response:
        rows = [
            compact(r)
            for r in await call.service.long_rentals.listing(call.me)
            if kind(r) == wanted_kind
        ]
        return json_response({"data": rows, "hasNext": False, "links": {}})

    return act


def refund(wanted_kind: str) -> Handler:
    async def act(call: Call) -> web.Response:
        rental = await _rental(call)
        rentals = call.service.long_rentals
        if (
            kind(rental) != wanted_kind
            or rental.state is not LongRentalState.ACTIVE
            or not rentals.refundable(rental)
        ):
            raise Refusal(400, "CannotRefund", "This rental cannot be refunded.")
        await rentals.change(call.me, rental.id, LongChange.CANCEL)
        return web.Response(status=200)

    return act


async def wake(call: Call) -> web.Response:
    """`POST wake-requests`: the number is always on; its messages are read now."""
    body = await _body(call)
    rental = await _rental(call, str(body.get("reservationId") or ""))
    return json_response_status(_link(call, f"/wake-requests/{rental.id}"), 201)


async def wake_status(call: Call) -> web.Response:
    rental = await _rental(call)
    now = call.service.clock.now()
    return json_response(
        {
            "id": str(rental.id),
            "isScheduled": True,
            "usageWindowStart": iso(now),
            "usageWindowEnd": iso(min(now + WAKE_WINDOW_SECONDS, rental.end_time)),
            "reservationId": str(rental.id),
        }
    )


def sms_rows(rental: LongRental) -> list[dict[str, Any]]:
    """A rental's SMS as `GET sms` rows, newest first."""
    newest = sorted(rental.messages, key=lambda m: m.received_at, reverse=True)
    return [
        {
            "id": f"{rental.id}-{index}",
            "to": rental.number,
            "from": m.sender,
            "createdAt": iso(m.received_at),
            "smsContent": m.text,
            "parsedCode": m.code,
            "encrypted": False,
        }
        for index, m in enumerate(newest)
    ]


async def rental_sms(call: Call, reservation_id: str) -> list[dict[str, Any]] | None:
    """The SMS of the caller's rental of that id, read now; None when it is none."""
    rental_id = parse_id(reservation_id)
    try:
        rental = await call.service.long_rentals.status(call.me, rental_id)
    except e.NotFound:
        return None
    return sms_rows(rental)


RENTAL_ROUTES: tuple[tuple[str, str, str, Handler], ...] = (
    ("POST", "/pricing/rentals", "rental_pricing", pricing),
    ("POST", "/reservations/rental", "rental_create", create),
    ("GET", "/sales/{id}", "sale", sale),
    ("GET", "/reservations/rental/renewable", "rental_list", listing("renewable")),
    ("GET", "/reservations/rental/nonrenewable", "rental_list", listing("nonrenewable")),
    ("GET", "/reservations/rental/renewable/{id}", "rental_details", details("renewable")),
    ("GET", "/reservations/rental/nonrenewable/{id}", "rental_details", details("nonrenewable")),
    ("POST", "/reservations/rental/renewable/{id}/refund", "rental_refund", refund("renewable")),
    (
        "POST",
        "/reservations/rental/nonrenewable/{id}/refund",
        "rental_refund",
        refund("nonrenewable"),
    ),
    ("GET", "/reservations/{id}", "reservation", reservation),
    ("POST", "/wake-requests", "wake", wake),
    ("GET", "/wake-requests/{id}", "wake", wake_status),
)
