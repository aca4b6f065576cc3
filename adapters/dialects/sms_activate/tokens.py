"""Domain errors -> SMS-Activate tokens (docs/vendor/sms-activate-protocol.md §5, §13.7). Data only.

Lookups walk the error's class hierarchy, so a row for a base class covers its subclasses
unless a more specific row exists; per-action rows override the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping

from proxy import errors as e

TokenTable = Mapping[type[e.DomainError], str]

TOKENS: TokenTable = {
    e.MissingKey: "NO_KEY",
    e.BadKey: "BAD_KEY",
    e.NoNumbers: "NO_NUMBERS",
    e.NoBalance: "NO_BALANCE",
    e.BadService: "BAD_SERVICE",
    e.ServiceUnavailable: "BAD_SERVICE",  # D5
    e.MaxPriceExceeded: "WRONG_MAX_PRICE:{actual}",  # D18
    e.RentalLimit: "NO_NUMBERS",  # D4
    e.WrongCarrier: "NO_NUMBERS",  # D6, after one retry without the carrier
    e.NumberTaken: "NO_NUMBERS",
    e.CombinationFailed: "NO_NUMBERS",
    e.DuplicateOrder: "ORDER_ALREADY_EXISTS",
    e.NotFound: "NO_ACTIVATION",
    e.EarlyCancel: "EARLY_CANCEL_DENIED",
    e.BadTransition: "BAD_STATUS",
    e.NotViewed: "BAD_STATUS",
    e.Expired: "BAD_STATUS",
    e.StillActive: "RENEW_ACTIVATION_NOT_AVAILABLE",
    e.NotReRentable: "NEW_ACTIVATION_IMPOSSIBLE",
    e.Maintenance: "ERROR_SQL",  # D2
    e.DomainError: "ERROR_SQL",  # upstream down, unknown outcome, anything unforeseen
}

_ORDERING: TokenTable = {e.RateLimited: "NO_NUMBERS"}
_EXTRA: TokenTable = {
    e.NotFound: "WRONG_ACTIVATION_ID",
    e.NoNumbers: "RENEW_ACTIVATION_NOT_AVAILABLE",
    e.BadService: "NEW_ACTIVATION_IMPOSSIBLE",
    e.RentalLimit: "NEW_ACTIVATION_IMPOSSIBLE",
    e.RateLimited: "NEW_ACTIVATION_IMPOSSIBLE",
}

BY_ACTION: Mapping[str, TokenTable] = {
    "getNumber": _ORDERING,
    "getNumberV2": _ORDERING,
    "getMultiServiceNumber": _ORDERING,
    "getExtraActivation": _EXTRA,
    "checkExtraActivation": {e.NotFound: "WRONG_ACTIVATION_ID"},
}


def token_for(
    error: e.DomainError, action: str, defaults: TokenTable, by_action: Mapping[str, TokenTable]
) -> str:
    specific = by_action.get(action, {})
    for cls in type(error).__mro__:
        token = specific.get(cls) or defaults.get(cls)
        if token is not None:
            if isinstance(error, e.MaxPriceExceeded):
                return token.format(actual=f"{error.actual:.2f}")
            return token
    return "ERROR_SQL"
