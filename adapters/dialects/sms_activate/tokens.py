"""Domain errors -> SMS-Activate tokens (docs/vendor/sms-activate-protocol.md §5, §13.7). Data only.

A row per concrete domain error (adapters/dialects/answers.py); per-action rows override
them, and an action's row for a class covers its subclasses. `GENERIC` is ERROR_SQL:
upstream down, an unknown outcome, anything unforeseen.
"""

from __future__ import annotations

from proxy import errors as e

from ..answers import GENERIC, ErrorTable, Rows

TokenRows = Rows[str]
_ORDERING: TokenRows = {e.RateLimited: "NO_NUMBERS"}

TOKENS: ErrorTable[str] = ErrorTable(
    rows={
    e.MissingKey: "NO_KEY",
    e.BadKey: "BAD_KEY",
    e.NoNumbers: "NO_NUMBERS",
    e.CountryNotAllowed: "NO_NUMBERS",
    e.CountryNotServed: "NO_NUMBERS",
    e.NoBalance: "NO_BALANCE",
    e.OverBudget: "NO_BALANCE",
    e.BadService: "BAD_SERVICE",
    e.ServiceNotAllowed: "BAD_SERVICE",
    e.ServiceUnavailable: "BAD_SERVICE",  # D5
    e.ApprovalRequired: "BAD_SERVICE",
    e.MaxPriceExceeded: "WRONG_MAX_PRICE:{actual}",  # D18
    e.PeriodTooLong: "NO_NUMBERS",  # no period that long is sold
    e.RentalLimit: "NO_NUMBERS",  # D4
    e.TenantCap: "NO_NUMBERS",
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
    e.RateLimited: GENERIC,  # but NO_NUMBERS when ordering
    e.TenantRateLimited: GENERIC,
    e.UpstreamUnavailable: GENERIC,
    e.UpstreamRejected: GENERIC,
    e.StoreUnavailable: GENERIC,
    e.OutcomeUnknown: GENERIC,  # reconciled, never bought again blind
    e.PurchaseInDoubt: GENERIC,
    },
    generic="ERROR_SQL",
    by_action={
        "getNumber": _ORDERING,
        "getNumberV2": _ORDERING,
        "getMultiServiceNumber": _ORDERING,
        "getExtraActivation": {
            e.NotFound: "WRONG_ACTIVATION_ID",
            e.NoNumbers: "RENEW_ACTIVATION_NOT_AVAILABLE",
            e.BadService: "NEW_ACTIVATION_IMPOSSIBLE",
            e.RentalLimit: "NEW_ACTIVATION_IMPOSSIBLE",
            e.RateLimited: "NEW_ACTIVATION_IMPOSSIBLE",
        },
        "checkExtraActivation": {e.NotFound: "WRONG_ACTIVATION_ID"},
    },
)


def token_for(error: e.DomainError, action: str, table: ErrorTable[str]) -> str:
    token = table.answer(error, action)
    if isinstance(error, e.MaxPriceExceeded):
        return token.format(actual=f"{error.actual:.2f}")
    return token
