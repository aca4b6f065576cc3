"""SMSPool as a `ports.Provider`: `base_url` is the API's origin (`https://api.smspool.net`);
every call is a POST with its parameters, the key among them, as a form (SMSPool takes
both; a form keeps the key out of URLs). Order ids are SMSPool's codes (`PCMOWTUP`),
carried in the core's ids by `ids.py`.

SMSPool has no call that finishes one order: an order is completed when its SMS comes
(and charged then). A completion here is `request/archive`, SMSPool's own "put away":
it archives every order of the account that has its SMS, which changes nothing about
them but the list they are in (their `sms/check` still answers status 3 with the code)."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from proxy import errors as e
from proxy.domain import Offer, Order, RentalSnapshot, RentalState, RentedNumber, VendorRules

from ..common import PlainVendor, busy_or_down, mapping, money, national, unread_refusal
from ..http import send
from ..ids import to_upstream_id, to_vendor_id
from .rentals import SmspoolRentals
from .words import CALLING_CODES, COUNTRIES, LIMITS, LISTED_OPEN, STATES, WORDS

LIFETIME_SECONDS = 20 * 60  # where an answer does not say


def plain(name: str) -> str:
    """SMSPool's display name as the core's service name: `WhatsApp` -> `whatsapp`."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


class SmspoolProvider(PlainVendor):
    name = "smspool"
    limits = LIMITS
    # sms/resend; a rental is refunded while no message came (its refund call)
    rules = VendorRules(asks_for_another_sms=True, long_cancel_refund_seconds=3600.0)
    endpoints = (
        "request/balance",
        "request/pricing",
        "purchase/sms",
        "sms/check",
        "sms/resend",
        "sms/cancel",
        "request/active",
        "request/archive",
        "rental/retrieve_all",
        "purchase/rental",
        "rental/retrieve_status.php",
        "rental/retrieve_messages",
        "rental/extend.php",
        "rental/refund.php",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.long_rentals = SmspoolRentals(self._post, self._t, self.code_of)

    async def _post(
        self, key: str, path: str, timeout: float, *, purchase: bool = False, **params: str
    ) -> Any:
        answer = await send(
            self._client,
            "POST",
            f"{self._base}/{path}",
            headers={"Accept": "application/json"},
            form={"key": key, **params},
            timeout=timeout,
            purchase=purchase,
            report=self._report(path),
        )
        busy_or_down(answer.status, answer.retry_after, purchase=purchase)
        body = answer.body
        if isinstance(body, dict) and body.get("success") in (0, "0", False):
            word = str(body.get("type") or "")
            error = WORDS.error(word, purchase=purchase)
            raise error or e.UpstreamRejected(answer.status, "")
        if answer.status >= 400:
            raise unread_refusal(answer.status, purchase=purchase)
        return body

    # -- reads -----------------------------------------------------------------------------
    async def balance(self, key: str) -> Decimal:
        body = mapping(await self._post(key, "request/balance", self._t.read), "balance")
        return money(body.get("balance"))

    async def offers(self, key: str) -> Sequence[Offer]:
        rows = await self._post(key, "request/pricing", self._t.listing, country="1")
        if not isinstance(rows, list):
            raise e.UpstreamUnavailable("unreadable price list")
        found = []
        for row in rows:
            if not isinstance(row, dict) or not row.get("service_name"):
                continue
            service = self.service_of(plain(str(row["service_name"])))
            found.append(
                Offer(
                    service=service,
                    name=str(row["service_name"]),
                    cost=money(row.get("price")),
                    stock=int(row.get("stock") or 1),  # SMSPool does not say: "some"
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
        params = {"country": country, "service": self.code_of(service), "pool": ""}
        if order.max_price is not None:
            params["max_price"] = str(order.max_price)
        body = await self._post(key, "purchase/sms", self._t.purchase, purchase=True, **params)
        try:
            row = mapping(body, "order")
            vendor_id = row.get("order_id") or row["orderid"]
            end = row.get("expiration")
            left = row.get("current_balance")
            return RentedNumber(
                upstream_id=to_upstream_id(vendor_id),
                number=national(
                    row.get("phonenumber") or row["number"], CALLING_CODES[order.country]
                ),
                service=service,
                service_name=str(row.get("service") or service),
                cost=money(row["cost"]),
                end_time=float(end) if end else time.time() + LIFETIME_SECONDS,
                balance_after=money(left) if left not in (None, "") else None,
                country=order.country,
            )
        except (KeyError, ValueError, TypeError, e.UpstreamUnavailable):
            raise e.OutcomeUnknown("unreadable answer to a purchase") from None

    # -- an order -----------------------------------------------------------------------------
    async def status(self, key: str, upstream_id: int) -> RentalSnapshot:
        body = mapping(
            await self._post(key, "sms/check", self._t.read, orderid=to_vendor_id(upstream_id)),
            "order",
        )
        try:
            state = STATES.get(int(body.get("status", 0)), RentalState.UNKNOWN)
        except (TypeError, ValueError):
            state = RentalState.UNKNOWN
        code = body.get("sms") if body.get("status") in (3, "3") else None
        end = body.get("expiration")
        return RentalSnapshot(
            upstream_id, state, str(code) if code else None, float(end) if end else None
        )

    async def cancel(self, key: str, upstream_id: int) -> RentalSnapshot:
        await self._post(key, "sms/cancel", self._t.change, orderid=to_vendor_id(upstream_id))
        return RentalSnapshot(upstream_id, RentalState.CANCELLED, None, None)

    async def request_another(self, key: str, upstream_id: int) -> None:
        await self._post(key, "sms/resend", self._t.change, orderid=to_vendor_id(upstream_id))

    async def complete(self, key: str, upstream_id: int) -> None:
        await self._post(key, "request/archive", self._t.change)

    async def open_rentals(self, key: str) -> Sequence[RentalSnapshot] | None:
        rows = await self._post(key, "request/active", self._t.listing)
        if not isinstance(rows, list):
            raise e.UpstreamUnavailable("unreadable list of orders")
        return [
            self._listed(row)
            for row in rows
            if isinstance(row, dict) and str(row.get("status", "pending")).lower() in LISTED_OPEN
        ]

    def _listed(self, row: Mapping[str, Any]) -> RentalSnapshot:
        try:
            upstream_id = to_upstream_id(row["order_code"])
        except (KeyError, ValueError):
            raise e.UpstreamUnavailable("an order without a readable code") from None
        code = row.get("code")
        return RentalSnapshot(
            upstream_id,
            RentalState.OPEN,
            str(code) if code else None,
            None,
            number=national(row.get("phonenumber"), "1") or None,
            service_name=self.service_of(plain(str(row.get("service") or ""))),
            cost=money(row.get("cost", 0)),
        )
