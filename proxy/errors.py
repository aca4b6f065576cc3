"""The closed tree of domain errors.

DomainError
├── AuthError ─ MissingKey, BadKey
├── OrderRejected
│   ├── NoNumbers (reason)            out of stock, in general or for the filters
│   │   ├── CountryNotAllowed          the tenant's policy names other countries
│   │   └── CountryNotServed           no provider sells numbers of that country
│   ├── NoBalance
│   │   └── OverBudget                 the tenant's daily or monthly budget is spent
│   ├── BadService                    unknown or missing service
│   ├── ServiceUnavailable ─ ApprovalRequired
│   ├── MaxPriceExceeded (actual)
│   ├── PeriodTooLong (longest)       a long rental longer than any period sold
│   ├── RentalLimit (scope)           per-account or global cap on open rentals
│   │   └── TenantCap                  the tenant's own cap (issued keys' policy)
│   ├── WrongCarrier
│   ├── NumberTaken                   the vendor's 408: a race on the chosen number
│   ├── CombinationFailed             multi-service: no common number (remembered)
│   └── DuplicateOrder                a client's order reference used twice
├── ActivationError
│   ├── NotFound                      unknown, foreign or malformed id
│   ├── EarlyCancel                   cancel inside the vendor's first minute
│   ├── BadTransition                 the activation's state does not allow it
│   ├── NotViewed                     complete before the vendor showed the code
│   ├── Expired                       finish or cancel after the end time
│   ├── StillActive                   re-rent of an open rental
│   └── NotReRentable                 re-rent of a generic service
└── UpstreamError
    ├── Maintenance
    ├── RateLimited (retry_after)
    │   └── TenantRateLimited          the tenant's own request rate, not the vendor's
    ├── UpstreamUnavailable           5xx, transport failure, malformed answer
    ├── UpstreamRejected (text)       a 4xx the tables do not know
    ├── StoreUnavailable              the shared store cannot be reached: nothing is bought
    └── OutcomeUnknown                a purchase sent but never answered
        └── PurchaseInDoubt           a retry while the same purchase is unresolved
"""

from __future__ import annotations

from decimal import Decimal


class DomainError(Exception):
    """Base of every error the core understands. Messages never contain keys.

    An error that came from a vendor answer keeps that answer's status and text, so a
    dialect that speaks the same vendor's protocol can repeat it word for word.
    """

    vendor_status: int | None = None
    vendor_text: str | None = None


class AuthError(DomainError):
    pass


class MissingKey(AuthError):
    pass


class BadKey(AuthError):
    pass


class OrderRejected(DomainError):
    pass


class NoNumbers(OrderRejected):
    def __init__(self, reason: str = "out of stock") -> None:
        super().__init__(reason)
        self.reason = reason


class NoBalance(OrderRejected):
    pass


class OverBudget(NoBalance):
    """The purchase would take the tenant past its daily or monthly budget: no vendor is
    asked, none elsewhere either, and no vendor account cools down for it."""


class CountryNotAllowed(NoNumbers):
    """The tenant's policy does not allow the country: no vendor is asked."""

    def __init__(self) -> None:
        super().__init__("country not allowed")


class CountryNotServed(NoNumbers):
    """The country the client named is not sold by any provider (or not known): most
    dialects answer it as no numbers, so tools move on to another country."""

    def __init__(self) -> None:
        super().__init__("country not served")


class BadService(OrderRejected):
    pass


class ServiceNotAllowed(BadService):
    """The tenant's policy does not allow the service: no vendor is asked."""


class ServiceUnavailable(OrderRejected):
    pass


class ApprovalRequired(ServiceUnavailable):
    pass


class MaxPriceExceeded(OrderRejected):
    def __init__(self, actual: Decimal) -> None:
        super().__init__(f"actual price is {actual}")
        self.actual = actual


class PeriodTooLong(OrderRejected):
    """No period of the long rental lasts as long as asked; `longest` is the longest
    sold, in seconds."""

    def __init__(self, longest: float) -> None:
        super().__init__(f"the longest period is {longest:.0f} s")
        self.longest = longest


class RentalLimit(OrderRejected):
    def __init__(self, scope: str = "account") -> None:
        super().__init__(scope)
        self.scope = scope


class TenantCap(RentalLimit):
    """The tenant holds as many open activations as its policy allows: no vendor is
    asked, and no other provider either (it is the tenant's cap, not a vendor's)."""

    def __init__(self) -> None:
        super().__init__("tenant")


class WrongCarrier(OrderRejected):
    pass


class NumberTaken(OrderRejected):
    pass


class CombinationFailed(OrderRejected):
    pass


class DuplicateOrder(OrderRejected):
    """The client's own order reference was used before (its purchase may have happened)."""


class ActivationError(DomainError):
    pass


class NotFound(ActivationError):
    pass


class EarlyCancel(ActivationError):
    pass


class BadTransition(ActivationError):
    pass


class NotViewed(ActivationError):
    pass


class Expired(ActivationError):
    """The activation's time is over: it can no longer be finished or cancelled."""


class StillActive(ActivationError):
    pass


class NotReRentable(ActivationError):
    pass


class UpstreamError(DomainError):
    pass


class Maintenance(UpstreamError):
    pass


class RateLimited(UpstreamError):
    def __init__(self, retry_after: float = 1.0) -> None:
        super().__init__(f"retry after {retry_after}s")
        self.retry_after = retry_after


class TenantRateLimited(RateLimited):
    """The tenant sent more requests than its policy allows: answered at once, as the
    protocol answers a vendor's rate limit."""


class UpstreamUnavailable(UpstreamError):
    pass


class UpstreamRejected(UpstreamError):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"{status}: {text}")
        self.status = status
        self.text = text


class StoreUnavailable(UpstreamError):
    """The store (PostgreSQL) cannot be reached: a purchase is refused before it leaves,
    as nothing is bought without a durable journal entry; the client gets its protocol's
    transient error."""


class OutcomeUnknown(UpstreamError):
    """A purchase was sent and no answer came back: it may have happened. Never retried."""


# how an unknown outcome without any answer begins (the vendor may still be at work on it)
NO_ANSWER = "no answer"


class PurchaseInDoubt(OutcomeUnknown):
    """The same purchase is still unresolved (it may have been sold): not bought again."""


CATEGORIES: frozenset[type[DomainError]] = frozenset(
    {DomainError, AuthError, OrderRejected, ActivationError, UpstreamError}
)
"""The tree's inner nodes that only group: nothing raises them, no table answers them."""


def concrete_errors() -> list[type[DomainError]]:
    """Every error the core raises: the tree's classes less its categories, in tree order."""
    found: list[type[DomainError]] = []
    stack: list[type[DomainError]] = [DomainError]
    while stack:
        cls = stack.pop()
        if cls.__module__ == __name__:
            if cls not in CATEGORIES:
                found.append(cls)
            stack.extend(reversed(cls.__subclasses__()))
    return found
