"""5sim's answers to domain errors: exact lowercase texts and their HTTP statuses."""

from __future__ import annotations

from collections.abc import Mapping

from proxy import errors as e

Reply = tuple[int, str]

ERRORS: Mapping[type[e.DomainError], Reply] = {
    e.AuthError: (401, ""),
    e.NoNumbers: (400, "no free phones"),
    e.RentalLimit: (400, "no free phones"),  # F13
    e.MaxPriceExceeded: (400, "no free phones"),
    e.NumberTaken: (400, "no free phones"),
    e.CombinationFailed: (400, "no free phones"),
    e.NoBalance: (400, "not enough user balance"),
    e.BadService: (400, "no product"),
    e.ServiceUnavailable: (400, "no product"),
    e.WrongCarrier: (400, "bad operator"),
    e.RateLimited: (429, ""),
    e.NotFound: (400, "order not found"),  # F15
    e.EarlyCancel: (400, "you need to wait time"),  # F5
    e.Expired: (400, "order expired"),
    e.BadTransition: (400, "order has sms"),
    e.NotViewed: (400, "order no sms"),
    e.StillActive: (400, "reuse not possible"),
    e.NotReRentable: (400, "reuse not possible"),
    e.Maintenance: (400, "server offline"),  # F8
    e.OutcomeUnknown: (400, "server offline"),  # a purchase in doubt: try again later
    e.DomainError: (500, "internal error"),
}
BY_ACTION: Mapping[str, Mapping[type[e.DomainError], Reply]] = {
    "finish": {e.BadTransition: (400, "order no sms")},
    "reuse": {e.NoNumbers: (400, "reuse not possible"), e.BadService: (400, "no product")},
}


class Refusal(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(body)
        self.reply = (status, body)


def reply_for(error: e.DomainError, action: str) -> Reply:
    specific = BY_ACTION.get(action, {})
    for cls in type(error).__mro__:
        found = specific.get(cls) or ERRORS.get(cls)
        if found is not None:
            return found
    return 500, "internal error"
