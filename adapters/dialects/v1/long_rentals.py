"""Long rentals (`/long-rentals`) and service long rentals (`/service-long-rentals`) in the
vendor's own shapes, answered from the core: the ids are the proxy's (shared with every
dialect), a service rental is found by its number as the vendor finds it, and messages
come from the store, read from the vendor at most once per poll interval.

Refusals the vendor gave are repeated in its words (frame.reply_for); the texts below are
the vendor's for what the proxy decides itself (a missing field, a rental it does not hold).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from proxy import errors as e
from proxy.domain import LongChange, LongMessage, LongOffer, LongOrder, LongRental
from proxy.domain import LongRentalState as S
from proxy.inputs import parse_id

from .frame import Call, Json, Refusal, answer, flag, listing, money, text

NUMBER_PERIODS = {"1w": "1 Week", "2w": "2 Weeks", "1m": "1 Month", "1y": "1 Year"}
SERVICE_PERIODS = {
    "1d": "1 Day",
    "3d": "3 Days",
    "7d": "7 Days",
    "14d": "14 Days",
    "30d": "30 Days",
}
# a rental the client let go through another dialect is still the vendor's until its end
STATUS = {S.ACTIVE: "Active", S.FINISHED: "Active", S.CANCELLED: "Cancelled", S.EXPIRED: "Expired"}
LONG_NOT_FOUND = (404, "Long rental not found")
LONG_NOT_ACTIVE = (422, "Long rental is not active")
ACTION_INVALID = (422, "Invalid action. Allowed values: renew, cancel, auto_renew")
SLR_NOT_FOUND = (404, "Service long rental not found")
SLR_AMBIGUOUS = (
    400,
    'Multiple active service long rentals found for this number. Provide the "service" '
    "parameter to disambiguate.",
)
ACTIONS = {
    "renew": LongChange.RENEW,
    "cancel": LongChange.CANCEL,
    "auto_renew": LongChange.AUTO_RENEW_ON,
}
# errors of the core's own about long rentals, in the vendor's words
LONG_ERRORS: Mapping[type[e.DomainError], tuple[int, str]] = {
    e.NotFound: LONG_NOT_FOUND,
    e.BadTransition: LONG_NOT_ACTIVE,
}
SLR_ERRORS: Mapping[type[e.DomainError], tuple[int, str]] = {
    e.NotFound: SLR_NOT_FOUND,
    e.BadTransition: SLR_NOT_FOUND,  # the vendor finds active rentals only
}


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def _moment(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def _refuse_as(errors: Mapping[type[e.DomainError], tuple[int, str]], error: e.DomainError) -> None:
    """The core's own refusal, said as the vendor says it for this kind of rental."""
    if error.vendor_text:
        return  # the vendor's words already
    for cls in type(error).__mro__:
        if cls in errors:
            raise Refusal(*errors[cls]) from None


# -- whole numbers ----------------------------------------------------------------------------
def long_row(r: LongRental) -> Json:
    return {
        "id": r.id,
        "number": r.number,
        "end_time": _day(r.end_time),
        "rented_at": _day(r.created_at),
        "price": money(r.cost),
        "status": STATUS[r.state],
        "period": NUMBER_PERIODS.get(r.period, r.period),
        "auto_renew": r.auto_renew,
    }


def long_result(r: LongRental) -> Json:
    return {"status": "success", "long_rental": long_row(r), "errors": "null"}


async def long_prices(call: Call) -> web.Response:
    offers = [o for o in await call.service.long_rentals.offers(call.tenant) if o.service is None]
    stock = next((o.stock for o in offers if o.stock is not None), 0)
    return answer(
        200,
        {
            "status": "success",
            "prices": {o.period: float(o.cost) for o in offers},
            "stock": stock,
            "errors": None,
        },
    )


async def long_list(call: Call) -> web.Response:
    held = await call.service.long_rentals.listing(call.tenant)
    rows = [long_row(r) for r in reversed(held) if r.service is None]  # oldest first
    return answer(200, {"status": "success", "long_rentals": rows, "errors": "null"})


async def long_create(call: Call) -> web.Response:
    order = LongOrder(
        None,
        text(call.body, "rental_time") or "",
        auto_renew=flag(call.body, "auto_renew"),
        area_codes=listing(call.body.get("area_codes")),
    )
    return answer(200, long_result(await call.service.long_rentals.rent(call.tenant, order)))


async def _whole(call: Call) -> LongRental:
    wanted = parse_id(call.request.match_info["id"])
    try:
        rental = await call.service.long_rentals.get(call.tenant, wanted)
    except e.NotFound:
        raise Refusal(*LONG_NOT_FOUND) from None
    if rental.service is not None:
        raise Refusal(*LONG_NOT_FOUND)  # a service rental is found by its number
    return rental


async def long_update(call: Call) -> web.Response:
    rental = await _whole(call)
    change = ACTIONS.get(text(call.body, "action") or "")
    if change is None:
        raise Refusal(*ACTION_INVALID)
    if change is LongChange.AUTO_RENEW_ON and not flag(call.body, "auto_renew"):
        change = LongChange.AUTO_RENEW_OFF
    try:
        changed = await call.service.long_rentals.change(call.tenant, rental.id, change)
    except e.DomainError as error:
        _refuse_as(LONG_ERRORS, error)
        raise
    return answer(200, long_result(changed))


def message_row(m: LongMessage, r: LongRental) -> Json:
    return {
        "message": m.text,
        "number": r.number,
        "rented_at": _moment(m.received_at),
        "sender": m.sender,
    }


async def long_messages(call: Call) -> web.Response:
    rental = await call.service.long_rentals.status(call.tenant, (await _whole(call)).id)
    rows = [message_row(m, rental) for m in rental.messages]
    return answer(200, {"status": "success", "messages": rows, "errors": "null"})


# -- service long rentals -----------------------------------------------------------------------
async def slr_row(call: Call, r: LongRental, names: Mapping[str, str] | None = None) -> Json:
    service = r.service or ""
    known = names if names is not None else await call.names()
    return {
        "id": r.id,
        "number": r.number,
        "service_name": known.get(service, service.capitalize()),
        "api_name": service,
        "end_time": _day(r.end_time),
        "rented_at": _day(r.created_at),
        "cost": money(r.cost),
        "status": STATUS[r.state],
        "period": SERVICE_PERIODS.get(r.period, r.period),
        "auto_renew": r.auto_renew,
    }


async def slr_result(call: Call, message: str, r: LongRental) -> Json:
    return {
        "status": "success",
        "message": message,
        "service_long_rental": await slr_row(call, r),
        "errors": None,
    }


def _periods(offers: list[LongOffer], service: str) -> list[Json]:
    order = list(SERVICE_PERIODS)
    mine = sorted(
        (o for o in offers if o.service == service),
        key=lambda o: order.index(o.period) if o.period in order else len(order),
    )
    return [{"period": o.period, "cost": f"{o.cost:.2f}"} for o in mine]


async def slr_prices(call: Call) -> web.Response:
    """Every service the vendor lists, with the periods it sells it for (maybe none)."""
    offers = [o for o in await call.service.long_rentals.offers(call.tenant) if o.service]
    listed = list(await call.service.offers(call.tenant))
    known = {o.service for o in listed}
    rows = [
        {"service_name": o.name, "api_name": o.service, "prices": _periods(offers, o.service)}
        for o in listed
    ]
    for service in dict.fromkeys(o.service for o in offers if o.service not in known):
        name = service or ""
        rows.append(
            {"service_name": name.capitalize(), "api_name": name, "prices": _periods(offers, name)}
        )
    return answer(200, {"status": "success", "service_long_rental_prices": rows, "errors": None})


async def slr_list(call: Call) -> web.Response:
    held = await call.service.long_rentals.listing(call.tenant, active_only=True)
    names = await call.names()
    rows = [await slr_row(call, r, names) for r in reversed(held) if r.service is not None]
    return answer(200, {"status": "success", "service_long_rentals": rows, "errors": None})


async def slr_create(call: Call) -> web.Response:
    service, period = text(call.body, "service"), text(call.body, "period")
    if service is None:
        raise Refusal(400, "Service is not presented on the request")
    if period is None:
        raise Refusal(400, "Period is not presented on the request")
    order = LongOrder(
        service,
        period,
        auto_renew=flag(call.body, "auto_renew"),
        area_codes=listing(call.body.get("area_codes")),
        lock_area_code=flag(call.body, "lock_area_code"),
    )
    rental = await call.service.long_rentals.rent(call.tenant, order)
    return answer(201, await slr_result(call, "Service long rental created successfully.", rental))


async def _on_number(call: Call, *, active_only: bool = True) -> LongRental:
    """The rental the vendor would find: by number, of the named service, active."""
    service = text(call.body, "service") or call.request.query.get("service") or None
    number = call.request.match_info["number"]
    found = await call.service.long_rentals.on_number(call.tenant, number, service)
    if active_only:
        found = [r for r in found if r.state is S.ACTIVE]
    if not found:
        raise Refusal(*SLR_NOT_FOUND)
    if len(found) > 1:
        raise Refusal(*SLR_AMBIGUOUS)
    return found[0]


async def _slr_change(call: Call, change: LongChange, message: str) -> web.Response:
    rental = await _on_number(call)
    try:
        changed = await call.service.long_rentals.change(call.tenant, rental.id, change)
    except e.DomainError as error:
        _refuse_as(SLR_ERRORS, error)
        raise
    return answer(200, await slr_result(call, message, changed))


async def slr_cancel(call: Call) -> web.Response:
    return await _slr_change(call, LongChange.CANCEL, "Service long rental cancelled successfully.")


async def slr_auto_renew(call: Call) -> web.Response:
    value: Any = call.body.get("auto_renew")
    if value is None:
        raise Refusal(400, "auto_renew is not presented on the request")
    if not isinstance(value, bool):
        raise Refusal(422, "auto_renew must be a boolean")
    change = LongChange.AUTO_RENEW_ON if value else LongChange.AUTO_RENEW_OFF
    return await _slr_change(call, change, "Service long rental auto-renew updated successfully.")


async def slr_renew(call: Call) -> web.Response:
    return await _slr_change(call, LongChange.RENEW, "Service long rental renewed successfully.")


async def slr_messages(call: Call) -> web.Response:
    rental = await _on_number(call, active_only=False)
    read = await call.service.long_rentals.status(call.tenant, rental.id)
    name = (await slr_row(call, read))["service_name"]
    rows = [
        {
            "message": m.text,
            "sender": m.sender,
            "received_at": _moment(m.received_at),
            "number": read.number,
            "service_name": name,
        }
        for m in read.messages
    ]
    return answer(200, {"status": "success", "messages": rows, "errors": None})
