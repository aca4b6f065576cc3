"""5sim's answers, as data: its error texts (HTTP 400, plain text) to domain errors, its
country slugs, its order states (docs/vendor/5sim-protocol.md §4, §5, §7).

Which answers to a purchase bought nothing: every refusal text of §5 names a reason the
order was not placed (stock, funds, rating, an unknown slug). `server offline` is the
text 5sim's clients read as "the vendor is unavailable"; the docs do not say whether a
purchase can have been placed before it, and a proxy in front of a vendor answers it
for a purchase whose outcome it does not know: it may follow a sale.
"""

from __future__ import annotations

from collections.abc import Mapping

from proxy import errors as e
from proxy.domain import LimitGroup, RentalState

from ..common import Words, limit_table

WORDS = Words(
    refusals={
        "no free phones": e.NoNumbers,
        "not enough product qty": e.NoNumbers,
        "not enough user balance": e.NoBalance,
        "not enough rating": e.RentalLimit,  # a cap on parallel orders
        "no product": e.BadService,
        "product is incorrect": e.BadService,
        "bad country": lambda: e.NoNumbers("country"),
        "country is incorrect": lambda: e.NoNumbers("country"),
        "select country": lambda: e.NoNumbers("country"),
        "bad operator": e.WrongCarrier,
        "select operator": e.WrongCarrier,
        "order not found": e.NotFound,
        "record not found": e.NotFound,
        "order expired": e.Expired,
        "order has sms": e.BadTransition,
        "order no sms": e.NotViewed,
        "hosting order": e.BadTransition,
        "you need to wait time": e.EarlyCancel,
        "reuse not possible": e.NotReRentable,
        "server offline": lambda: e.UpstreamUnavailable("server offline"),
    },
    may_have_sold={
        "server offline": "§5: 'upstream unavailable', not said to be before the order",
        "internal error": "§5: a failure of unknown extent",
    },
)

# 5sim's slugs for the countries the core names (§7.1)
COUNTRIES: Mapping[str, str] = {
    "us": "usa",
    "gb": "england",
    "ca": "canada",
    "de": "germany",
    "fr": "france",
    "ru": "russia",
    "ua": "ukraine",
    "kz": "kazakhstan",
    "id": "indonesia",
    "in": "india",
}
CALLING_CODES: Mapping[str, str] = {
    "usa": "1",
    "england": "44",
    "canada": "1",
    "germany": "49",
    "france": "33",
    "russia": "7",
    "ukraine": "380",
    "kazakhstan": "7",
    "indonesia": "62",
    "india": "91",
}

STATES: Mapping[str, RentalState] = {
    "PENDING": RentalState.OPEN,
    "RECEIVED": RentalState.OPEN,
    "CANCELED": RentalState.CANCELLED,
    "BANNED": RentalState.CANCELLED,
    "TIMEOUT": RentalState.EXPIRED,
    "FINISHED": RentalState.FINISHED,
}

# product slugs where 5sim's differ from the core's service names (§7.3)
PRODUCTS: Mapping[str, str] = {"microsoft": "hotmail", "generic": "other"}

# 5sim allows 100 requests a second per key (§5, the `fivesim` client); orders are kept
# well below it, as a fleet of tools shares one key
ORDERS = LimitGroup("orders", 5)
READS = LimitGroup("reads", 20)
LIMITS: Mapping[str, LimitGroup] = limit_table(ORDERS, READS)
