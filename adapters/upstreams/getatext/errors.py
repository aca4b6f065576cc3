"""The vendor's answers -> domain errors: one table, matched on status then text prefix.

Texts marked (sandbox) are the ones the sandbox settled where getatext-api.txt is silent
(docs/sandbox.md); the status fallbacks below catch any wording the real vendor uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from proxy import errors as e

Factory = Callable[[str], e.DomainError]
_PRICE = re.compile(r"actual price is: ([0-9]+(?:\.[0-9]+)?)")


def _max_price(text: str) -> e.DomainError:
    match = _PRICE.search(text)
    try:
        return e.MaxPriceExceeded(Decimal(match.group(1)) if match else Decimal(0))
    except InvalidOperation:
        return e.MaxPriceExceeded(Decimal(0))


def _const(factory: Callable[[], e.DomainError]) -> Factory:
    return lambda _text: factory()


ERRORS: tuple[tuple[int, str, Factory], ...] = (
    (503, "Service is under maintenance", _const(e.Maintenance)),
    (403, "Auth is not presented on the request", _const(e.MissingKey)),
    (403, "Wrong Api Key or User is restricted", _const(e.BadKey)),
    (400, "Service is not presented on the request", _const(e.BadService)),
    (400, "Wrong Carrier", _const(e.WrongCarrier)),
    (404, "Service not found", _const(e.BadService)),
    (
        400,
        "You have reached the maximum number of active rentals",
        _const(lambda: e.RentalLimit("account")),
    ),
    (
        400,
        "The maximum number of active rentals as reached",
        _const(lambda: e.RentalLimit("global")),
    ),
    (
        400,
        "Service is out of stock for selected carrier and area codes",
        _const(lambda: e.NoNumbers("carrier and area codes")),
    ),
    (400, "Service is out of stock for selected carrier", _const(lambda: e.NoNumbers("carrier"))),
    (
        400,
        "Service is out of stock for selected area codes",
        _const(lambda: e.NoNumbers("area codes")),
    ),
    (400, "Service is out of stock", _const(e.NoNumbers)),
    (400, "Service is not available", _const(e.ServiceUnavailable)),
    (400, "This service requires prior approval", _const(e.ApprovalRequired)),
    (400, "Insufficient funds", _const(e.NoBalance)),
    (400, "The price of the service exceeds the maximum price", _max_price),
    (408, "Rental error, number is already taken", _const(e.NumberTaken)),
    (429, "", lambda _t: e.RateLimited(1.0)),
    (400, "Phone number and service are required", _const(e.BadService)),
    (404, "This number does not exist in our system", _const(lambda: e.NoNumbers("number"))),
    (400, "This number is unavailable for you", _const(lambda: e.NoNumbers("number"))),
    (400, "Invalid price for this service", _const(e.ServiceUnavailable)),
    # long rentals (getatext-api.txt)
    (422, "No available pool number for service long rental", _const(e.NoNumbers)),
    (422, "This service is not available for long rental", _const(e.ServiceUnavailable)),
    (422, "Invalid period", _const(e.BadService)),
    (403, "Service long rentals are not enabled", _const(e.ServiceUnavailable)),
    (404, "Service long rental not found", _const(e.NotFound)),
    (
        422,
        "Service long rental cannot be cancelled",
        _const(e.BadTransition),
    ),
    (400, "Period is not presented on the request", _const(e.BadService)),
    # (sandbox) texts for endpoints the vendor document gives no errors for
    (400, "No number is available for all the requested services", _const(e.CombinationFailed)),
    (400, "This combination of services failed recently", _const(e.CombinationFailed)),
    (404, "Rental not found", _const(e.NotFound)),
    (400, "You must wait 1 minute before cancelling", _const(e.EarlyCancel)),
    (400, "Rental cannot be cancelled", _const(e.BadTransition)),
    (400, "Rental cannot be completed before its code is viewed", _const(e.NotViewed)),
    (400, "Rental is still active", _const(e.StillActive)),
    (400, "This service cannot be re-rented", _const(e.NotReRentable)),
)


def error_text(body: Any) -> str:
    if isinstance(body, dict):
        value = body.get("errors")
        if isinstance(value, str):
            return value
    return ""


def to_domain_error(status: int, body: Any, retry_after: float | None = None) -> e.DomainError:
    text = error_text(body)
    error = _classify(status, text)
    if isinstance(error, e.RateLimited) and retry_after is not None:
        error.retry_after = retry_after
    error.vendor_status, error.vendor_text = status, text or None
    return error


def _classify(status: int, text: str) -> e.DomainError:
    for known_status, prefix, factory in ERRORS:
        if status == known_status and text.startswith(prefix):
            return factory(text)
    return _by_status(status, text)


def _by_status(status: int, text: str) -> e.DomainError:
    if status == 503:
        return e.Maintenance()
    if status == 429:
        return e.RateLimited(1.0)
    if status == 403:
        return e.BadKey()
    if status == 404:
        return e.NotFound()
    if status >= 500:
        return e.UpstreamUnavailable(f"HTTP {status}")
    return e.UpstreamRejected(status, text)
