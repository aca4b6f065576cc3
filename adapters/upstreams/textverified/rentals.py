"""TextVerified's rentals (`reservations/rental`, docs/vendor/textverified-protocol.md §4)
as the core's long rentals: whole numbers (`allservices`) or a number for one service,
for a duration (the period: `sevenDay`, …), renewable (auto-renewed) or not.

A purchase answers a link to its sale; the sale names the reservation; its details
carry the number and the end. Messages are `GET sms` for the reservation. A cancel is
TextVerified's refund (refused once it may no longer refund). Renewing or switching
auto-renewal is not done from here."""

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

from ..common import cancelled, mapping, money, national, rfc3339

API = "/api/pub/v2"
DAY = 86400.0
DURATIONS: Mapping[str, float] = {
    "oneDay": DAY,
    "threeDay": 3 * DAY,
    "sevenDay": 7 * DAY,
    "fourteenDay": 14 * DAY,
    "thirtyDay": 30 * DAY,
    "ninetyDay": 90 * DAY,
    "oneYear": 365 * DAY,
}
ANY_SERVICE = "allservices"
STATES: Mapping[str, LongRentalState] = {
    "Active": LongRentalState.ACTIVE,
    "Overdue": LongRentalState.ACTIVE,
    "Expired": LongRentalState.EXPIRED,
    "Refunded": LongRentalState.CANCELLED,
}
Call = Callable[..., Awaitable[Any]]  # the provider's signed call


def _period(seconds: float) -> str:
    """The duration whose length is nearest (a listing does not say which was bought)."""
    return min(DURATIONS, key=lambda name: abs(DURATIONS[name] - seconds))


def _state(word: str) -> LongRentalState:
    for suffix, state in STATES.items():
        if word.endswith(suffix):
            return state
    return LongRentalState.EXPIRED


class TextverifiedRentals:
    def __init__(
        self,
        call: Call,
        timeouts: Timeouts,
        carry: Callable[[Any], int],
        vendor_id: Callable[[str, int], Awaitable[str]],
    ) -> None:
        self._call = call
        self._t = timeouts
        self._carry = carry
        self._vendor_id = vendor_id

    async def offers(self, key: str) -> Sequence[LongOffer]:
        found = []
        for period, seconds in DURATIONS.items():
            try:
                body = await self._call(
                    key,
                    "POST",
                    f"{API}/pricing/rentals",
                    "pricing/rentals",
                    self._t.read,
                    body={
                        "serviceName": ANY_SERVICE,
                        "areaCode": False,
                        "numberType": "mobile",
                        "capability": "sms",
                        "isRenewable": False,
                        "duration": period,
                    },
                )
            except (e.OrderRejected, e.PeriodTooLong):
                continue  # not sold for so long
            found.append(LongOffer(None, period, seconds, money(mapping(body, "price")["price"])))
        if not found:
            raise e.ServiceUnavailable("no rental on sale")
        return found

    async def _details(self, key: str, kind: str, vendor_id: str, timeout: float) -> Any:
        return await self._call(
            key,
            "GET",
            f"{API}/reservations/rental/{kind}/{vendor_id}",
            "reservations/rental/{type}/{id}",
            timeout,
        )

    def _snapshot(
        self,
        row: Mapping[str, Any],
        period: str,
        cost: Any,
        messages: tuple[LongMessage, ...] | None,
    ) -> LongSnapshot:
        name = str(row.get("serviceName") or ANY_SERVICE)
        ends = row.get("endsAt")
        return LongSnapshot(
            upstream_id=self._carry(row["id"]),
            number=national(row.get("number")),
            service=None if name == ANY_SERVICE else name,
            period=period,
            cost=money(cost),
            state=_state(str(row.get("state") or "")),
            end_time=rfc3339(ends) if ends else rfc3339(row["createdAt"]),
            auto_renew=str(row.get("state") or "").startswith("renewable"),
            messages=messages,
            rented_at=rfc3339(row["createdAt"]),
        )

    async def rent(self, key: str, order: LongOrder) -> LongSnapshot:
        if order.period not in DURATIONS:
            raise e.BadService("not a duration this vendor sells")
        wanted = {
            "allowBackOrderReservations": False,
            "alwaysOn": True,
            "duration": order.period,
            "isRenewable": order.auto_renew,
            "numberType": "mobile",
            "serviceName": order.service or ANY_SERVICE,
            "capability": "sms",
            "areaCodeSelectOption": list(order.area_codes) or None,
        }
        link = await self._call(
            key,
            "POST",
            f"{API}/reservations/rental",
            "reservations/rental",
            self._t.purchase,
            purchase=True,
            body=wanted,
        )
        try:  # sold: what it is comes from its sale and details; unread, it stays unknown
            sale_path = str(mapping(link, "link")["href"])
            sale_path = sale_path[sale_path.index(API) :]
            sale = mapping(
                await self._call(key, "GET", sale_path, "sales/{id}", self._t.purchase), "sale"
            )
            reservation = sale["reservations"][0]
            kind = str(reservation["reservationType"])
            row = mapping(
                await self._details(key, kind, str(reservation["id"]), self._t.purchase), "rental"
            )
            return self._snapshot(row, order.period, sale.get("total", 0), ())
        except (KeyError, IndexError, ValueError, TypeError, e.DomainError):
            raise e.OutcomeUnknown("the rental's sale could not be read") from None

    async def _read(self, key: str, rental: LongRental) -> Mapping[str, Any]:
        vendor_id = await self._vendor_id(key, rental.upstream_id)
        kind = "renewable" if rental.auto_renew else "nonrenewable"
        return mapping(await self._details(key, kind, vendor_id, self._t.read), "rental")

    async def messages(self, key: str, rental: LongRental) -> tuple[LongMessage, ...]:
        vendor_id = await self._vendor_id(key, rental.upstream_id)
        body = await self._call(
            key,
            "GET",
            f"{API}/sms",
            "sms",
            self._t.read,
            params={"reservationId": vendor_id, "to": rental.number},
        )
        rows = mapping(body, "list of SMS").get("data")
        return tuple(
            LongMessage(
                str(m.get("smsContent") or ""), str(m.get("from") or ""), rfc3339(m["createdAt"])
            )
            for m in (rows if isinstance(rows, list) else [])
            if isinstance(m, dict) and m.get("createdAt")
        )

    async def status(self, key: str, rental: LongRental) -> LongSnapshot:
        row = await self._read(key, rental)
        return self._snapshot(row, rental.period, rental.cost, await self.messages(key, rental))

    async def listed(self, key: str, service_rentals: bool) -> Sequence[LongSnapshot]:
        found = []
        for kind in ("renewable", "nonrenewable"):
            body = await self._call(
                key,
                "GET",
                f"{API}/reservations/rental/{kind}",
                "reservations/rental/{type}",
                self._t.listing,
            )
            rows = mapping(body, "list of rentals").get("data")
            for compact in rows if isinstance(rows, list) else []:
                if not isinstance(compact, dict) or not str(compact.get("state", "")).endswith(
                    "Active"
                ):
                    continue
                if (str(compact.get("serviceName")) != ANY_SERVICE) != service_rentals:
                    continue
                row = mapping(
                    await self._details(key, kind, str(compact["id"]), self._t.read), "rental"
                )
                period = _period(
                    rfc3339(row.get("endsAt") or row["createdAt"]) - rfc3339(row["createdAt"])
                )
                found.append(self._snapshot(row, period, 0, None))
        return found

    async def change(self, key: str, rental: LongRental, change: LongChange) -> LongSnapshot:
        if change is not LongChange.CANCEL:
            raise e.ServiceUnavailable("TextVerified rentals are renewed at the vendor")
        vendor_id = await self._vendor_id(key, rental.upstream_id)
        kind = "renewable" if rental.auto_renew else "nonrenewable"
        await self._call(
            key,
            "POST",
            f"{API}/reservations/rental/{kind}/{vendor_id}/refund",
            "reservations/rental/{type}/{id}/refund",
            self._t.change,
        )
        return cancelled(rental)
