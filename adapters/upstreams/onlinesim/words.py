"""OnlineSIM's answers, as data (docs/vendor/onlinesim-protocol.md §2, §3).

An answer is JSON with `response`: `1`, or a word. Which words to `getNum` bought
nothing: no numbers, low balance, no such service or country, the cap on concurrent
operations, a bad key, a pace too fast: each says why no operation was opened.
`TRY_AGAIN_LATER` is the word OnlineSIM's clients read both for maintenance and for a
failure to retry; no document says no operation was opened before it, so it may
follow a sale. A word no row knows is unknown for a purchase.
"""

from __future__ import annotations

from collections.abc import Mapping

from proxy import errors as e
from proxy.domain import LimitGroup, RentalState

from ..common import Words, limit_table

WORDS = Words(
    refusals={
        "ERROR_WRONG_KEY": e.BadKey,
        "ERROR_NO_KEY": e.MissingKey,
        "ACCOUNT_BLOCKED": e.BadKey,
        "NO_NUMBER": e.NoNumbers,
        "WARNING_NO_NUMS": e.NoNumbers,
        "WARNING_LOW_BALANCE": e.NoBalance,
        "ERROR_NO_SERVICE": e.BadService,
        "UNDEFINED_COUNTRY": lambda: e.NoNumbers("country"),
        "EXCEEDED_CONCURRENT_OPERATIONS": e.RentalLimit,
        "INTERVAL_CONCURRENT_REQUESTS_ERROR": e.RateLimited,
        "DUPLICATE_OPERATION": e.DuplicateOrder,
        "ERROR_WRONG_TZID": e.NotFound,
        "ERROR_NO_TZID": e.NotFound,
        "ERROR_NO_OPERATIONS": e.NotFound,
        "NO_COMPLETE_TZID": e.EarlyCancel,
        "ERROR_PARAMS": lambda: e.UpstreamRejected(400, ""),
        "TRY_AGAIN_LATER": lambda: e.UpstreamUnavailable("TRY_AGAIN_LATER"),
    },
    may_have_sold={
        "TRY_AGAIN_LATER": "maintenance and transient failures share it; no document says unsold",
    },
)

# OnlineSIM names a country by its calling code; one code for one core country here
COUNTRIES: Mapping[str, str] = {
    "us": "1",
    "gb": "44",
    "de": "49",
    "fr": "33",
    "ru": "7",
    "ua": "380",
    "id": "62",
    "in": "91",
}

# `response` of a getState row
STATES: Mapping[str, RentalState] = {
    "TZ_INPOOL": RentalState.OPEN,
    "TZ_NUM_PREPARE": RentalState.OPEN,
    "TZ_NUM_WAIT": RentalState.OPEN,
    "TZ_NUM_ANSWER": RentalState.OPEN,
    "TZ_OVER_OK": RentalState.FINISHED,
    "TZ_OVER_EMPTY": RentalState.EXPIRED,
}

# no published limit: OnlineSIM answers INTERVAL_CONCURRENT_REQUESTS_ERROR past its own
ORDERS = LimitGroup("orders", 1)
READS = LimitGroup("reads", 5)
LIMITS: Mapping[str, LimitGroup] = limit_table(ORDERS, READS)
