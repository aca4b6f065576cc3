"""SMSPool's answers, as data (docs/vendor/smspool-protocol.md §1-§3).

An error is `{"success":0,"message":…,"type":…}`. Which answers to `purchase/sms` bought
nothing: stock, funds, an unknown service or country, the cap on open orders, a bad key:
each names why the order was not placed. `TRY_AGAIN` is SMSPool's word both for its
maintenance and for "something failed, try again"; no SMSPool document says the order
was not placed before it, so it may follow a sale. A `type` no row knows is unknown for
a purchase, a refusal otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from proxy import errors as e
from proxy.domain import LimitGroup, RentalState

from ..common import Words, limit_table

WORDS = Words(
    refusals={
        "OUT_OF_STOCK": e.NoNumbers,
        "BALANCE_ERROR": e.NoBalance,
        "SERVICE_ERROR": e.BadService,
        "COUNTRY_ERROR": lambda: e.NoNumbers("country"),
        "LIMIT_ERROR": e.RentalLimit,
        "KEY_ERROR": e.BadKey,
        "ORDER_ERROR": e.NotFound,
        "CANCEL_ERROR": e.EarlyCancel,
        "PRICE_ERROR": lambda: e.MaxPriceExceeded(Decimal(0)),
        "TRY_AGAIN": lambda: e.UpstreamUnavailable("TRY_AGAIN"),
        "RENTAL_ERROR": e.NotFound,
        "REFUND_ERROR": e.BadTransition,
    },
    may_have_sold={
        "TRY_AGAIN": "maintenance and transient failures share it; no document says unsold",
    },
)

# SMSPool's country ids (its `country/retrieve_all`), for the countries the core names
COUNTRIES: Mapping[str, str] = {"us": "1", "gb": "2"}
CALLING_CODES: Mapping[str, str] = {"us": "1", "gb": "44"}

# `status` of `sms/check`: 1 pending, 2 expired, 3 completed (its SMS came), 4 resend,
# 5 cancelled, 6 refunded
STATES: Mapping[int, RentalState] = {
    1: RentalState.OPEN,
    2: RentalState.EXPIRED,
    3: RentalState.OPEN,  # the code is in: the core finishes it
    4: RentalState.OPEN,
    5: RentalState.CANCELLED,
    6: RentalState.EXPIRED,
}
LISTED_OPEN = frozenset({"pending", "completed", "resend"})  # `request/active` rows

# no published limit: one order a second and a few reads, per key
ORDERS = LimitGroup("orders", 1)
READS = LimitGroup("reads", 5)
LIMITS: Mapping[str, LimitGroup] = limit_table(ORDERS, READS)
