"""The v1 frame: the vendor's error texts, request fields read with its leniency, and
the call every endpoint gets."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

from proxy import errors as e
from proxy.domain import Activation, Offer, Order, Tenant
from proxy.inputs import BodyError, ascii_digits, load_json, parse_id, parse_price
from proxy.service import Clients

from ..answers import GENERIC, ErrorTable
from ..codes import OPERATORS

Reply = tuple[int, str]
Json = dict[str, Any]
CARRIERS = frozenset(OPERATORS.values())
THROTTLED_RENT: Reply = (429, "Rental error, number is already taken. Please try again")

SERVICE_NOT_FOUND: Reply = (404, "Service not found")
SERVICE_NOT_AVAILABLE: Reply = (400, "Service is not available")
USER_RENTAL_LIMIT: Reply = (400, "You have reached the maximum number of active rentals")
COMBINATION_FAILED: Reply = (
    400,
    "This combination of services failed recently. Please try again later",
)
NOT_VIEWED: Reply = (400, "Rental cannot be completed before its code is viewed")

# Errors raised by the proxy itself, in the vendor's texts (its own answers are repeated
# verbatim); `{actual}` is the price a MaxPriceExceeded names.
ERRORS: ErrorTable[Reply] = ErrorTable(
    rows={
    e.MissingKey: (403, "Auth is not presented on the request"),
    e.BadKey: (403, "Wrong Api Key or User is restricted"),
    e.NoNumbers: (400, "Service is out of stock"),
    e.CountryNotAllowed: (400, "Service is out of stock"),
    e.CountryNotServed: (400, "Service is out of stock"),
    e.NoBalance: (400, "Insufficient funds"),
    e.OverBudget: (400, "Insufficient funds"),
    e.BadService: SERVICE_NOT_FOUND,  # a missing one is refused by the dialect itself
    e.ServiceNotAllowed: SERVICE_NOT_FOUND,  # as an unknown one (docs/tenants.md)
    e.ServiceUnavailable: SERVICE_NOT_AVAILABLE,
    e.ApprovalRequired: (
        400,
        "This service requires prior approval. "
        "Please request access through the platform portal before renting.",
    ),
    e.MaxPriceExceeded: (
        400,
        "The price of the service exceeds the maximum price you are willing to pay, "
        "actual price is: {actual}",
    ),
    e.PeriodTooLong: (422, "This service is not available for long rental in the selected period"),
    e.RentalLimit: USER_RENTAL_LIMIT,
    e.TenantCap: USER_RENTAL_LIMIT,
    e.WrongCarrier: (400, "Wrong Carrier"),
    e.NumberTaken: (408, "Rental error, number is already taken. Please try again"),
    e.CombinationFailed: COMBINATION_FAILED,
    e.DuplicateOrder: THROTTLED_RENT,  # it may have been bought: try again later
    e.NotFound: (404, "Rental not found"),
    e.EarlyCancel: (400, "You must wait 1 minute before cancelling the rental"),
    e.BadTransition: (400, "Rental cannot be cancelled"),
    e.NotViewed: NOT_VIEWED,
    e.Expired: (400, "Rental cannot be cancelled"),
    e.StillActive: (400, "Rental is still active"),
    e.NotReRentable: (400, "This service cannot be re-rented"),
    e.Maintenance: (503, "Service is under maintenance"),
    e.RateLimited: (429, "Too Many Attempts."),
    e.TenantRateLimited: (429, "Too Many Attempts."),
    e.UpstreamUnavailable: GENERIC,
    e.UpstreamRejected: GENERIC,
    e.StoreUnavailable: GENERIC,
    e.OutcomeUnknown: THROTTLED_RENT,  # the vendor's own "try again" for a purchase
    e.PurchaseInDoubt: THROTTLED_RENT,
    },
    generic=(500, "Server Error"),
    by_action={
        "rent-a-number": {e.RateLimited: THROTTLED_RENT},
        "rent-specific-number": {e.RateLimited: THROTTLED_RENT},
        "rent-multiple-services": {e.NoNumbers: COMBINATION_FAILED},
        "rental-completed": {e.BadTransition: NOT_VIEWED, e.Expired: NOT_VIEWED},
    },
)


class Refusal(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.reply = (status, text)


def reply_for(error: e.DomainError, action: str) -> Reply:
    if error.vendor_status is not None and error.vendor_text:
        return error.vendor_status, error.vendor_text  # the vendor's own words
    status, message = ERRORS.answer(error, action)
    if isinstance(error, e.MaxPriceExceeded):
        return status, message.format(actual=f"{error.actual:.2f}")
    return status, message


def answer(status: int, payload: Any) -> web.Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return web.Response(status=status, body=body, content_type="application/json")


def money(value: Decimal | None) -> str:
    return f"{(value or Decimal(0)):.2f}"


def known_money(value: Decimal | None) -> str | None:
    return None if value is None else money(value)


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


# -- request fields (the vendor's leniency, the vendor's texts) ------------------------------
async def read_body(request: web.Request) -> Json:
    raw = await request.read()
    if not raw.strip():
        return {}
    if raw.lstrip()[:1] not in (b"{", b"[") and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        try:
            form = await request.post()
        except (ValueError, UnicodeDecodeError, web.HTTPException):
            raise Refusal(400, "Malformed JSON body") from None  # a broken form, answered alike
        return {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        body = load_json(raw)
    except BodyError:
        raise Refusal(400, "Malformed JSON body") from None
    if not isinstance(body, dict):
        raise Refusal(400, "Malformed JSON body")
    return body


def text(body: Json, name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Refusal(400, f"{name} must be a string")
    return str(value).strip() or None


def flag(body: Json, name: str) -> bool:
    value = body.get(name)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "false", "0", ""):
        return value.strip().lower() in ("true", "1")
    raise Refusal(400, f"{name} must be a boolean")


def price(body: Json, name: str) -> Decimal | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    result = parse_price(value)
    if result is None:
        raise Refusal(400, f"{name} must be a number")
    return result


def ident(body: Json, name: str, missing: str) -> int:
    value = body.get(name)
    if value in (None, ""):
        raise Refusal(400, missing)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Refusal(400, "Id must be an integer")
    found = parse_id(value)
    if found is None:
        if isinstance(value, int) or ascii_digits(value.strip(), 64) is not None:
            raise e.NotFound()  # an integer, but none the proxy ever gave out
        raise Refusal(400, "Id must be an integer")
    return found


def listing(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else str(value).split(",")
    return tuple(dict.fromkeys(s for s in (str(i).strip() for i in items) if s))


def order(body: Json, services: tuple[str, ...], area_field: str) -> Order:
    carrier = text(body, "carrier")
    if carrier is not None and carrier.lower() not in CARRIERS:
        raise Refusal(400, "Wrong Carrier")
    codes = tuple(c for c in listing(body.get(area_field)) if len(c) == 3 and ascii_digits(c, 3))
    return Order(
        services=services,
        carrier=carrier.lower() if carrier else None,
        keep_carrier=flag(body, "keep_carrier"),
        area_codes=codes,
        lock_area_code=flag(body, "lock_area_code"),
        max_price=price(body, "max_price"),
    )


@dataclass(frozen=True)
class Call:
    service: Clients
    tenant: Tenant
    request: web.Request
    body: Json
    action: str

    async def names(self) -> dict[str, str]:
        try:
            offers: list[Offer] = list(await self.service.offers(self.tenant))
        except e.UpstreamError:
            return {}
        return {o.service: o.name for o in offers}

    async def name(self, a: Activation) -> str:
        if a.receipt is not None:
            return a.receipt.service_name
        return (await self.names()).get(a.service, a.service.capitalize())

    async def balance(self, a: Activation | None = None) -> Decimal | None:
        """The balance an answer mentions: the purchase's own, else a recent one; None
        (JSON null) when the vendor cannot say, rather than no answer at all."""
        if a is not None and a.receipt is not None and a.receipt.balance_after is not None:
            return a.receipt.balance_after
        return await self.service.balance_hint(self.tenant)


Handler = Callable[[Call], Awaitable[web.Response]]
