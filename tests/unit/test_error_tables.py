"""Every dialect answers every domain error from its own table, and none answers an error
the proxy raises itself with a server error (httpx's test_httpcore_all_exceptions_mapped
is the model: the tree is walked, so a new error without a row fails here)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from adapters.dialects import DIALECTS
from adapters.dialects.answers import GENERIC, ErrorTable
from adapters.dialects.fivesim.errors import ERRORS as FIVESIM
from adapters.dialects.getatext_legacy import TOKENS as GETATEXT_LEGACY
from adapters.dialects.onlinesim.errors import WORDS as ONLINESIM
from adapters.dialects.sms_activate.rent import ERRORS as SMS_ACTIVATE_RENT
from adapters.dialects.sms_activate.tokens import TOKENS as SMS_ACTIVATE
from adapters.dialects.smspool.frame import ERRORS as SMSPOOL
from adapters.dialects.textverified.frame import ERRORS as TEXTVERIFIED
from adapters.dialects.v1.frame import ERRORS as V1
from adapters.dialects.v1.frame import reply_for as v1_reply
from proxy import errors as e

TABLES: dict[str, ErrorTable[Any]] = {
    "sms-activate": SMS_ACTIVATE,
    "sms-activate rent": SMS_ACTIVATE_RENT,
    "getatext legacy": GETATEXT_LEGACY,
    "5sim": FIVESIM,
    "v1": V1,
    "onlinesim": ONLINESIM,
    "smspool": SMSPOOL,
    "textverified": TEXTVERIFIED,
    **{f"handler_api {prefix}": flavour.tokens for prefix, flavour in DIALECTS.items()},
}
# tables whose answers carry an HTTP status first
WITH_STATUS = {"5sim": FIVESIM, "v1": V1, "textverified": TEXTVERIFIED}
# faults of the vendor or of the shared store: a 5xx tells the truth about them
NOT_OURS = {
    e.UpstreamUnavailable,
    e.UpstreamRejected,
    e.StoreUnavailable,
    e.Maintenance,
}
CONCRETE = e.concrete_errors()
# a purchase the proxy cannot vouch for: TextVerified's only other "try again" is a 429,
# which promises nothing was done (a client, or a proxy in front, would buy elsewhere)
IN_DOUBT_503 = {("textverified", e.OutcomeUnknown), ("textverified", e.PurchaseInDoubt)}


def instance(cls: type[e.DomainError]) -> e.DomainError:
    if issubclass(cls, e.MaxPriceExceeded):
        return cls(Decimal("1.25"))
    if issubclass(cls, e.PeriodTooLong):
        return cls(86400.0)
    if issubclass(cls, e.UpstreamRejected):
        return cls(418, "teapot")
    return cls()


def test_the_tree_has_its_34_concrete_errors() -> None:
    assert len(CONCRETE) == 34
    assert not set(CONCRETE) & e.CATEGORIES
    assert e.TenantCap in CONCRETE and e.DomainError not in CONCRETE


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_concrete_error_has_a_row(name: str) -> None:
    table = TABLES[name]
    assert [cls.__name__ for cls in table.unmapped()] == []
    assert table.stray() == []


@pytest.mark.parametrize("name", sorted(WITH_STATUS))
@pytest.mark.parametrize("cls", CONCRETE, ids=[c.__name__ for c in CONCRETE])
def test_no_server_error_for_what_the_proxy_itself_refuses(
    name: str, cls: type[e.DomainError]
) -> None:
    status = WITH_STATUS[name].answer(instance(cls))[0]
    if (name, cls) in IN_DOUBT_503:
        assert status == 503
    elif cls not in NOT_OURS:
        assert status < 500, f"{name} answers {cls.__name__} with {status}"


def test_generic_is_a_decision_and_answers_the_generic_reply() -> None:
    table: ErrorTable[str] = ErrorTable(
        rows={e.NoNumbers: "NONE", e.UpstreamUnavailable: GENERIC}, generic="LATER"
    )
    assert table.answer(e.UpstreamUnavailable()) == "LATER"
    assert table.answer(e.CountryNotAllowed()) == "NONE"  # a subclass takes its parent's row
    assert e.UpstreamUnavailable not in table.unmapped()
    assert e.BadKey in table.unmapped()


def test_an_actions_row_covers_subclasses_before_their_default_rows() -> None:
    table: ErrorTable[str] = ErrorTable(
        rows={e.RateLimited: "LIMIT", e.TenantRateLimited: "TENANT"},
        generic="G",
        by_action={"getNumber": {e.RateLimited: "NO_NUMBERS"}},
    )
    assert table.answer(e.TenantRateLimited(), "getNumber") == "NO_NUMBERS"
    assert table.answer(e.TenantRateLimited(), "getStatus") == "TENANT"
    assert table.answer(e.TenantRateLimited(), "setStatus:99999") == "TENANT"


def test_rows_on_top_replace_their_subclasses_rows() -> None:
    base: ErrorTable[str] = ErrorTable(
        rows={e.NoBalance: "NO_BALANCE", e.OverBudget: "NO_BALANCE"}, generic="G"
    )
    assert base.over({e.NoBalance: "NO_MONEY"}).answer(e.OverBudget()) == "NO_MONEY"


def test_a_category_row_is_stray() -> None:
    table: ErrorTable[str] = ErrorTable(rows={e.AuthError: "BAD_KEY"}, generic="G")
    assert table.stray() == [e.AuthError]
    assert table.answer(e.BadKey()) == "G"  # a category answers nothing


# -- the tenant's refusals, each in the dialect's documented words ----------------------------
TV_CAP = "Too many open verifications."
TV_PRICE = "The price is above your maximum price."
TV_SERVICE = "Unknown service name."
TV_STOCK = "No numbers are available for this service."
SMSPOOL_COUNTRY = "This country is not available."
TENANT_REFUSALS: list[tuple[str, ErrorTable[Any], e.DomainError, Any]] = [
    ("v1", V1, e.TenantCap(), (400, "You have reached the maximum number of active rentals")),
    ("v1", V1, e.OverBudget(), (400, "Insufficient funds")),
    ("v1", V1, e.ServiceNotAllowed(), (404, "Service not found")),
    ("v1", V1, e.CountryNotAllowed(), (400, "Service is out of stock")),
    ("v1", V1, e.BadService(), (404, "Service not found")),
    ("5sim", FIVESIM, e.TenantCap(), (400, "no free phones")),
    ("5sim", FIVESIM, e.OverBudget(), (400, "not enough user balance")),
    ("5sim", FIVESIM, e.MaxPriceExceeded(Decimal(1)), (400, "no free phones")),
    ("5sim", FIVESIM, e.ServiceNotAllowed(), (400, "no product")),
    ("5sim", FIVESIM, e.CountryNotAllowed(), (400, "no free phones")),
    ("tv", TEXTVERIFIED, e.TenantCap(), (400, "TooManyUnfinishedVerifications", TV_CAP)),
    ("tv", TEXTVERIFIED, e.OverBudget(), (400, "InsufficientBalance", "Insufficient balance.")),
    ("tv", TEXTVERIFIED, e.MaxPriceExceeded(Decimal(1)), (400, "PriceTooHigh", TV_PRICE)),
    ("tv", TEXTVERIFIED, e.ServiceNotAllowed(), (400, "InvalidServiceName", TV_SERVICE)),
    ("tv", TEXTVERIFIED, e.CountryNotAllowed(), (400, "OutOfStock", TV_STOCK)),
    ("smspool", SMSPOOL, e.CountryNotAllowed(), ("COUNTRY_ERROR", SMSPOOL_COUNTRY)),
    ("legacy", GETATEXT_LEGACY, e.ServiceNotAllowed(), "BAD_SERVICE"),
    ("legacy", GETATEXT_LEGACY, e.TenantCap(), "MAX_RENTALS_EXCEEDED"),
    ("daisysms", DIALECTS["/daisysms"].tokens, e.OverBudget(), "NO_MONEY"),
    ("daisysms", DIALECTS["/daisysms"].tokens, e.TenantCap(), "TOO_MANY_ACTIVE_RENTALS"),
]


@pytest.mark.parametrize(
    ("name", "table", "error", "expected"),
    TENANT_REFUSALS,
    ids=[f"{n}-{type(err).__name__}" for n, _, err, _ in TENANT_REFUSALS],
)
def test_tenant_refusals(
    name: str, table: ErrorTable[Any], error: e.DomainError, expected: Any
) -> None:
    assert table.answer(error, "rent-a-number") == expected


def test_v1_names_the_price_and_repeats_the_vendor() -> None:
    assert v1_reply(e.MaxPriceExceeded(Decimal("1.5")), "rent-a-number") == (
        400,
        "The price of the service exceeds the maximum price you are willing to pay, "
        "actual price is: 1.50",
    )
    relayed = e.NoNumbers()
    relayed.vendor_status = 400
    relayed.vendor_text = "Service is out of stock for selected area codes"
    assert v1_reply(relayed, "rent-a-number") == (400, relayed.vendor_text)
