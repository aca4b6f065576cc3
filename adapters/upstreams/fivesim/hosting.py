"""5sim's hosting orders (docs/vendor/5sim-protocol.md §2.5, §2.11, §7.4) as the core's
long rentals: a whole number for a product's hours (`3hours`, `1day`, `10days`,
`1month`), every SMS in its order.

Prices are the hosting products of `guest/products`; an order is bought with
`user/buy/hosting`, read with `user/check` and listed with `user/orders?category=hosting`.
5sim neither cancels, finishes nor prolongs a hosting order (`hosting order`): a change
is not offered here."""

from __future__ import annotations

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

from ..common import mapping, money, national, rfc3339
from .words import CALLING_CODES, COUNTRIES

HOUR = 3600.0
PRODUCTS: Mapping[str, float] = {
    "3hours": 3 * HOUR,
    "1day": 24 * HOUR,
    "10days": 240 * HOUR,
    "1month": 720 * HOUR,
}
STATES: Mapping[str, LongRentalState] = {
    "PENDING": LongRentalState.ACTIVE,
    "RECEIVED": LongRentalState.ACTIVE,
    "FINISHED": LongRentalState.EXPIRED,
    "TIMEOUT": LongRentalState.EXPIRED,
    "CANCELED": LongRentalState.CANCELLED,
    "BANNED": LongRentalState.CANCELLED,
}
Get = Callable[..., Awaitable[Any]]  # (key, path, endpoint, timeout, purchase=, params=)


def snapshot(row: Mapping[str, Any], with_messages: bool = True) -> LongSnapshot:
    try:
        upstream_id = int(row["id"])
    except (KeyError, TypeError, ValueError):
        raise e.UpstreamUnavailable("an order without an id") from None
    country = str(row.get("country") or "usa")
    messages = row.get("sms") or []
    return LongSnapshot(
        upstream_id=upstream_id,
        number=national(row.get("phone"), CALLING_CODES.get(country, "1")),
        service=None,
        period=str(row.get("product") or ""),
        cost=money(row.get("price", 0)),
        state=STATES.get(str(row.get("status")), LongRentalState.EXPIRED),
        end_time=rfc3339(row["expires"]),
        auto_renew=False,
        messages=tuple(
            LongMessage(
                str(m.get("text") or ""),
                str(m.get("sender") or ""),
                rfc3339(m.get("date") or m["created_at"]),
            )
            for m in messages
            if isinstance(m, dict)
        )
        if with_messages
        else None,
        rented_at=rfc3339(row["created_at"]) if row.get("created_at") else 0.0,
    )


class FivesimHosting:
    def __init__(self, get: Get, timeouts: Timeouts) -> None:
        self._get = get
        self._t = timeouts

    async def offers(self, key: str) -> Sequence[LongOffer]:
        body = mapping(
            await self._get(key, "guest/products/usa/any", "products", self._t.read), "products"
        )
        found = [
            LongOffer(
                None,
                product,
                PRODUCTS[product],
                money(row.get("Price")),
                int(row["Qty"]) if isinstance(row.get("Qty"), int) else None,
            )
            for product, row in body.items()
            if product in PRODUCTS and isinstance(row, dict) and row.get("Category") == "hosting"
        ]
        if not found:
            raise e.ServiceUnavailable("no hosting on sale")
        return found

    async def rent(self, key: str, order: LongOrder) -> LongSnapshot:
        if order.service is not None:
            raise e.ServiceUnavailable("5sim hosts whole numbers only")
        if order.period not in PRODUCTS:
            raise e.BadService("not a hosting product")
        country = COUNTRIES.get(order.country)
        if country is None:
            raise e.NoNumbers("country not served")
        body = await self._get(
            key,
            f"user/buy/hosting/{country}/any/{order.period}",
            "buy",
            self._t.purchase,
            purchase=True,
        )
        try:
            return snapshot(mapping(body, "order"))
        except (KeyError, e.UpstreamUnavailable) as unreadable:
            raise e.OutcomeUnknown(f"unreadable hosting answer: {unreadable}") from None

    async def status(self, key: str, rental: LongRental) -> LongSnapshot:
        body = await self._get(key, f"user/check/{rental.upstream_id}", "check", self._t.read)
        return snapshot(mapping(body, "order"))

    async def listed(self, key: str, service_rentals: bool) -> Sequence[LongSnapshot]:
        if service_rentals:
            return []
        body = await self._get(
            key,
            "user/orders",
            "orders",
            self._t.listing,
            params={"category": "hosting", "limit": "100", "reverse": "true"},
        )
        rows = mapping(body, "list of orders").get("Data")
        return (
            [snapshot(r, with_messages=False) for r in rows if isinstance(r, dict)]
            if (isinstance(rows, list))
            else []
        )

    async def messages(self, key: str, rental: LongRental) -> tuple[LongMessage, ...]:
        return (await self.status(key, rental)).messages or ()

    async def change(self, key: str, rental: LongRental, change: LongChange) -> LongSnapshot:
        raise e.ServiceUnavailable("5sim neither cancels nor prolongs a hosting order")
