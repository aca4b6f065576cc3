"""5sim's answers to domain errors: exact lowercase texts and their HTTP statuses."""

from __future__ import annotations

from proxy import errors as e

from ..answers import GENERIC, ErrorTable

Reply = tuple[int, str]

ERRORS: ErrorTable[Reply] = ErrorTable(
    rows={
    e.MissingKey: (401, ""),
    e.BadKey: (401, ""),
    e.NoNumbers: (400, "no free phones"),
    e.CountryNotAllowed: (400, "no free phones"),
    e.CountryNotServed: (400, "no free phones"),
    e.NoBalance: (400, "not enough user balance"),
    e.OverBudget: (400, "not enough user balance"),
    e.BadService: (400, "no product"),
    e.ServiceNotAllowed: (400, "no product"),
    e.ServiceUnavailable: (400, "no product"),
    e.ApprovalRequired: (400, "no product"),
    e.MaxPriceExceeded: (400, "no free phones"),
    e.PeriodTooLong: (400, "no free phones"),
    e.RentalLimit: (400, "no free phones"),  # F13
    e.TenantCap: (400, "no free phones"),
    e.WrongCarrier: (400, "bad operator"),
    e.NumberTaken: (400, "no free phones"),
    e.CombinationFailed: (400, "no free phones"),
    e.DuplicateOrder: (400, "server offline"),  # it may have been bought: later
    e.NotFound: (400, "order not found"),  # F15
    e.EarlyCancel: (400, "you need to wait time"),  # F5
    e.BadTransition: (400, "order has sms"),
    e.NotViewed: (400, "order no sms"),
    e.Expired: (400, "order expired"),
    e.StillActive: (400, "reuse not possible"),
    e.NotReRentable: (400, "reuse not possible"),
    e.Maintenance: (400, "server offline"),  # F8
    e.RateLimited: (429, ""),
    e.TenantRateLimited: (429, ""),
    e.UpstreamUnavailable: GENERIC,
    e.UpstreamRejected: GENERIC,
    e.StoreUnavailable: GENERIC,
    e.OutcomeUnknown: (400, "server offline"),  # a purchase in doubt: try again later
    e.PurchaseInDoubt: (400, "server offline"),
    },
    generic=(500, "internal error"),
    by_action={
        "finish": {e.BadTransition: (400, "order no sms")},
        "reuse": {e.NoNumbers: (400, "reuse not possible"), e.BadService: (400, "no product")},
    },
)


class Refusal(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(body)
        self.reply = (status, body)
