"""TextVerified's answers, as data (docs/vendor/textverified-protocol.md §1-§3).

An error is a status outside 2xx with `{"errorCode","errorDescription"}`. Which answers
to `POST verifications` bought nothing: stock, funds, an unknown service, the cap on
unfinished verifications, a price over the cap, a bad token, a pace too fast: each says
why no verification was created. `ServiceUnavailable` (503) is its maintenance and its
"try again later", and `InternalServerError` (500) a failure of unknown extent; no
document says no verification was created before them: they may follow a sale.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from proxy import errors as e
from proxy.domain import LimitGroup, RentalState

from ..common import Words, limit_table

WORDS = Words(
    refusals={
        "Unauthorized": e.BadKey,
        "NotFound": e.NotFound,
        "OutOfStock": e.NoNumbers,
        "InsufficientBalance": e.NoBalance,
        "InvalidServiceName": e.BadService,
        "InvalidCapability": e.BadService,
        "TooManyUnfinishedVerifications": e.RentalLimit,
        "PriceTooHigh": lambda: e.MaxPriceExceeded(Decimal(0)),
        "CannotCancel": e.EarlyCancel,
        "CannotRefund": e.BadTransition,
        "InvalidDuration": lambda: e.PeriodTooLong(0.0),
        "TooManyRequests": e.RateLimited,
        "ServiceUnavailable": e.Maintenance,
        "InvalidRequest": lambda: e.UpstreamRejected(400, ""),
    },
    may_have_sold={
        "ServiceUnavailable": "maintenance and 'try again later' share it",
        "InternalServerError": "a failure of unknown extent",
    },
)

STATES: Mapping[str, RentalState] = {
    "verificationPending": RentalState.OPEN,
    "verificationCompleted": RentalState.OPEN,  # its SMS came; it ends with its code
    "verificationCanceled": RentalState.CANCELLED,
    "verificationTimedOut": RentalState.EXPIRED,
    "verificationReported": RentalState.CANCELLED,
    "verificationRefunded": RentalState.CANCELLED,
    "verificationReused": RentalState.FINISHED,
    "verificationReactivated": RentalState.OPEN,
}
CODE_STATES = frozenset({"verificationPending", "verificationCompleted", "verificationReactivated"})

# no published limit: one verification a second and a few reads, per account
ORDERS = LimitGroup("orders", 1)
READS = LimitGroup("reads", 5)
LIMITS: Mapping[str, LimitGroup] = limit_table(ORDERS, READS)
