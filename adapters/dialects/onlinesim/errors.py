"""Domain errors -> OnlineSIM's words (docs/vendor/onlinesim-protocol.md §3). Data only.

`GENERIC` is TRY_AGAIN_LATER: upstream down, an unknown outcome, the unforeseen."""

from __future__ import annotations

from proxy import errors as e

from ..answers import GENERIC, ErrorTable

WORDS: ErrorTable[str] = ErrorTable(
    rows={
    e.MissingKey: "ERROR_NO_KEY",
    e.BadKey: "ERROR_WRONG_KEY",
    e.NoNumbers: "NO_NUMBER",
    e.CountryNotAllowed: "NO_NUMBER",
    e.CountryNotServed: "NO_NUMBER",
    e.NoBalance: "WARNING_LOW_BALANCE",
    e.OverBudget: "WARNING_LOW_BALANCE",
    e.BadService: "ERROR_NO_SERVICE",
    e.ServiceNotAllowed: "ERROR_NO_SERVICE",
    e.ServiceUnavailable: "NO_NUMBER",
    e.ApprovalRequired: "NO_NUMBER",
    e.MaxPriceExceeded: "NO_NUMBER",
    e.PeriodTooLong: "NO_NUMBER",
    e.RentalLimit: "EXCEEDED_CONCURRENT_OPERATIONS",
    e.TenantCap: "EXCEEDED_CONCURRENT_OPERATIONS",
    e.WrongCarrier: "NO_NUMBER",
    e.NumberTaken: "NO_NUMBER",
    e.CombinationFailed: "NO_NUMBER",
    e.DuplicateOrder: "DUPLICATE_OPERATION",
    e.NotFound: "ERROR_WRONG_TZID",
    e.EarlyCancel: "NO_COMPLETE_TZID",
    e.BadTransition: "NO_COMPLETE_TZID",
    e.NotViewed: "NO_COMPLETE_TZID",
    e.Expired: "NO_COMPLETE_TZID",
    e.StillActive: GENERIC,
    e.NotReRentable: GENERIC,
    e.Maintenance: GENERIC,
    e.RateLimited: "INTERVAL_CONCURRENT_REQUESTS_ERROR",
    e.TenantRateLimited: "INTERVAL_CONCURRENT_REQUESTS_ERROR",
    e.UpstreamUnavailable: GENERIC,
    e.UpstreamRejected: GENERIC,
    e.StoreUnavailable: GENERIC,
    e.OutcomeUnknown: GENERIC,
    e.PurchaseInDoubt: GENERIC,
    },
    generic="TRY_AGAIN_LATER",
    by_action={"getState": {e.NotFound: "ERROR_NO_OPERATIONS"}},
)
