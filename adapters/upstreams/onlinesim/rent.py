"""OnlineSIM's rent service (`/api/rent/{method}.php`, docs/vendor/onlinesim-protocol.md
§5) as the core's long rentals: whole numbers, for any service, for some days.

A period is the vendor's days (`7d`); `tariffsRent` lists them with their price. A rent
names itself by its `tzid`; `getRentState` lists the active ones with their messages;
`extendRentState` renews by a period; `closeRentNum` ends one (refunded by OnlineSIM in
its first 20 minutes, before any SMS). Auto-renewal is chosen when renting (`extension`)
and cannot be switched afterwards."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
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
from .words import COUNTRIES

DAY = 86400.0
Call = Callable[..., Awaitable[Any]]  # (key, method, timeout, purchase=, **params)


def _days(period: str) -> int:
    try:
        return int(period.removesuffix("d"))
    except ValueError:
        raise e.BadService("not a period this vendor sells") from None


def _when(value: Any) -> float:
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise e.UpstreamUnavailable("a message with a malformed time") from None


def _messages(raw: Any) -> tuple[LongMessage, ...]:
    rows = raw.get("data") if isinstance(raw, dict) else raw  # a page, or the list
    if not isinstance(rows, list):
        return ()
    return tuple(
        LongMessage(str(m.get("text") or ""), str(m.get("service") or ""), _when(m["created_at"]))
        for m in rows
        if isinstance(m, dict) and m.get("created_at")
    )


def snapshot(
    item: Mapping[str, Any],
    *,
    state: LongRentalState = LongRentalState.ACTIVE,
    with_messages: bool = True,
) -> LongSnapshot:
    try:
        tzid = int(item["tzid"])
    except (KeyError, TypeError, ValueError):
        raise e.UpstreamUnavailable("a rent without its tzid") from None
    left = item.get("time")
    now = time.time()
    return LongSnapshot(
        upstream_id=tzid,
        number=national(item.get("number"), str(item.get("country") or "1")),
        service=None,
        period=f"{int(item.get('day_extend') or item.get('days') or 1)}d",
        cost=money(item.get("sum", 0)),
        state=state,
        end_time=now + float(left) if isinstance(left, int | float) else now,
        auto_renew=bool(item.get("extension")),
        messages=_messages(item.get("messages")) if with_messages else None,
        rented_at=now,  # the vendor does not date it: "since the attempt" holds
    )


class OnlinesimRent:
    def __init__(self, call: Call, timeouts: Timeouts) -> None:
        self._call = call
        self._t = timeouts

    async def offers(self, key: str) -> Sequence[LongOffer]:
        body = mapping(
            await self._call(key, "rent/tariffsRent", self._t.read, country=COUNTRIES["us"]),
            "tariffs",
        )
        prices, stock = body.get("days"), body.get("count")
        if not body.get("enabled") or not isinstance(prices, dict) or not prices:
            raise e.ServiceUnavailable("no rent on sale")
        counts = stock if isinstance(stock, dict) else {}
        return [
            LongOffer(
                None,
                f"{int(days)}d",
                int(days) * DAY,
                money(price),
                int(counts[days]) if str(counts.get(days, "")).isdigit() else None,
            )
            for days, price in prices.items()
            if str(days).isdigit()
        ]

    async def rent(self, key: str, order: LongOrder) -> LongSnapshot:
        if order.service is not None:
            raise e.ServiceUnavailable("OnlineSIM rents whole numbers only")
        country = COUNTRIES.get(order.country)
        if country is None:
            raise e.NoNumbers("country not served")
        body = await self._call(
            key,
            "rent/getRentNum",
            self._t.purchase,
            purchase=True,
            country=country,
            days=_days(order.period),
            extension=order.auto_renew,
        )
        try:
            return snapshot(mapping(mapping(body, "rent").get("item"), "rent"))
        except e.UpstreamUnavailable as unreadable:
            raise e.OutcomeUnknown(f"unreadable rent answer: {unreadable}") from None

    async def _state(self, key: str, **params: Any) -> list[Mapping[str, Any]]:
        try:
            body = await self._call(
                key, "rent/getRentState", self._t.read, pagination=False, **params
            )
        except e.NotFound:
            return []  # ERROR_NO_OPERATIONS: nothing active
        rows = mapping(body, "rents").get("list")
        return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []

    async def status(self, key: str, rental: LongRental) -> LongSnapshot:
        for item in await self._state(key, tzid=rental.upstream_id):
            if str(item.get("tzid")) == str(rental.upstream_id):
                return snapshot(item)
        # no longer listed: it ended (the vendor lists active rents only)
        return LongSnapshot(
            rental.upstream_id,
            rental.number,
            None,
            rental.period,
            rental.cost,
            LongRentalState.EXPIRED,
            rental.end_time,
            rental.auto_renew,
            rental.messages,
        )

    async def listed(self, key: str, service_rentals: bool) -> Sequence[LongSnapshot]:
        if service_rentals:
            return []  # OnlineSIM has no rent for one service
        return [snapshot(item, with_messages=False) for item in await self._state(key)]

    async def messages(self, key: str, rental: LongRental) -> tuple[LongMessage, ...]:
        read = await self.status(key, rental)
        return read.messages or ()

    async def change(self, key: str, rental: LongRental, change: LongChange) -> LongSnapshot:
        if change is LongChange.RENEW:
            body = await self._call(
                key,
                "rent/extendRentState",
                self._t.purchase,
                purchase=True,
                tzid=rental.upstream_id,
                days=_days(rental.period),
            )
            return snapshot(mapping(mapping(body, "rent").get("item"), "rent"))
        if change is LongChange.CANCEL:
            await self._call(key, "rent/closeRentNum", self._t.change, tzid=rental.upstream_id)
            return cancelled(rental)
        raise e.ServiceUnavailable("OnlineSIM sets auto-renewal when renting only")
