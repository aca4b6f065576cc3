"""OnlineSIM as a `ports.Provider`: `base_url` is the origin (`https://onlinesim.io`); each
method is a POST of a JSON body with `apikey` in it, as OnlineSIM's Python client sends.

`getNum` does not say the price: it is read first (`getPrice`; nothing is bought if that
fails). `setOperationOk` closes an operation: with its code that is the completion,
without one the cancel (refunded)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from proxy import errors as e
from proxy.domain import Offer, Order, RentalSnapshot, RentalState, RentedNumber, VendorRules

from ..common import PlainVendor, busy_or_down, mapping, money, national, unread_refusal
from ..http import send
from .rent import OnlinesimRent
from .words import COUNTRIES, LIMITS, STATES, WORDS

LIFETIME_SECONDS = 20 * 60  # where an answer does not say


class OnlinesimProvider(PlainVendor):
    name = "onlinesim"
    limits = LIMITS
    # setOperationRevise; a rent closed in its first 20 minutes, before any SMS, is
    # refunded (its rent documentation)
    rules = VendorRules(asks_for_another_sms=True, long_cancel_refund_seconds=1200.0)
    endpoints = (
        "getBalance",
        "getNumbersStats",
        "getPrice",
        "getNum",
        "getState",
        "setOperationOk",
        "setOperationRevise",
        "rent/tariffsRent",
        "rent/getRentNum",
        "rent/getRentState",
        "rent/extendRentState",
        "rent/closeRentNum",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.long_rentals = OnlinesimRent(self._call, self._t)

    async def _call(
        self, key: str, method: str, timeout: float, *, purchase: bool = False, **params: Any
    ) -> Any:
        answer = await send(
            self._client,
            "POST",
            f"{self._base}/api/{method}.php",
            headers={"Accept": "application/json"},
            json_body={"apikey": key, "lang": "en", **params},
            timeout=timeout,
            purchase=purchase,
            report=self._report(method),
        )
        busy_or_down(answer.status, answer.retry_after, purchase=purchase)
        body = answer.body
        word = body.get("response") if isinstance(body, dict) else None
        if word is not None and str(word) != "1":
            error = WORDS.error(str(word), purchase=purchase)
            raise error or e.UpstreamRejected(answer.status, "")
        if answer.status >= 400:
            raise unread_refusal(answer.status, purchase=purchase)
        return body

    # -- reads -----------------------------------------------------------------------------
    async def balance(self, key: str) -> Decimal:
        body = mapping(await self._call(key, "getBalance", self._t.read), "balance")
        return money(body.get("balance"))

    async def offers(self, key: str) -> Sequence[Offer]:
        body = mapping(
            await self._call(key, "getNumbersStats", self._t.listing, country=COUNTRIES["us"]),
            "price list",
        )
        rows = body.get("services")
        if not isinstance(rows, dict):
            return ()
        found = []
        for row in rows.values():
            if not isinstance(row, dict) or not row.get("slug"):
                continue
            service = self.service_of(str(row["slug"]))
            found.append(
                Offer(
                    service=service,
                    name=str(row.get("service") or service.capitalize()),
                    cost=money(row.get("price")),
                    stock=int(row.get("count") or 0),
                    ttl_minutes=LIFETIME_SECONDS // 60,
                    multiple_sms=False,
                )
            )
        return found

    # -- purchases ---------------------------------------------------------------------------
    async def rent(self, key: str, order: Order) -> RentedNumber:
        service = order.services[0]
        country = COUNTRIES.get(order.country)
        if country is None:
            raise e.NoNumbers("country not served")
        code = self.code_of(service)
        priced = mapping(await self._call(key, "getPrice", self._t.read, service=code), "price")
        cost = money(priced.get("price"))
        if order.max_price is not None and cost > order.max_price:
            raise e.MaxPriceExceeded(cost)  # getNum takes no price cap: checked here
        body = await self._call(
            key,
            "getNum",
            self._t.purchase,
            purchase=True,
            service=code,
            country=country,
            number=True,
        )
        try:
            row = mapping(body, "operation")
            return RentedNumber(
                upstream_id=int(row["tzid"]),
                number=national(row["number"], country),
                service=service,
                service_name=service.capitalize(),
                cost=cost,
                end_time=time.time() + LIFETIME_SECONDS,
                country=order.country,
            )
        except (KeyError, ValueError, TypeError, e.UpstreamUnavailable):
            raise e.OutcomeUnknown("unreadable answer to a purchase") from None

    # -- an operation ---------------------------------------------------------------------------
    def _snapshot(self, row: Mapping[str, Any]) -> RentalSnapshot:
        try:
            tzid = int(row["tzid"])
        except (KeyError, TypeError, ValueError):
            raise e.UpstreamUnavailable("an operation without a tzid") from None
        word = str(row.get("response") or "")
        code = row.get("msg") if word in ("TZ_NUM_ANSWER", "TZ_OVER_OK") else None
        left = row.get("time")
        return RentalSnapshot(
            tzid,
            STATES.get(word, RentalState.UNKNOWN),
            str(code) if code else None,
            time.time() + float(left) if isinstance(left, int | float) else None,
            number=national(row.get("number"), str(row.get("country") or "1")) or None,
            service_name=self.service_of(str(row.get("service") or "")) or None,
            cost=money(row.get("sum", 0)),
        )

    async def _state(self, key: str, timeout: float, **params: Any) -> list[Any]:
        try:
            rows = await self._call(
                key, "getState", timeout, message_to_code=1, msg_list=0, **params
            )
        except e.NotFound:
            return []  # ERROR_NO_OPERATIONS
        if not isinstance(rows, list):
            raise e.UpstreamUnavailable("unreadable list of operations")
        return rows

    async def status(self, key: str, upstream_id: int) -> RentalSnapshot:
        rows = await self._state(key, self._t.read, tzid=upstream_id)
        for row in rows:
            if isinstance(row, dict) and str(row.get("tzid")) == str(upstream_id):
                return self._snapshot(row)
        raise e.NotFound()

    async def cancel(self, key: str, upstream_id: int) -> RentalSnapshot:
        await self._call(key, "setOperationOk", self._t.change, tzid=upstream_id)
        return RentalSnapshot(upstream_id, RentalState.CANCELLED, None, None)

    async def complete(self, key: str, upstream_id: int) -> None:
        await self._call(key, "setOperationOk", self._t.change, tzid=upstream_id)

    async def request_another(self, key: str, upstream_id: int) -> None:
        await self._call(key, "setOperationRevise", self._t.change, tzid=upstream_id)

    async def open_rentals(self, key: str) -> Sequence[RentalSnapshot] | None:
        rows = await self._state(key, self._t.listing)
        return [self._snapshot(row) for row in rows if isinstance(row, dict)]
