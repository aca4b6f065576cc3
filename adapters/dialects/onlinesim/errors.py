"""Domain errors -> OnlineSIM's words (docs/vendor/onlinesim-protocol.md §3). Data only."""

from __future__ import annotations

from collections.abc import Mapping

from proxy import errors as e

WORDS: Mapping[type[e.DomainError], str] = {
    e.MissingKey: "ERROR_NO_KEY",
    e.BadKey: "ERROR_WRONG_KEY",
    e.NoNumbers: "NO_NUMBER",
    e.NoBalance: "WARNING_LOW_BALANCE",
    e.BadService: "ERROR_NO_SERVICE",
    e.ServiceUnavailable: "NO_NUMBER",
    e.MaxPriceExceeded: "NO_NUMBER",
    e.RentalLimit: "EXCEEDED_CONCURRENT_OPERATIONS",
    e.DuplicateOrder: "DUPLICATE_OPERATION",
    e.NotFound: "ERROR_WRONG_TZID",
    e.EarlyCancel: "NO_COMPLETE_TZID",
    e.BadTransition: "NO_COMPLETE_TZID",
    e.NotViewed: "NO_COMPLETE_TZID",
    e.Expired: "NO_COMPLETE_TZID",
    e.RateLimited: "INTERVAL_CONCURRENT_REQUESTS_ERROR",
    e.DomainError: "TRY_AGAIN_LATER",  # upstream down, an unknown outcome, the unforeseen
}
BY_METHOD: Mapping[str, Mapping[type[e.DomainError], str]] = {
    "getState": {e.NotFound: "ERROR_NO_OPERATIONS"},
}


def word_for(error: e.DomainError, method: str) -> str:
    specific = BY_METHOD.get(method, {})
    for cls in type(error).__mro__:
        word = specific.get(cls) or WORDS.get(cls)
        if word is not None:
            return word
    return "TRY_AGAIN_LATER"
