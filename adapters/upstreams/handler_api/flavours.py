"""The handler_api families as data: their tokens, country code, codes and lifetimes.

Each token a vendor answers maps to a domain error; a token no row knows is an
`UpstreamRejected` (or, for a purchase, an unreadable answer: its outcome is unknown).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from proxy import errors as e

Factory = Callable[[str], e.DomainError]
_PRICE = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _const(factory: Callable[[], e.DomainError]) -> Factory:
    return lambda _detail: factory()


def _max_price(detail: str) -> e.DomainError:
    found = _PRICE.search(detail)
    try:
        return e.MaxPriceExceeded(Decimal(found.group(0)) if found else Decimal(0))
    except InvalidOperation:
        return e.MaxPriceExceeded(Decimal(0))


# SMS-Activate's own tokens (docs/vendor/sms-activate-protocol.md §5); the clones share them
SMS_ACTIVATE_ERRORS: Mapping[str, Factory] = {
    "NO_NUMBERS": _const(e.NoNumbers),
    "NO_BALANCE": _const(e.NoBalance),
    "NO_KEY": _const(e.MissingKey),
    "BAD_KEY": _const(e.BadKey),
    "BANNED": _const(e.BadKey),
    "BAD_SERVICE": _const(e.BadService),
    "BAD_COUNTRY": _const(lambda: e.NoNumbers("country")),
    "WRONG_MAX_PRICE": _max_price,
    "ERROR_SQL": _const(lambda: e.UpstreamUnavailable("ERROR_SQL")),
    "NO_ACTIVATION": _const(e.NotFound),
    "WRONG_ACTIVATION_ID": _const(e.NotFound),
    "BAD_STATUS": _const(e.BadTransition),
    "EARLY_CANCEL_DENIED": _const(e.EarlyCancel),
    "ORDER_ALREADY_EXISTS": _const(e.DuplicateOrder),
}

# the Getatext legacy handler (its document's "GET /stubs/handler_api.php" section)
GETATEXT_LEGACY_ERRORS: Mapping[str, Factory] = {
    "OUT_OF_STOCK": _const(e.NoNumbers),
    "INSUFFICIENT_FUNDS": _const(e.NoBalance),
    "MAX_RENTALS_EXCEEDED": _const(e.RentalLimit),
    "BAD_SERVICE": _const(e.BadService),
    "BAD_COUNTRY": _const(lambda: e.NoNumbers("country")),
    "SERVICE_NOT_AVAILABLE": _const(e.ServiceUnavailable),
    "APPROVAL_REQUIRED": _const(e.ApprovalRequired),
    "MAX_PRICE_EXCEEDED": _max_price,
    "RENTAL_ERROR": _const(e.WrongCarrier),
    "RENTAL_ERROR_TRY_AGAIN": _const(e.NumberTaken),
    "MAINTENANCE": _const(e.Maintenance),
    "NO_ACTIVATION": _const(e.NotFound),
    "BAD_ID": _const(e.NotFound),
    "RENTAL_LOCKED": _const(e.EarlyCancel),
    "RENTAL_ACTIVE": _const(e.StillActive),
    "BAD_KEY": _const(e.BadKey),
}

# the vendor's service codes for the domain's service names (the default; config may add)
SMS_ACTIVATE_CODES: Mapping[str, str] = {
    "whatsapp": "wa",
    "telegram": "tg",
    "instagram": "ig",
    "google": "go",
    "facebook": "fb",
    "twitter": "tw",
    "discord": "ds",
    "tiktok": "lf",
    "uber": "ub",
    "amazon": "am",
    "microsoft": "mm",
    "paypal": "ts",
    "snapchat": "fu",
    "openai": "dr",
    "tinder": "oi",
}


# SMSHub: SMS-Activate's tokens and ids, plus its own spellings (protocol reference §9)
SMSHUB_ERRORS: Mapping[str, Factory] = {
    **SMS_ACTIVATE_ERRORS,
    "API_KEY_NOT_VALID": _const(e.BadKey),
    "WRONG_SERVICE": _const(e.BadService),
}

# DaisySMS (US only): its own words for a price over max_price, for no funds and for its
# 20 concurrent rentals, and BAD_ID beside NO_ACTIVATION (protocol reference §9, DAISY)
DAISYSMS_ERRORS: Mapping[str, Factory] = {
    **SMS_ACTIVATE_ERRORS,
    "MAX_PRICE_EXCEEDED": _max_price,
    "NO_MONEY": _const(e.NoBalance),
    "TOO_MANY_ACTIVE_RENTALS": _const(e.RentalLimit),
    "BAD_ID": _const(e.NotFound),
}

# Grizzly: a region its service is not sold in, beside BAD_COUNTRY (§9, GRIZZLY)
GRIZZLY_ERRORS: Mapping[str, Factory] = {
    **SMS_ACTIVATE_ERRORS,
    "SERVICE_UNAVAILABLE_REGION": _const(e.ServiceUnavailable),
}

# HeroSMS answers errors with HTTP statuses and a JSON body {"title", "details"} (§9); the
# title is read as a token when it is one, else the status decides
HEROSMS_STATUSES: Mapping[int, Factory] = {
    401: _const(e.BadKey),
    403: _const(e.BadKey),
    402: _const(e.NoBalance),
    404: _const(e.NotFound),
    409: _const(e.BadTransition),
    422: _const(e.BadService),
}


@dataclass(frozen=True)
class Flavour:
    name: str
    errors: Mapping[str, Factory]
    country: str  # the family's code for the USA
    lifetime_seconds: float  # an activation's time, when answers do not say
    codes: Mapping[str, str] = field(default_factory=dict)  # service -> vendor code
    number_v2: bool = False  # getNumberV2 answers JSON with the cost
    lists_prices: bool = True  # getPrices without a service lists every offer
    country_codes: Mapping[str, str] = field(default_factory=lambda: {"us": "187"})
    statuses: Mapping[int, Factory] = field(default_factory=dict)  # errors by HTTP status
    another_sms: bool = True  # setStatus 3 asks the vendor for another SMS
    ready: bool = True  # setStatus 1 tells the vendor the SMS was sent
    lists_active: bool = True  # getActiveActivations lists the account's activations
    bare_active: bool = False  # ... as a bare array of rows (Grizzly), not in an object


# the family's country ids (ISO 3166 alpha-2 -> id)
SMS_ACTIVATE_COUNTRIES: Mapping[str, str] = {
    "us": "187",
    "ru": "0",
    "ua": "1",
    "kz": "2",
    "id": "6",
    "gb": "16",
    "in": "22",
    "ca": "36",
    "de": "43",
    "fr": "78",
}

SMS_ACTIVATE = Flavour(
    "sms-activate",
    SMS_ACTIVATE_ERRORS,
    "187",
    20 * 60,
    SMS_ACTIVATE_CODES,
    number_v2=True,
    country_codes=SMS_ACTIVATE_COUNTRIES,
)

# the clones: SMS-Activate with their differences (protocol reference §9)
FLAVOURS: Mapping[str, Flavour] = {
    "sms-activate": SMS_ACTIVATE,
    "smshub": replace(
        SMS_ACTIVATE, name="smshub", errors=SMSHUB_ERRORS, number_v2=False, lists_active=False
    ),
    "herosms": replace(SMS_ACTIVATE, name="herosms", statuses=HEROSMS_STATUSES),
    # US numbers only; getNumber answers with the price in a header, no getNumberV2, and
    # no list of active activations is documented: an unknown purchase is held, then void
    "daisysms": replace(
        SMS_ACTIVATE,
        name="daisysms",
        errors=DAISYSMS_ERRORS,
        number_v2=False,
        country_codes={"us": "187"},
        lists_active=False,
    ),
    "grizzly": replace(SMS_ACTIVATE, name="grizzly", errors=GRIZZLY_ERRORS, bare_active=True),
    "smsbower": replace(SMS_ACTIVATE, name="smsbower"),  # BAD_COUNTRY: SMS-Activate's row
    "getatext-legacy": Flavour(
        "getatext-legacy",
        GETATEXT_LEGACY_ERRORS,
        "187",
        20 * 60,
        lists_prices=False,
        another_sms=False,  # its handler has setStatus 8 and 6 only
        ready=False,
        lists_active=False,  # nor a list of activations
    ),
}


def to_domain_error(flavour: Flavour, answer: str) -> e.DomainError | None:
    """The domain error a token stands for (`TOKEN` or `TOKEN:detail`), if it is one."""
    token, _, detail = answer.partition(":")
    factory = flavour.errors.get(token.strip())
    if factory is None:
        return None
    error = factory(detail)
    error.vendor_text = None  # another vendor's words are never replayed to clients
    return error


def status_error(flavour: Flavour, status: int, body: str, *, purchase: bool) -> e.DomainError:
    """A 4xx answer: its JSON title when that is a token, else the family's status table.
    A 404 to an order means nothing to sell, not an unknown activation."""
    try:
        title = json.loads(body).get("title") if body.startswith("{") else None
    except (ValueError, AttributeError):
        title = None
    if isinstance(title, str):
        named = to_domain_error(flavour, title)
        if named is not None:
            return named
    if purchase and status == 404:
        return e.NoNumbers()
    factory = flavour.statuses.get(status)
    if factory is not None:
        error = factory(body)
        error.vendor_text = None
        return error
    return e.UpstreamRejected(status, "")
