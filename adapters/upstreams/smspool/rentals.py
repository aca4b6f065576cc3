"""SMSPool's rentals (`rental/*`, `purchase/rental`; docs/vendor/smspool-protocol.md §4,
answer shapes Unconfirmed) as the core's long rentals.

Rental pool 1 is the whole number (for a service, `service_id` names it); a period is
SMSPool's days (`7d`). A rental is named by its code (packed by `ids.py`). SMSPool lists
no rentals: a rental bought without an answer is held until its hold lapses, never
bought again meanwhile. A cancel is SMSPool's refund (refused once a message came)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from proxy import errors as e
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

from ..common import cancelled, mapping, money, national
from ..ids import to_upstream_id, to_vendor_id

DAY = 86400.0
WHOLE_NUMBER = "1"
Post = Callable[..., Awaitable[Any]]  # (key, path, timeout, purchase=, **params)


def _days(period: str) -> str:
    days = period.removesuffix("d")
    if not days.isdigit():
        raise e.BadService("not a period this vendor sells")
    return days


def _snapshot(
    row: Mapping[str, Any],
    service: str | None,
    period: str,
    messages: tuple[LongMessage, ...] | None = None,
) -> LongSnapshot:
    try:
        code = to_upstream_id(row["rental_code"])
    except (KeyError, ValueError):
        raise e.UpstreamUnavailable("a rental without a readable code") from None
    expiry = row.get("expiry")
    return LongSnapshot(
        upstream_id=code,
        number=national(row.get("phonenumber") or row.get("number")),
        service=service,
        period=period,
        cost=money(row.get("cost", 0)),
        state=LongRentalState.ACTIVE
        if row.get("available", 1) in (1, "1", True)
        else LongRentalState.EXPIRED,
        end_time=float(expiry) if expiry else time.time(),
        auto_renew=bool(row.get("auto_extend")),
        messages=messages,
        rented_at=time.time(),
    )


class SmspoolRentals:
    def __init__(self, post: Post, timeouts: Timeouts, code_of: Callable[[str], str]) -> None:
        self._post = post
        self._t = timeouts
        self._code_of = code_of

    async def offers(self, key: str) -> Sequence[LongOffer]:
        rows = await self._post(key, "rental/retrieve_all", self._t.read, type="0")
        pools = [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
        whole = next((r for r in pools if str(r.get("ID")) == WHOLE_NUMBER), None)
        pricing = whole.get("pricing") if whole else None
        if not isinstance(pricing, dict) or not pricing:
            raise e.ServiceUnavailable("no rental on sale")
        stock = whole.get("stock") if whole else None
        return [
            LongOffer(
                None,
                f"{days}d",
                int(days) * DAY,
                money(price),
                int(stock) if isinstance(stock, int) else None,
            )
            for days, price in pricing.items()
            if str(days).isdigit()
        ]

    async def rent(self, key: str, order: LongOrder) -> LongSnapshot:
        params = {"rental_id": WHOLE_NUMBER, "days": _days(order.period)}
        if order.service is not None:
            params["service_id"] = self._code_of(order.service)
        body = await self._post(key, "purchase/rental", self._t.purchase, purchase=True, **params)
        try:
            return _snapshot(mapping(body, "rental"), order.service, order.period, ())
        except e.UpstreamUnavailable as unreadable:
            raise e.OutcomeUnknown(f"unreadable rental answer: {unreadable}") from None

    async def _messages(self, key: str, code: str) -> tuple[LongMessage, ...]:
        body = mapping(
            await self._post(key, "rental/retrieve_messages", self._t.read, rental_code=code),
            "messages",
        )
        rows = body.get("messages")
        return tuple(
            LongMessage(
                str(m.get("message") or ""),
                str(m.get("sender") or ""),
                float(m.get("timestamp") or 0),
            )
            for m in (rows if isinstance(rows, list) else [])
            if isinstance(m, dict)
        )

    async def status(self, key: str, rental: LongRental) -> LongSnapshot:
        code = to_vendor_id(rental.upstream_id)
        body = mapping(
            await self._post(key, "rental/retrieve_status.php", self._t.read, rental_code=code),
            "rental",
        )
        row = mapping(body.get("status"), "rental")
        return _snapshot(row, rental.service, rental.period, await self._messages(key, code))

    async def listed(self, key: str, service_rentals: bool) -> Sequence[LongSnapshot]:
        return []  # SMSPool lists no rentals (docstring)

    async def messages(self, key: str, rental: LongRental) -> tuple[LongMessage, ...]:
        return await self._messages(key, to_vendor_id(rental.upstream_id))

    async def change(self, key: str, rental: LongRental, change: LongChange) -> LongSnapshot:
        code = to_vendor_id(rental.upstream_id)
        if change is LongChange.RENEW:
            body = await self._post(
                key,
                "rental/extend.php",
                self._t.purchase,
                purchase=True,
                rental_code=code,
                days=_days(rental.period),
            )
            return _snapshot(mapping(body, "rental"), rental.service, rental.period)
        if change is LongChange.CANCEL:
            await self._post(key, "rental/refund.php", self._t.change, rental_code=code)
            return cancelled(rental)
        raise e.ServiceUnavailable("SMSPool's auto-extension is not switched here")
