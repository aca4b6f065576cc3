"""An SMS-Activate-compatible vendor as a `ports.Provider`: plain-text tokens over GET.

`base_url` is the vendor's full `handler_api.php` address. What the family does not
offer (a specific number, re-renting, multi-service for the Getatext legacy handler,
native v1 calls, webhooks) is answered with the domain's "not offered" errors, so the
router moves on to another provider.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from proxy import errors as e
from proxy.domain import (
    LimitGroup,
    Offer,
    Order,
    RentalSnapshot,
    RentalState,
    RentedNumber,
    Timeouts,
    VendorRules,
)
from proxy.ports import Observer

from ..common import PlainVendor, limit_table, national
from ..common import money as _money
from ..http import Http, send
from .flavours import FLAVOURS, Flavour, status_error, to_domain_error

# conservative until a vendor's own limits are configured: one order a second, and
# three other calls a second, per account
ORDERS = LimitGroup("orders", 1)
READS = LimitGroup("reads", 3)
LIMITS: Mapping[str, LimitGroup] = limit_table(ORDERS, READS)
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class HandlerApiProvider(PlainVendor):
    limits: Mapping[str, LimitGroup] = LIMITS
    # the vendor answers for its own locks (EARLY_CANCEL_DENIED); this family's rent API is
    # not spoken to vendors yet: PlainVendor's "no long rentals"
    endpoints = (
        "getBalance",
        "getPrices",
        "getNumber",
        "getNumberV2",
        "getStatus",
        "setStatus",
        "getActiveActivations",
    )

    def __init__(
        self,
        base_url: str,
        client: Http,
        timeouts: Timeouts | None = None,
        observer: Observer | None = None,
        *,
        flavour: str = "sms-activate",
        name: str | None = None,
        codes: Mapping[str, str] | None = None,
    ) -> None:
        if flavour not in FLAVOURS:
            raise ValueError(f"flavour must be one of {', '.join(FLAVOURS)}")
        self.flavour: Flavour = FLAVOURS[flavour]
        # the family's codes, under the configuration's
        codes = {**self.flavour.codes, **(codes or {})}
        super().__init__(base_url, client, timeouts, observer, name=name or flavour, codes=codes)
        self._url = base_url  # the handler's own address (base_url is the whole of it)
        # the family decides about another SMS itself, where it has setStatus 3
        self.rules = VendorRules(
            asks_for_another_sms=self.flavour.another_sms, told_when_ready=self.flavour.ready
        )

    # -- the wire ------------------------------------------------------------------------
    async def _ask(
        self, key: str, action: str, timeout: float, *, purchase: bool = False, **params: str
    ) -> str:
        observer, label = self._observer, action

        def report(outcome: str, seconds: float) -> None:
            if observer is not None:
                observer.upstream_call(self.name, label, outcome, seconds)

        answer = await send(
            self._client,
            "GET",
            self._url,
            headers={},
            params={"api_key": key, "action": action, **params},
            timeout=timeout,
            purchase=purchase,
            report=report,
            text=True,
        )
        if answer.status >= 500 or answer.status == 429:
            if purchase and answer.status != 429:
                raise e.OutcomeUnknown(f"HTTP {answer.status} to a purchase")
            raise e.RateLimited() if answer.status == 429 else e.UpstreamUnavailable("5xx")
        body = str(answer.body or "")
        error = to_domain_error(self.flavour, body)
        if error is None and answer.status >= 400:
            error = status_error(self.flavour, answer.status, body, purchase=purchase)
        if error is not None:
            raise error
        return body

    # -- reads -----------------------------------------------------------------------------
    async def balance(self, key: str) -> Decimal:
        answer = await self._ask(key, "getBalance", self._t.read)
        token, _, value = answer.partition(":")
        if token != "ACCESS_BALANCE":
            raise e.UpstreamUnavailable("unreadable balance")
        return _money(value)

    async def offers(self, key: str) -> Sequence[Offer]:
        if not self.flavour.lists_prices:
            return ()  # this family prices only the services it is asked about
        answer = await self._ask(key, "getPrices", self._t.listing, country=self.flavour.country)
        table = _json(answer).get(self.flavour.country)
        if not isinstance(table, dict):
            return ()
        return [
            Offer(
                service=self.service_of(code),
                name=self.service_of(code).capitalize(),
                cost=_money(row.get("cost")),
                stock=int(row.get("count") or 0),
                ttl_minutes=int(self.flavour.lifetime_seconds // 60),
                multiple_sms=False,
            )
            for code, row in table.items()
            if isinstance(row, dict)
        ]

    async def _price(self, key: str, service: str) -> Decimal:
        """One service's price, for families whose purchase answer does not say it."""
        code = self.code_of(service)
        answer = await self._ask(
            key, "getPrices", self._t.read, service=code, country=self.flavour.country
        )
        try:
            rows = json.loads(answer)
        except ValueError:
            raise e.UpstreamUnavailable("unreadable price") from None
        if isinstance(rows, dict) and isinstance(rows.get(self.flavour.country), dict):
            rows = rows[self.flavour.country]  # SMS-Activate's {country: {code: {...}}}
        for row in rows if isinstance(rows, list) else [rows]:
            if isinstance(row, dict) and isinstance(row.get(code), dict):
                return _money(row[code].get("cost"))
        raise e.BadService()

    # -- purchases ---------------------------------------------------------------------------
    async def rent(self, key: str, order: Order) -> RentedNumber:
        service = order.services[0]
        country = self.flavour.country_codes.get(order.country)
        if country is None:
            raise e.NoNumbers("country not served")
        params = {"service": self.code_of(service), "country": country}
        if order.max_price is not None:
            params["maxPrice" if self.flavour.number_v2 else "max_price"] = str(order.max_price)
        if self.flavour.number_v2:
            answer = await self._ask(key, "getNumberV2", self._t.purchase, purchase=True, **params)
            return self._rented_v2(answer, service)
        cost = await self._price(key, service)  # a read: nothing is bought if it fails
        answer = await self._ask(key, "getNumber", self._t.purchase, purchase=True, **params)
        token, _, rest = answer.partition(":")
        upstream_id, _, number = rest.partition(":")
        if token != "ACCESS_NUMBER" or not upstream_id.isdigit() or not number:
            raise e.OutcomeUnknown("unreadable answer to getNumber")
        return RentedNumber(
            upstream_id=int(upstream_id),
            number=national(number),
            service=service,
            service_name=service.capitalize(),
            cost=cost,
            end_time=time.time() + self.flavour.lifetime_seconds,
        )

    def _rented_v2(self, answer: str, service: str) -> RentedNumber:
        try:
            body = json.loads(answer)
            end = body.get("activationEndTime")
            return RentedNumber(
                upstream_id=int(body["activationId"]),
                number=national(str(body["phoneNumber"])),
                service=service,
                service_name=service.capitalize(),
                cost=_money(body.get("activationCost")),
                end_time=_time(end) if end else time.time() + self.flavour.lifetime_seconds,
            )
        except (ValueError, KeyError, TypeError, AttributeError, e.UpstreamUnavailable):
            raise e.OutcomeUnknown("unreadable answer to getNumberV2") from None

    # -- an activation -------------------------------------------------------------------------
    async def status(self, key: str, upstream_id: int) -> RentalSnapshot:
        answer = await self._ask(key, "getStatus", self._t.read, id=str(upstream_id))
        token, _, code = answer.partition(":")
        states = {
            "STATUS_WAIT_CODE": RentalState.OPEN,
            "STATUS_WAIT_RESEND": RentalState.OPEN,
            "STATUS_WAIT_RETRY": RentalState.OPEN,
            "STATUS_OK": RentalState.OPEN,
            "STATUS_CANCEL": RentalState.CANCELLED,
        }
        if token not in states:
            raise e.UpstreamUnavailable("unreadable status")
        return RentalSnapshot(upstream_id, states[token], code or None, None)

    async def cancel(self, key: str, upstream_id: int) -> RentalSnapshot:
        answer = await self._ask(key, "setStatus", self._t.change, id=str(upstream_id), status="8")
        if not answer.startswith("ACCESS_CANCEL"):
            raise e.UpstreamUnavailable("unreadable answer to a cancel")
        return RentalSnapshot(upstream_id, RentalState.CANCELLED, None, None)

    async def request_another(self, key: str, upstream_id: int) -> None:
        answer = await self._ask(key, "setStatus", self._t.change, id=str(upstream_id), status="3")
        if not answer.startswith("ACCESS_RETRY_GET"):
            raise e.UpstreamUnavailable("unreadable answer to another SMS")

    async def mark_ready(self, key: str, upstream_id: int) -> None:
        if not self.flavour.ready:
            return
        answer = await self._ask(key, "setStatus", self._t.change, id=str(upstream_id), status="1")
        if not answer.startswith("ACCESS_READY"):
            raise e.UpstreamUnavailable("unreadable answer to ready")

    async def open_rentals(self, key: str) -> Sequence[RentalSnapshot] | None:
        if not self.flavour.lists_active:
            return None
        answer = await self._ask(key, "getActiveActivations", self._t.listing)
        if self.flavour.bare_active:
            listed = _json_any(answer)
            if not isinstance(listed, list):
                raise e.UpstreamUnavailable("unreadable list of activations")
            return [self._listed(row) for row in listed if isinstance(row, dict)]
        body = _json(answer)
        if body.get("status") != "success":
            if body.get("error") == "NO_ACTIVATIONS":
                return []
            raise e.UpstreamUnavailable("unreadable list of activations")
        rows = body.get("activeActivations")
        if not isinstance(rows, list):
            raise e.UpstreamUnavailable("unreadable list of activations")
        return [self._listed(row) for row in rows if isinstance(row, dict)]

    def _listed(self, row: Mapping[str, Any]) -> RentalSnapshot:
        try:
            upstream_id = int(str(row["activationId"]))
        except (KeyError, ValueError):
            raise e.UpstreamUnavailable("an activation without an id") from None
        code = row.get("smsCode")
        return RentalSnapshot(
            upstream_id,
            RentalState.OPEN,
            str(code) if code else None,
            None,
            number=national(str(row.get("phoneNumber") or "")) or None,
            service_name=self.service_of(str(row.get("serviceCode") or "")),
            cost=_money(row.get("activationCost", 0)),
        )

    async def complete(self, key: str, upstream_id: int) -> None:
        answer = await self._ask(key, "setStatus", self._t.change, id=str(upstream_id), status="6")
        if not answer.startswith("ACCESS_ACTIVATION"):
            raise e.UpstreamUnavailable("unreadable answer to a completion")


def _json_any(answer: str) -> Any:
    try:
        return json.loads(answer)
    except ValueError:
        raise e.UpstreamUnavailable("unreadable JSON answer") from None


def _json(answer: str) -> dict[str, Any]:
    body = _json_any(answer)
    if not isinstance(body, dict):
        raise e.UpstreamUnavailable("unreadable JSON answer")
    return body


def _time(value: Any) -> float:
    return datetime.strptime(str(value), TIME_FORMAT).replace(tzinfo=UTC).timestamp()
