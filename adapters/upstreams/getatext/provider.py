"""The Getatext JSON v1 API as a `ports.Provider`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from proxy.domain import (
    LimitGroup,
    Offer,
    Order,
    PushedCode,
    RentalSnapshot,
    RentedNumber,
    Timeouts,
)
from proxy.errors import Maintenance, OutcomeUnknown, UpstreamUnavailable
from proxy.ports import Observer

from ..http import Answer, Http, send
from . import long_rentals, parse
from .errors import to_domain_error
from .limits import ENDPOINTS, LIMITS, RULES


class GetatextProvider:
    name = "getatext"
    endpoints = ENDPOINTS
    limits: Mapping[str, LimitGroup] = LIMITS
    countries = frozenset({"us"})  # getatext-api.txt: US numbers only
    services: frozenset[str] | None = None
    rules = RULES

    def __init__(
        self,
        base_url: str,
        client: Http,
        timeouts: Timeouts | None = None,
        observer: Observer | None = None,
        *,
        name: str = "getatext",
    ) -> None:
        self.name = name
        self._base = base_url.rstrip("/") + "/api/v1"
        self._client = client
        self._t = timeouts or Timeouts()
        self._observer = observer
        self.long_rentals = long_rentals.LongRentals(self._call, self._t)

    async def _call(
        self,
        method: str,
        path: str,
        key: str,
        timeout: float,
        body: dict[str, Any] | None = None,
        *,
        purchase: bool = False,
        endpoint: str | None = None,
    ) -> Any:
        observer, label = self._observer, endpoint or path.strip("/")

        def report(outcome: str, seconds: float) -> None:
            if observer is not None:
                observer.upstream_call(self.name, label, outcome, seconds)

        answer: Answer = await send(
            self._client,
            method,
            self._base + path,
            headers={"Auth": key},
            json_body=body,
            timeout=timeout,
            purchase=purchase,
            report=report,
        )
        if answer.status >= 400:
            error = to_domain_error(answer.status, answer.body, answer.retry_after)
            if purchase and answer.status >= 500 and not isinstance(error, Maintenance):
                # a gateway error may come after the vendor sold the number
                raise OutcomeUnknown(f"HTTP {answer.status} to a purchase") from None
            raise error
        return answer.body

    async def balance(self, key: str) -> Decimal:
        body = parse.obj(await self._call("GET", "/balance", key, self._t.read))
        return parse.money(body.get("balance"))

    async def offers(self, key: str) -> Sequence[Offer]:
        body = await self._call("GET", "/prices-info", key, self._t.listing)
        rows = body if isinstance(body, list) else [body]
        offers = []
        for row in rows:
            row = parse.obj(row)
            try:
                offers.append(
                    Offer(
                        service=str(row["api_name"]),
                        name=str(row["service_name"]),
                        cost=parse.money(row["price"]),
                        stock=int(row.get("stock") or 0),
                        ttl_minutes=int(row.get("ttl") or 0),
                        multiple_sms=str(row.get("multiple_sms")).lower() in ("true", "1"),
                    )
                )
            except (KeyError, TypeError, ValueError):
                raise UpstreamUnavailable("malformed prices-info row") from None
        return offers

    @staticmethod
    def _filters(order: Order, area_field: str) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if order.max_price is not None:
            body["max_price"] = float(order.max_price)
        if order.carrier:
            body["carrier"] = order.carrier
            body["keep_carrier"] = order.keep_carrier
        if order.area_codes:
            body[area_field] = ",".join(order.area_codes)
            body["lock_area_code"] = order.lock_area_code
        return body

    @staticmethod
    def _rented(row: Any, service: str) -> RentedNumber:
        """A success answer to a purchase: one we cannot read may still have sold it."""
        try:
            return GetatextProvider._read_rented(row, service)
        except UpstreamUnavailable as unreadable:
            raise OutcomeUnknown(f"unreadable purchase answer: {unreadable}") from None

    @staticmethod
    def _read_rented(row: Any, service: str) -> RentedNumber:
        row = parse.obj(row)
        return RentedNumber(
            upstream_id=parse.integer(row.get("id")),
            number=str(row.get("number")),
            service=service,
            service_name=str(row.get("service_name") or service),
            cost=parse.money(row.get("price")),
            end_time=parse.timestamp(row.get("end_time")),
            balance_after=parse.optional_money(row.get("new_balance")),
            returning_customer=row.get("returning_customer") is True,
        )

    async def rent(self, key: str, order: Order) -> RentedNumber:
        body = {"service": order.services[0], **self._filters(order, "area_codes")}
        answer = await self._call(
            "POST", "/rent-a-number", key, self._t.purchase, body, purchase=True
        )
        return self._rented(answer, order.services[0])

    async def rent_many(self, key: str, order: Order) -> Sequence[RentedNumber]:
        body = {"services": ",".join(order.services), **self._filters(order, "rent_area_codes")}
        answer = await self._call(
            "POST", "/rent-multiple-services", key, self._t.purchase, body, purchase=True
        )
        if not isinstance(answer, dict):
            raise OutcomeUnknown("rent-multiple-services answer is not an object")
        rows = answer.get("rentals")
        if not isinstance(rows, list) or len(rows) != len(order.services):
            raise OutcomeUnknown("rent-multiple-services answer without its rentals")
        return [self._rented(r, s) for r, s in zip(rows, order.services, strict=True)]

    @staticmethod
    def _snapshot(body: Any) -> RentalSnapshot:
        row = parse.obj(body)
        number, service_name = row.get("number"), row.get("service_name")
        return RentalSnapshot(
            upstream_id=parse.integer(row.get("id")),
            state=parse.state(row.get("status")),
            code=parse.code(row.get("code")),
            end_time=parse.timestamp(row.get("end_time")),
            number=str(number) if isinstance(number, str | int) else None,
            service_name=service_name if isinstance(service_name, str) else None,
            cost=parse.optional_money(row.get("cost")),
        )

    async def status(self, key: str, upstream_id: int) -> RentalSnapshot:
        body = await self._call("POST", "/rental-status", key, self._t.read, {"id": upstream_id})
        return self._snapshot(body)

    async def cancel(self, key: str, upstream_id: int) -> RentalSnapshot:
        body = await self._call("POST", "/cancel-rental", key, self._t.change, {"id": upstream_id})
        return self._snapshot(body)

    async def complete(self, key: str, upstream_id: int) -> None:
        await self._call(
            "POST",
            f"/rental-status/{upstream_id}/completed",
            key,
            self._t.change,
            endpoint="rental-completed",
        )

    async def request_another(self, key: str, upstream_id: int) -> None:
        return None  # no endpoint: an open rental of a multi-SMS service takes the next one

    async def rerent(self, key: str, upstream_id: int) -> RentedNumber:
        answer = await self._call(
            "POST", "/re-rent", key, self._t.purchase, {"rental_id": upstream_id}, purchase=True
        )
        return self._rented(answer, "")

    async def rent_specific(
        self, key: str, number: str, service: str, max_price: Decimal | None = None
    ) -> RentedNumber:
        body: dict[str, Any] = {"number": number, "service": service}
        if max_price is not None:
            body["max_price"] = float(max_price)
        answer = await self._call(
            "POST", "/rent-specific-number", key, self._t.purchase, body, purchase=True
        )
        return self._rented(answer, service)

    async def forward(
        self, key: str, method: str, path: str, body: dict[str, Any] | None
    ) -> tuple[int, Any]:
        """A vendor-native call the core does not model, answered as the vendor answered."""
        observer = self._observer

        def report(outcome: str, seconds: float) -> None:
            if observer is not None:
                observer.upstream_call(self.name, "native", outcome, seconds)

        answer = await send(
            self._client,
            method,
            self._base + path,
            headers={"Auth": key},
            json_body=body,
            timeout=self._t.change,
            report=report,
        )
        return answer.status, answer.body

    async def mark_ready(self, key: str, upstream_id: int) -> None:
        return None  # the vendor has no such call (RULES.told_when_ready is off)

    async def open_rentals(self, key: str) -> Sequence[RentalSnapshot] | None:
        return None  # v1 lists long rentals only

    @staticmethod
    def read_webhook(body: Any) -> PushedCode | None:
        return parse.webhook(body)

    async def close(self) -> None:
        return None
