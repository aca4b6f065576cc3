"""What every plain vendor package shares: the parts of `ports.Provider` a vendor does not
offer (answered with the domain's "not offered" errors, so the router moves on), amounts
and ids read from answers, and one reading of a vendor's refusal words.

A vendor package declares, per answer word, whether a purchase that got it bought
nothing (`Refusals`: the router fails over at once) or may have been sold
(`MAY_HAVE_SOLD`: the outcome is unknown, journalled and reconciled, never bought
elsewhere), with the reason written beside the word.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from proxy import errors as e
from proxy.domain import (
    LimitGroup,
    LongChange,
    LongMessage,
    LongOffer,
    LongOrder,
    LongRental,
    LongRentalState,
    LongSnapshot,
    Order,
    PushedCode,
    RentedNumber,
    Timeouts,
    VendorRules,
)
from proxy.ports import LongRentalVendor, Observer

from .http import Http

Factory = Callable[[], e.DomainError]

# the core's calls to a vendor, by the limit group a plain vendor counts them against
ORDER_OPERATIONS = (
    "rent",
    "rent_many",
    "rent_specific",
    "rerent",
    "cancel",
    "complete",
    "another_sms",
    "ready",
    "rent_long",
    "change_long",
)
READ_OPERATIONS = ("status", "balance", "offers", "open_rentals", "long_offers", "long_status")


def limit_table(orders: LimitGroup, reads: LimitGroup) -> dict[str, LimitGroup]:
    """Each of the core's operations in the vendor's group for orders or for reads."""
    return {
        **{operation: orders for operation in ORDER_OPERATIONS},
        **{operation: reads for operation in READ_OPERATIONS},
    }


@dataclass(frozen=True)
class Words:
    """A vendor's answer words: those that refuse (nothing happened) and those that may
    follow a sale when they answer a purchase (each with why)."""

    refusals: Mapping[str, Factory]
    may_have_sold: Mapping[str, str] = field(default_factory=dict)

    def error(self, word: str, *, purchase: bool) -> e.DomainError | None:
        """The domain error `word` stands for, or None when it is no word of the vendor's."""
        if purchase and word in self.may_have_sold:
            return e.OutcomeUnknown(f"{word} to a purchase")
        factory = self.refusals.get(word)
        if factory is None:
            return e.OutcomeUnknown(f"{word} to a purchase") if purchase and word else None
        error = factory()
        error.vendor_text = None  # another vendor's words are never replayed to clients
        return error


class NoLongRentals:
    """This vendor's long rentals are not bought through it: none is sold here."""

    async def offers(self, key: str) -> Sequence[LongOffer]:
        raise e.ServiceUnavailable("long rentals are not bought from this vendor")

    async def rent(self, key: str, order: LongOrder) -> LongSnapshot:
        raise e.ServiceUnavailable("long rentals are not bought from this vendor")

    async def status(self, key: str, rental: LongRental) -> LongSnapshot:
        raise e.NotFound()

    async def listed(self, key: str, service_rentals: bool) -> Sequence[LongSnapshot]:
        return []

    async def messages(self, key: str, rental: LongRental) -> tuple[LongMessage, ...]:
        raise e.NotFound()

    async def change(self, key: str, rental: LongRental, change: LongChange) -> LongSnapshot:
        raise e.NotFound()


class PlainVendor:
    """The shared half of a vendor that sells one number for one service at a time."""

    name: str
    limits: Mapping[str, LimitGroup]
    countries: frozenset[str] = frozenset({"us"})  # what the configuration does not widen
    services: frozenset[str] | None = None
    rules = VendorRules()
    long_rentals: LongRentalVendor = NoLongRentals()
    endpoints: Sequence[str] = ()
    codes: Mapping[str, str] = {}  # service -> the vendor's code, where they differ

    def __init__(
        self,
        base_url: str,
        client: Http,
        timeouts: Timeouts | None = None,
        observer: Observer | None = None,
        *,
        name: str | None = None,
        codes: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name or self.name
        self._base = base_url.rstrip("/")
        self._client = client
        self._t = timeouts or Timeouts()
        self._observer = observer
        self._codes = {**self.codes, **(codes or {})}  # the configuration's win
        self._names = {code: service for service, code in self._codes.items()}

    def _report(self, endpoint: str) -> Callable[[str, float], None]:
        observer = self._observer

        def report(outcome: str, seconds: float) -> None:
            if observer is not None:
                observer.upstream_call(self.name, endpoint, outcome, seconds)

        return report

    def code_of(self, service: str) -> str:
        return self._codes.get(service, service)

    def service_of(self, code: str) -> str:
        return self._names.get(code, code)

    # -- what a plain vendor does not offer ------------------------------------------------
    async def rent_many(self, key: str, order: Order) -> Sequence[RentedNumber]:
        raise e.ServiceUnavailable("multi-service numbers are not bought from this vendor")

    async def rent_specific(
        self, key: str, number: str, service: str, max_price: Decimal | None = None
    ) -> RentedNumber:
        raise e.ServiceUnavailable("this vendor does not sell a chosen number")

    async def rerent(self, key: str, upstream_id: int) -> RentedNumber:
        raise e.NotReRentable()

    async def mark_ready(self, key: str, upstream_id: int) -> None:
        return None  # the vendor is not told

    async def forward(
        self, key: str, method: str, path: str, body: dict[str, Any] | None
    ) -> tuple[int, Any]:
        return 404, {"errors": "Not Found"}  # no native v1 surface at this vendor

    def read_webhook(self, body: Any) -> PushedCode | None:
        return None

    async def close(self) -> None:
        return None


def busy_or_down(status: int, retry_after: float | None, *, purchase: bool) -> None:
    """A 429 is the vendor's pace (nothing was done); a 5xx is the vendor down, which to
    a purchase may follow a sale (unknown). Raises for those; returns for anything else."""
    if status == 429:
        raise e.RateLimited(retry_after or 1.0)
    if status >= 500:
        if purchase:
            raise e.OutcomeUnknown(f"HTTP {status} to a purchase")
        raise e.UpstreamUnavailable(f"HTTP {status}")


def unread_refusal(status: int, *, purchase: bool) -> e.DomainError:
    """A 4xx no word of the vendor's explains: to a purchase, its outcome is not known."""
    if purchase:
        return e.OutcomeUnknown(f"HTTP {status} to a purchase")
    return e.UpstreamRejected(status, "")


def cancelled(rental: LongRental) -> LongSnapshot:
    """A long rental as the vendor holds it after a cancel it took (its answer says no more)."""
    return LongSnapshot(
        rental.upstream_id,
        rental.number,
        rental.service,
        rental.period,
        rental.cost,
        LongRentalState.CANCELLED,
        rental.end_time,
        rental.auto_renew,
        None,
    )


def rfc3339(value: Any) -> float:
    """An RFC 3339 time, `Z` or an offset, with up to nine fractional digits (5sim sends
    nine; `fromisoformat` takes six)."""
    text = str(value).replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(ch for ch in rest if ch.isdigit())
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits) :]}"
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise e.UpstreamUnavailable("unreadable time") from None


def money(value: Any) -> Decimal:
    """An amount from an answer (a number or a string); unreadable is unavailable."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise e.UpstreamUnavailable("malformed amount") from None
    if not amount.is_finite():
        raise e.UpstreamUnavailable("malformed amount")
    return amount


def national(number: Any, calling_code: str = "1") -> str:
    """A number's digits without its country's calling code."""
    digits = "".join(ch for ch in str(number or "") if ch.isdigit())
    if digits.startswith(calling_code) and len(digits) > 10:
        return digits[len(calling_code) :]
    return digits


def mapping(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise e.UpstreamUnavailable(f"unreadable {what}")
    return body
