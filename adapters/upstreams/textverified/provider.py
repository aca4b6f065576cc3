"""TextVerified as a `ports.Provider`: `base_url` is the origin (`https://www.textverified.com`).

TextVerified signs in with a user name and a key (`POST auth`, headers `X-API-USERNAME`,
`X-API-KEY`) and answers a bearer token with its lifetime; the token is kept per key
and asked for again when it ends or a call answers 401. Its ids are long strings
(`ids.hashed` names them in the core); one this process has not seen (after a restart)
is found again in the account's list of verifications.

A verification has no finish call: it ends with its code (and is charged then), so a
completion tells the vendor nothing. Its code is read from `GET sms` for its number.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from proxy import errors as e
from proxy.domain import (
    Offer,
    Order,
    RentalSnapshot,
    RentalState,
    RentedNumber,
    Timeouts,
    VendorRules,
)
from proxy.ports import Observer

from ..common import PlainVendor, mapping, money, national, rfc3339
from ..http import Http, send
from ..ids import hashed, to_upstream_id
from .rentals import TextverifiedRentals
from .words import CODE_STATES, LIMITS, STATES, WORDS

API = "/api/pub/v2"
LIFETIME_SECONDS = 15 * 60  # where an answer does not say
EARLY_RENEWAL_SECONDS = 60.0  # a token this close to its end is renewed first


class TextverifiedProvider(PlainVendor):
    name = "textverified"
    limits = LIMITS
    rules = VendorRules(long_cancel_refund_seconds=3600.0)  # Unconfirmed: its refund window
    endpoints = (
        "auth",
        "account/me",
        "services",
        "pricing/verifications",
        "verifications",
        "verifications/{id}",
        "verifications/{id}/cancel",
        "sms",
        "pricing/rentals",
        "reservations/rental",
        "sales/{id}",
        "reservations/rental/{type}",
        "reservations/rental/{type}/{id}",
        "reservations/rental/{type}/{id}/refund",
    )

    def __init__(
        self,
        base_url: str,
        client: Http,
        timeouts: Timeouts | None = None,
        observer: Observer | None = None,
        *,
        name: str | None = None,
        codes: Mapping[str, str] | None = None,
        username: str = "",
    ) -> None:
        super().__init__(base_url, client, timeouts, observer, name=name, codes=codes)
        self._username = username
        self._tokens: dict[str, tuple[str, float]] = {}  # key -> (token, ends at)
        self._signing: dict[str, asyncio.Lock] = {}
        self._ids: dict[int, str] = {}  # hashed -> TextVerified's id
        self.long_rentals = TextverifiedRentals(self._call, self._t, self._carry, self._any_id)

    # -- the wire ------------------------------------------------------------------------
    async def _token(self, key: str, *, fresh: bool = False) -> str:
        async with self._signing.setdefault(key, asyncio.Lock()):
            held = self._tokens.get(key)
            if held and not fresh and held[1] - EARLY_RENEWAL_SECONDS > time.time():
                return held[0]
            answer = await send(
                self._client,
                "POST",
                f"{self._base}{API}/auth",
                headers={"X-API-KEY": key, "X-API-USERNAME": self._username},
                timeout=self._t.read,
                report=self._report("auth"),
            )
            body = answer.body if isinstance(answer.body, dict) else {}
            if answer.status in (401, 403):
                raise e.BadKey()
            if answer.status >= 400 or not isinstance(body.get("token"), str):
                raise e.UpstreamUnavailable(f"sign-in answered HTTP {answer.status}")
            lifetime = body.get("expiresIn")
            seconds = float(lifetime) if isinstance(lifetime, int | float) else 3600.0
            self._tokens[key] = (body["token"], time.time() + seconds)
            return str(body["token"])

    async def _call(
        self,
        key: str,
        method: str,
        path: str,
        endpoint: str,
        timeout: float,
        *,
        purchase: bool = False,
        body: dict[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        for attempt in (0, 1):
            token = await self._token(key, fresh=attempt == 1)
            answer = await send(
                self._client,
                method,
                f"{self._base}{path}",
                headers={"Authorization": f"Bearer {token}"},
                json_body=body,
                params=dict(params or {}),
                timeout=timeout,
                purchase=purchase,
                report=self._report(endpoint),
            )
            if answer.status != 401:
                break  # a 401 is the token's end: signed in again once (nothing was done)
        if 200 <= answer.status < 300:
            return answer.body
        found = answer.body if isinstance(answer.body, dict) else {}
        word = str(found.get("errorCode") or "")
        if answer.status == 429 and not word:
            raise e.RateLimited(answer.retry_after or 1.0)
        error = WORDS.error(word, purchase=purchase)
        if error is None and purchase and answer.status >= 500:
            error = e.OutcomeUnknown(f"HTTP {answer.status} to a purchase")
        if error is None:
            error = (
                e.UpstreamUnavailable(f"HTTP {answer.status}")
                if answer.status >= 500
                else e.UpstreamRejected(answer.status, "")
            )
        raise error

    def _carry(self, vendor_id: Any) -> int:
        text = str(vendor_id)
        try:
            return to_upstream_id(text) if text.isdigit() else self._remember(text)
        except ValueError:
            return self._remember(text)

    def _remember(self, text: str) -> int:
        number = hashed(text)
        self._ids[number] = text
        return number

    async def _any_id(self, key: str, upstream_id: int) -> str:
        """A verification's or a rental's id (a rental's found again in its own lists)."""
        if upstream_id >= 0 or upstream_id in self._ids:
            return str(upstream_id) if upstream_id >= 0 else self._ids[upstream_id]
        await self.long_rentals.listed(key, False)
        await self.long_rentals.listed(key, True)
        return await self._vendor_id(key, upstream_id)

    async def _vendor_id(self, key: str, upstream_id: int) -> str:
        if upstream_id >= 0:
            return str(upstream_id)
        if upstream_id not in self._ids:
            await self._listed(key)  # fills the table from the account's verifications
        try:
            return self._ids[upstream_id]
        except KeyError:
            raise e.NotFound() from None

    # -- reads -----------------------------------------------------------------------------
    async def balance(self, key: str) -> Decimal:
        body = mapping(
            await self._call(key, "GET", f"{API}/account/me", "account/me", self._t.read), "account"
        )
        return money(body.get("currentBalance"))

    async def offers(self, key: str) -> Sequence[Offer]:
        listed = await self._call(
            key,
            "GET",
            f"{API}/services",
            "services",
            self._t.listing,
            params={"numberType": "mobile", "reservationType": "verification"},
        )
        names = [
            str(row["serviceName"])
            for row in listed or []
            if isinstance(row, dict) and row.get("serviceName")
        ]
        prices = await asyncio.gather(*(self._price(key, name) for name in names))
        return [
            Offer(
                service=self.service_of(name),
                name=self.service_of(name).capitalize(),
                cost=price,
                stock=1,  # TextVerified does not say: "some"
                ttl_minutes=LIFETIME_SECONDS // 60,
                multiple_sms=False,
            )
            for name, price in zip(names, prices, strict=True)
        ]

    async def _price(self, key: str, service_name: str) -> Decimal:
        body = await self._call(
            key,
            "POST",
            f"{API}/pricing/verifications",
            "pricing/verifications",
            self._t.read,
            body={
                "serviceName": service_name,
                "areaCode": False,
                "carrier": False,
                "numberType": "mobile",
                "capability": "sms",
            },
        )
        return money(mapping(body, "price").get("price"))

    # -- purchases ---------------------------------------------------------------------------
    async def rent(self, key: str, order: Order) -> RentedNumber:
        if order.country != "us":
            raise e.NoNumbers("country not served")  # TextVerified sells US numbers
        service = order.services[0]
        wanted: dict[str, Any] = {"serviceName": self.code_of(service), "capability": "sms"}
        if order.max_price is not None:
            wanted["maxPrice"] = float(order.max_price)
        if order.area_codes:
            wanted["areaCodeSelectOption"] = list(order.area_codes)
        if order.carrier:
            wanted["carrierSelectOption"] = [order.carrier]
        link = await self._call(
            key,
            "POST",
            f"{API}/verifications",
            "verifications",
            self._t.purchase,
            purchase=True,
            body=wanted,
        )
        try:
            href = str(mapping(link, "link")["href"])
            vendor_id = href.rstrip("/").rsplit("/", 1)[1]
        except (KeyError, IndexError, e.UpstreamUnavailable):
            raise e.OutcomeUnknown("unreadable answer to a purchase") from None
        upstream_id = self._carry(vendor_id)
        try:  # sold: what it is comes from its details; unread, the sale stays unknown
            row = mapping(await self._details(key, vendor_id, self._t.purchase), "verification")
            return RentedNumber(
                upstream_id=upstream_id,
                number=national(row["number"]),
                service=service,
                service_name=service.capitalize(),
                cost=money(row["totalCost"]),
                end_time=rfc3339(row["endsAt"])
                if row.get("endsAt")
                else time.time() + LIFETIME_SECONDS,
            )
        except (KeyError, ValueError, TypeError, e.DomainError):
            raise e.OutcomeUnknown("the sale's details could not be read") from None

    async def _details(self, key: str, vendor_id: str, timeout: float) -> Any:
        return await self._call(
            key, "GET", f"{API}/verifications/{vendor_id}", "verifications/{id}", timeout
        )

    # -- a verification ---------------------------------------------------------------------------
    async def status(self, key: str, upstream_id: int) -> RentalSnapshot:
        vendor_id = await self._vendor_id(key, upstream_id)
        row = mapping(await self._details(key, vendor_id, self._t.read), "verification")
        word = str(row.get("state") or "")
        number = national(row.get("number"))
        code = await self._code(key, vendor_id, number) if word in CODE_STATES else None
        return RentalSnapshot(
            upstream_id,
            STATES.get(word, RentalState.UNKNOWN),
            code,
            rfc3339(row["endsAt"]) if row.get("endsAt") else None,
            number=number or None,
            service_name=self.service_of(str(row.get("serviceName") or "")) or None,
            cost=money(row.get("totalCost", 0)),
        )

    async def _code(self, key: str, vendor_id: str, number: str) -> str | None:
        body = await self._call(
            key,
            "GET",
            f"{API}/sms",
            "sms",
            self._t.read,
            params={"to": number, "reservationId": vendor_id, "reservationType": "verification"},
        )
        rows = mapping(body, "list of SMS").get("data")
        codes = (
            [
                str(row.get("parsedCode") or row.get("smsContent"))
                for row in rows
                if isinstance(row, dict)
                and national(row.get("to")) == number
                and (row.get("parsedCode") or row.get("smsContent"))
            ]
            if isinstance(rows, list)
            else []
        )
        return codes[0] if codes else None  # the newest first

    async def cancel(self, key: str, upstream_id: int) -> RentalSnapshot:
        vendor_id = await self._vendor_id(key, upstream_id)
        await self._call(
            key,
            "POST",
            f"{API}/verifications/{vendor_id}/cancel",
            "verifications/{id}/cancel",
            self._t.change,
        )
        return RentalSnapshot(upstream_id, RentalState.CANCELLED, None, None)

    async def complete(self, key: str, upstream_id: int) -> None:
        return None  # no finish call: it ends with its code (the module's docstring)

    async def request_another(self, key: str, upstream_id: int) -> None:
        return None  # its number keeps receiving until it ends

    async def _listed(self, key: str) -> list[dict[str, Any]]:
        body = await self._call(
            key, "GET", f"{API}/verifications", "verifications", self._t.listing
        )
        rows = mapping(body, "list of verifications").get("data")
        if not isinstance(rows, list):
            raise e.UpstreamUnavailable("unreadable list of verifications")
        found = [row for row in rows if isinstance(row, dict) and row.get("id")]
        for row in found:
            self._carry(row["id"])
        return found

    async def open_rentals(self, key: str) -> Sequence[RentalSnapshot] | None:
        return [
            RentalSnapshot(
                self._carry(row["id"]),
                RentalState.OPEN,
                None,
                None,
                number=national(row.get("number")) or None,
                service_name=self.service_of(str(row.get("serviceName") or "")) or None,
                cost=money(row.get("totalCost", 0)),
            )
            for row in await self._listed(key)
            if row.get("state") == "verificationPending"
        ]
