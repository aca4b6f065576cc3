"""Getatext's long rentals (getatext-api.txt): whole numbers (`/long-rentals`, periods
1w, 2w, 1m, 1y) and numbers for one service (`/service-long-rentals`, periods 1d, 3d,
7d, 14d, 30d), read into the core's long-rental words.

The vendor names a long rental by its id, a service long rental by its number (and its
service, where one number holds several); dates come without a time (read as UTC
midnight), messages with their own offsets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from proxy.domain import (
    LongChange,
    LongMessage,
    LongOffer,
    LongOrder,
    LongRental,
    LongRentalState,
    LongSnapshot,
    Timeouts,
)
from proxy.errors import NotFound, OutcomeUnknown, UpstreamUnavailable

from . import parse

DAY = 86400.0
NUMBER_PERIODS = {"1w": 7 * DAY, "2w": 14 * DAY, "1m": 30 * DAY, "1y": 365 * DAY}
SERVICE_PERIODS = {"1d": DAY, "3d": 3 * DAY, "7d": 7 * DAY, "14d": 14 * DAY, "30d": 30 * DAY}
# the period names the vendor answers with, back to its codes
PERIOD_CODES = {
    "1 Week": "1w",
    "2 Weeks": "2w",
    "1 Month": "1m",
    "1 Year": "1y",
    "1 Day": "1d",
    "3 Days": "3d",
    "7 Days": "7d",
    "14 Days": "14d",
    "30 Days": "30d",
}
STATES = {
    "active": LongRentalState.ACTIVE,
    "cancelled": LongRentalState.CANCELLED,
    "canceled": LongRentalState.CANCELLED,
    "refunded": LongRentalState.CANCELLED,
}
Call = Callable[..., Awaitable[Any]]


def _day(value: Any) -> float:
    try:
        return datetime.strptime(str(value), "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise UpstreamUnavailable("a long rental with a malformed date") from None


def _when(value: Any) -> float:
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        raise UpstreamUnavailable("a message with a malformed time") from None


def _snapshot(row: Any, service: str | None) -> LongSnapshot:
    row = parse.obj(row)
    period = str(row.get("period"))
    return LongSnapshot(
        upstream_id=parse.integer(row.get("id")),
        number=str(row.get("number")),
        service=service,
        period=PERIOD_CODES.get(period, period),
        cost=parse.money(row.get("cost", row.get("price"))),
        state=STATES.get(str(row.get("status")).lower(), LongRentalState.EXPIRED),
        end_time=_day(row.get("end_time")),
        auto_renew=row.get("auto_renew") is True,
        rented_at=_day(row["rented_at"]) if row.get("rented_at") else 0.0,
    )


def _messages(body: Any, stamp: str) -> tuple[LongMessage, ...]:
    rows = parse.obj(body).get("messages")
    if not isinstance(rows, list):
        raise UpstreamUnavailable("messages answer without its list")
    return tuple(
        LongMessage(str(m.get("message")), str(m.get("sender", "")), _when(m.get(stamp)))
        for m in rows
        if isinstance(m, dict)
    )


async def offers(call: Call, key: str, read: float) -> Sequence[LongOffer]:
    whole = parse.obj(await call("GET", "/long-rentals/prices", key, read))
    stock = whole.get("stock")
    found = [
        LongOffer(None, code, NUMBER_PERIODS[code], parse.money(cost), int(stock or 0))
        for code, cost in parse.obj(whole.get("prices")).items()
        if code in NUMBER_PERIODS
    ]
    per_service = parse.obj(await call("GET", "/service-long-rentals/prices", key, read))
    for row in per_service.get("service_long_rental_prices") or ():
        for price in row.get("prices") or ():
            code = str(price.get("period"))
            if code in SERVICE_PERIODS:
                found.append(
                    LongOffer(
                        str(row.get("api_name")),
                        code,
                        SERVICE_PERIODS[code],
                        parse.money(price.get("cost")),
                    )
                )
    return found


async def rent(call: Call, key: str, order: LongOrder, timeout: float) -> LongSnapshot:
    area = {"area_codes": ",".join(order.area_codes)} if order.area_codes else {}
    if order.service is None:
        body = {"rental_time": order.period, "auto_renew": order.auto_renew, **area}
        answer = await call("POST", "/long-rentals", key, timeout, body, purchase=True)
        field = "long_rental"
    else:
        body = {
            "service": order.service,
            "period": order.period,
            "auto_renew": order.auto_renew,
            **area,
            **({"lock_area_code": True} if order.lock_area_code else {}),
        }
        answer = await call("POST", "/service-long-rentals", key, timeout, body, purchase=True)
        field = "service_long_rental"
    try:
        return _snapshot(parse.obj(answer).get(field), order.service)
    except UpstreamUnavailable as unreadable:
        raise OutcomeUnknown(f"unreadable long rental answer: {unreadable}") from None


async def listed(call: Call, key: str, read: float, service_rentals: bool) -> list[LongSnapshot]:
    """Every long rental of the account of one kind, as the vendor lists it (no messages)."""
    if service_rentals:
        rows = parse.obj(await call("GET", "/service-long-rentals", key, read)).get(
            "service_long_rentals"
        )
    else:
        rows = parse.obj(await call("GET", "/long-rentals", key, read)).get("long_rentals")
    return [
        _snapshot(r, str(r.get("api_name")) if service_rentals else None)
        for r in rows or ()
        if isinstance(r, dict)
    ]


async def status(call: Call, key: str, rental: LongRental, read: float) -> LongSnapshot:
    found = await listed(call, key, read, service_rentals=rental.service is not None)
    snap = next((s for s in found if s.upstream_id == rental.upstream_id), None)
    if snap is None:
        raise NotFound()
    return replace(snap, messages=await messages(call, key, rental, read))


async def messages(
    call: Call, key: str, rental: LongRental, read: float
) -> tuple[LongMessage, ...]:
    if rental.service is None:
        path = f"/long-rentals/{rental.upstream_id}/messages"
        endpoint, stamp = "long-rentals-messages", "rented_at"  # the vendor's word here
    else:
        path = f"/service-long-rentals/{rental.number}/messages?service={rental.service}"
        endpoint, stamp = "service-long-rentals-messages", "received_at"
    return _messages(await call("GET", path, key, read, endpoint=endpoint), stamp)


async def change(
    call: Call, key: str, rental: LongRental, what: LongChange, timeout: float
) -> LongSnapshot:
    renew = what is LongChange.RENEW
    if rental.service is None:
        action = {
            LongChange.RENEW: {"action": "renew"},
            LongChange.CANCEL: {"action": "cancel"},
            LongChange.AUTO_RENEW_ON: {"action": "auto_renew", "auto_renew": True},
            LongChange.AUTO_RENEW_OFF: {"action": "auto_renew", "auto_renew": False},
        }[what]
        answer = await call(
            "POST",
            f"/long-rentals/{rental.upstream_id}/update",
            key,
            timeout,
            action,
            purchase=renew,
            endpoint="long-rentals-update",
        )
        return _snapshot(parse.obj(answer).get("long_rental"), None)
    verb = {
        LongChange.RENEW: "renew",
        LongChange.CANCEL: "cancel",
        LongChange.AUTO_RENEW_ON: "auto-renew",
        LongChange.AUTO_RENEW_OFF: "auto-renew",
    }[what]
    body: dict[str, Any] = {"service": rental.service}
    if verb == "auto-renew":
        body["auto_renew"] = what is LongChange.AUTO_RENEW_ON
    answer = await call(
        "POST",
        f"/service-long-rentals/{rental.number}/{verb}",
        key,
        timeout,
        body,
        purchase=renew,
        endpoint=f"service-long-rentals-{verb}",
    )
    return _snapshot(parse.obj(answer).get("service_long_rental"), rental.service)


class LongRentals:
    """The provider's long rentals (`Provider.long_rentals`), through its own calls."""

    def __init__(self, call: Call, timeouts: Timeouts) -> None:
        self._call = call
        self._t = timeouts

    async def offers(self, key: str) -> Sequence[LongOffer]:
        return await offers(self._call, key, self._t.listing)

    async def rent(self, key: str, order: LongOrder) -> LongSnapshot:
        return await rent(self._call, key, order, self._t.purchase)

    async def status(self, key: str, rental: LongRental) -> LongSnapshot:
        return await status(self._call, key, rental, self._t.read)

    async def listed(self, key: str, service_rentals: bool) -> Sequence[LongSnapshot]:
        return await listed(self._call, key, self._t.read, service_rentals)

    async def messages(self, key: str, rental: LongRental) -> tuple[LongMessage, ...]:
        return await messages(self._call, key, rental, self._t.read)

    async def change(self, key: str, rental: LongRental, change_: LongChange) -> LongSnapshot:
        return await change(self._call, key, rental, change_, self._t.purchase)
