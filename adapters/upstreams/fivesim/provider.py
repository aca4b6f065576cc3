"""5sim as a `ports.Provider`: `base_url` is the vendor's origin (`https://5sim.net`);
the key goes as a bearer token on every call, guest reads included (5sim accepts it)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from proxy import errors as e
from proxy.domain import Offer, Order, RentalSnapshot, RentalState, RentedNumber

from ..common import PlainVendor, mapping, money, national, rfc3339
from ..http import send
from .hosting import FivesimHosting
from .words import CALLING_CODES, COUNTRIES, LIMITS, PRODUCTS, STATES, WORDS

LIFETIME_MINUTES = 15  # an activation's time at 5sim (§3.1), where an answer does not say


class FivesimProvider(PlainVendor):
    name = "fivesim"
    limits = LIMITS
    codes = PRODUCTS
    endpoints = ("profile", "prices", "products", "buy", "check", "finish", "cancel", "orders")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.long_rentals = FivesimHosting(self._get, self._t)

    async def _get(
        self,
        key: str,
        path: str,
        endpoint: str,
        timeout: float,
        *,
        purchase: bool = False,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        answer = await send(
            self._client,
            "GET",
            f"{self._base}/v1/{path}",
            headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
            params=dict(params or {}),
            timeout=timeout,
            purchase=purchase,
            report=self._report(endpoint),
            text=True,
        )
        body = str(answer.body or "")
        if answer.status == 401:
            raise e.BadKey()
        if answer.status == 429 or answer.status == 503:  # per key, per address (§5)
            raise e.RateLimited(answer.retry_after or 1.0)
        if answer.status >= 500:
            if purchase:
                raise e.OutcomeUnknown(f"HTTP {answer.status} to a purchase")
            raise e.UpstreamUnavailable(f"HTTP {answer.status}")
        if answer.status >= 400 or body == "no free phones":  # a 200 that says it (§5)
            error = WORDS.error(body.strip().lower(), purchase=purchase)
            raise error or e.UpstreamRejected(answer.status, "")
        try:
            return json.loads(body) if body else None
        except ValueError:
            if purchase:
                raise e.OutcomeUnknown("unreadable answer to a purchase") from None
            raise e.UpstreamUnavailable("unreadable answer") from None

    # -- reads -----------------------------------------------------------------------------
    async def balance(self, key: str) -> Decimal:
        body = mapping(await self._get(key, "user/profile", "profile", self._t.read), "profile")
        return money(body.get("balance"))

    async def offers(self, key: str) -> Sequence[Offer]:
        body = await self._get(
            key, "guest/prices", "prices", self._t.listing, params={"country": "usa"}
        )
        table = body.get("usa") if isinstance(body, dict) else None
        if not isinstance(table, dict):
            return ()
        found = []
        for product, operators in table.items():
            any_operator = operators.get("any") if isinstance(operators, dict) else None
            if not isinstance(any_operator, dict):
                continue
            service = self.service_of(product)
            found.append(
                Offer(
                    service=service,
                    name=service.capitalize(),
                    cost=money(any_operator.get("cost")),
                    stock=int(any_operator.get("count") or 0),
                    ttl_minutes=LIFETIME_MINUTES,
                    multiple_sms=True,  # an order keeps receiving until it ends
                )
            )
        return found

    # -- purchases ---------------------------------------------------------------------------
    async def rent(self, key: str, order: Order) -> RentedNumber:
        service = order.services[0]
        country = COUNTRIES.get(order.country)
        if country is None:
            raise e.NoNumbers("country not served")
        params = {} if order.max_price is None else {"maxPrice": str(order.max_price)}
        body = await self._get(
            key,
            f"user/buy/activation/{country}/any/{self.code_of(service)}",
            "buy",
            self._t.purchase,
            purchase=True,
            params=params,
        )
        try:
            row = mapping(body, "order")
            return RentedNumber(
                upstream_id=int(row["id"]),
                number=national(row["phone"], CALLING_CODES.get(country, "1")),
                service=service,
                service_name=service.capitalize(),
                cost=money(row["price"]),
                end_time=rfc3339(row["expires"]),
                country=order.country,
            )
        except (KeyError, ValueError, TypeError, e.UpstreamUnavailable):
            raise e.OutcomeUnknown("unreadable answer to a purchase") from None

    # -- an order -----------------------------------------------------------------------------
    def _snapshot(self, row: Mapping[str, Any]) -> RentalSnapshot:
        try:
            upstream_id = int(row["id"])
        except (KeyError, TypeError, ValueError):
            raise e.UpstreamUnavailable("an order without an id") from None
        messages = row.get("sms") or []
        codes = [str(m.get("code")) for m in messages if isinstance(m, dict) and m.get("code")]
        country = str(row.get("country") or "usa")
        product = str(row.get("product") or "")
        return RentalSnapshot(
            upstream_id,
            STATES.get(str(row.get("status")), RentalState.UNKNOWN),
            codes[-1] if codes else None,
            rfc3339(row["expires"]) if row.get("expires") else None,
            number=national(row.get("phone"), CALLING_CODES.get(country, "1")) or None,
            service_name=self.service_of(product) if product else None,
            cost=money(row.get("price", 0)),
        )

    async def _order(self, key: str, action: str, upstream_id: int, timeout: float) -> Any:
        return await self._get(key, f"user/{action}/{upstream_id}", action, timeout)

    async def status(self, key: str, upstream_id: int) -> RentalSnapshot:
        return self._snapshot(
            mapping(await self._order(key, "check", upstream_id, self._t.read), "order")
        )

    async def cancel(self, key: str, upstream_id: int) -> RentalSnapshot:
        row = mapping(await self._order(key, "cancel", upstream_id, self._t.change), "order")
        return self._snapshot(row)

    async def complete(self, key: str, upstream_id: int) -> None:
        await self._order(key, "finish", upstream_id, self._t.change)

    async def request_another(self, key: str, upstream_id: int) -> None:
        return None  # an order keeps receiving SMS until it ends: nothing to ask

    async def open_rentals(self, key: str) -> Sequence[RentalSnapshot] | None:
        body = await self._get(
            key,
            "user/orders",
            "orders",
            self._t.listing,
            params={"category": "activation", "limit": "100", "reverse": "true"},
        )
        rows = mapping(body, "list of orders").get("Data")
        if not isinstance(rows, list):
            raise e.UpstreamUnavailable("unreadable list of orders")
        return [
            self._snapshot(row)
            for row in rows
            if isinstance(row, dict) and row.get("status") in ("PENDING", "RECEIVED")
        ]
