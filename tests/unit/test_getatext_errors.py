"""The vendor's answers -> domain errors, table-driven from the vendor document's texts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.upstreams.getatext.errors import to_domain_error
from adapters.upstreams.http import retry_after
from proxy import errors as e

ROWS = [
    (503, "Service is under maintenance", e.Maintenance),
    (403, "Auth is not presented on the request", e.MissingKey),
    (403, "Wrong Api Key or User is restricted", e.BadKey),
    (400, "Service is not presented on the request", e.BadService),
    (400, "Wrong Carrier", e.WrongCarrier),
    (404, "Service not found", e.BadService),
    (400, "You have reached the maximum number of active rentals", e.RentalLimit),
    (400, "Service is out of stock", e.NoNumbers),
    (400, "Service is out of stock for selected carrier: at&t", e.NoNumbers),
    (400, "Service is out of stock for selected carrier and area codes", e.NoNumbers),
    (400, "Service is out of stock for selected area codes", e.NoNumbers),
    (400, "Service is not available", e.ServiceUnavailable),
    (400, "Insufficient funds", e.NoBalance),
    (400, "Insufficient funds for area code extra charge", e.NoBalance),
    (408, "Rental error, number is already taken. Please try again", e.NumberTaken),
    (429, "Rental error, number is already taken. Please try again", e.RateLimited),
    (400, "Phone number and service are required", e.BadService),
    (400, "The maximum number of active rentals as reached", e.RentalLimit),
    (
        400,
        "This service requires prior approval. Please request access through the platform "
        "portal before renting.",
        e.ApprovalRequired,
    ),
    (404, "This number does not exist in our system or is not available", e.NoNumbers),
    (400, "This number is unavailable for you. Please try a different number", e.NoNumbers),
    (400, "Invalid price for this service", e.ServiceUnavailable),
    (500, "Server Error", e.UpstreamUnavailable),
    (422, "Something new", e.UpstreamRejected),
]


@pytest.mark.parametrize(("status", "text", "kind"), ROWS, ids=[r[1][:40] for r in ROWS])
def test_vendor_answer_to_domain_error(status: int, text: str, kind: type) -> None:
    error = to_domain_error(status, {"errors": text})
    assert type(error) is kind
    assert (error.vendor_status, error.vendor_text) == (status, text)


def test_max_price_keeps_the_actual_price() -> None:
    error = to_domain_error(
        400,
        {
            "errors": "The price of the service exceeds the maximum "
            "price you are willing to pay, actual price is: 1.25"
        },
    )
    assert isinstance(error, e.MaxPriceExceeded) and error.actual == Decimal("1.25")


def test_retry_after_is_honoured() -> None:
    error = to_domain_error(429, {"errors": "Too Many Attempts."}, retry_after("3"))
    assert isinstance(error, e.RateLimited) and error.retry_after == 3.0
    assert to_domain_error(429, None).retry_after == 1.0  # type: ignore[attr-defined]
    assert retry_after("soon") is None and retry_after("-1") is None and retry_after(None) is None
