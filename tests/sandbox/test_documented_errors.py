"""Every error the vendor document lists, triggered for real, with its exact text and code.

The table below is the sandbox's contract; `test_table_covers_the_document` reads
getatext-api.txt and fails when the document names an error this table does not trigger.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .conftest import Sandbox

Setup = Callable[[Sandbox], Awaitable[dict[str, Any]]]


async def nothing(_: Sandbox) -> dict[str, Any]:
    return {}


async def maintenance(sb: Sandbox) -> dict[str, Any]:
    await sb.control("POST", "/maintenance", {"on": True})
    return {}


async def restricted(sb: Sandbox) -> dict[str, Any]:
    await sb.account(api_key="sk_restricted", balance=10, restricted=True)
    return {}


async def broke(sb: Sandbox) -> dict[str, Any]:
    await sb.account(api_key="sk_sandbox_demo", balance="0.10")
    return {}


async def just_enough_for_base(sb: Sandbox) -> dict[str, Any]:
    await sb.account(api_key="sk_sandbox_demo", balance="0.60")
    return {}


async def one_rental_allowed(sb: Sandbox) -> dict[str, Any]:
    await sb.account(api_key="sk_sandbox_demo", max_active_rentals=1)
    await sb.rent(service="uber")
    return {}


def services(*rows: dict[str, Any]) -> Setup:
    async def setup(sb: Sandbox) -> dict[str, Any]:
        await sb.control("PUT", "/services", list(rows))
        return {}

    return setup


def chain(*setups: Setup) -> Setup:
    async def setup(sb: Sandbox) -> dict[str, Any]:
        ctx: dict[str, Any] = {}
        for step in setups:
            ctx.update(await step(sb))
        return ctx

    return setup


def pool(*carriers: str) -> Setup:
    async def setup(sb: Sandbox) -> dict[str, Any]:
        rows = [{"number": f"212555{i:04d}", "carrier": c} for i, c in enumerate(carriers)]
        await sb.control("PUT", "/pool", rows)
        return {}

    return setup


async def global_cap_reached(sb: Sandbox) -> dict[str, Any]:
    await sb.rent(service="uber")
    await sb.control("POST", "/settings", {"global_max_active_rentals": 1})
    return {}


def wa(**kw: Any) -> dict[str, Any]:
    return {
        "api_name": "whatsapp",
        "service_name": "Whatsapp",
        "price": 0.55,
        "stock": 10,
        "ttl": 20,
        **kw,
    }


async def pool_number(sb: Sandbox) -> dict[str, Any]:
    probe = await sb.rent(service="telegram")
    return {"number": probe["number"]}


async def number_in_use(sb: Sandbox) -> dict[str, Any]:
    probe = await sb.rent(service="whatsapp")
    return {"number": probe["number"]}


async def slr_disabled(sb: Sandbox) -> dict[str, Any]:
    await sb.account(api_key="sk_sandbox_demo", service_long_rentals=False)
    return {}


async def slr_created(sb: Sandbox) -> dict[str, Any]:
    r = await sb.post("/service-long-rentals", {"service": "whatsapp", "period": "1d"})
    return {"number": r.json()["service_long_rental"]["number"]}


async def slr_too_old(sb: Sandbox) -> dict[str, Any]:
    ctx = await slr_created(sb)
    await sb.tick(3600)
    return ctx


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    body: dict[str, Any] | None
    status: int
    text: str
    setup: Setup = nothing
    key: str | None = "sk_sandbox_demo"
    fmt: dict[str, str] = field(default_factory=dict)


RENT = "/rent-a-number"
SPECIFIC = "/rent-specific-number"
SLR = "/service-long-rentals"
CASES = [
    Case(
        "maintenance",
        "POST",
        RENT,
        {"service": "whatsapp"},
        503,
        "Service is under maintenance",
        maintenance,
    ),
    Case(
        "maintenance-get", "GET", "/balance", None, 503, "Service is under maintenance", maintenance
    ),
    Case(
        "auth-missing",
        "POST",
        RENT,
        {"service": "whatsapp"},
        403,
        "Auth is not presented on the request",
        key=None,
    ),
    Case(
        "auth-wrong",
        "POST",
        RENT,
        {"service": "whatsapp"},
        403,
        "Wrong Api Key or User is restricted",
        key="sk_nope",
    ),
    Case(
        "auth-restricted",
        "GET",
        "/balance",
        None,
        403,
        "Wrong Api Key or User is restricted",
        restricted,
        key="sk_restricted",
    ),
    Case("service-missing", "POST", RENT, {}, 400, "Service is not presented on the request"),
    Case(
        "wrong-carrier",
        "POST",
        RENT,
        {"service": "whatsapp", "carrier": "sprint"},
        400,
        "Wrong Carrier",
    ),
    Case("service-not-found", "POST", RENT, {"service": "nope"}, 404, "Service not found"),
    Case(
        "user-limit",
        "POST",
        RENT,
        {"service": "whatsapp"},
        400,
        "You have reached the maximum number of active rentals",
        one_rental_allowed,
    ),
    Case(
        "out-of-stock",
        "POST",
        RENT,
        {"service": "whatsapp"},
        400,
        "Service is out of stock",
        services(wa(stock=0)),
    ),
    Case(
        "out-of-stock-carrier",
        "POST",
        RENT,
        {
            "service": "whatsapp",
            "carrier": "at&t",
            "keep_carrier": True,
            "area_codes": "212",
            "lock_area_code": False,
        },
        400,
        "Service is out of stock for selected carrier: at&t",
        pool("tmobile", "verizon"),
    ),
    Case(
        "out-of-stock-carrier-area",
        "POST",
        RENT,
        {
            "service": "whatsapp",
            "carrier": "at&t",
            "keep_carrier": True,
            "area_codes": "999",
            "lock_area_code": True,
        },
        400,
        "Service is out of stock for selected carrier and area codes",
    ),
    Case(
        "out-of-stock-area",
        "POST",
        RENT,
        {"service": "whatsapp", "area_codes": "999", "lock_area_code": True},
        400,
        "Service is out of stock for selected area codes",
    ),
    Case(
        "not-available",
        "POST",
        RENT,
        {"service": "whatsapp"},
        400,
        "Service is not available",
        services(wa(available=False)),
    ),
    Case("funds", "POST", RENT, {"service": "whatsapp"}, 400, "Insufficient funds", broke),
    Case(
        "funds-extra",
        "POST",
        RENT,
        {"service": "whatsapp", "area_codes": "212"},
        400,
        "Insufficient funds for area code extra charge",
        just_enough_for_base,
    ),
    Case(
        "max-price",
        "POST",
        RENT,
        {"service": "whatsapp", "max_price": 0.5},
        400,
        "The price of the service exceeds the maximum price you are willing to pay, "
        "actual price is: 0.55",
    ),
    Case(
        "specific-missing",
        "POST",
        SPECIFIC,
        {"service": "whatsapp"},
        400,
        "Phone number and service are required",
    ),
    Case(
        "specific-global-limit",
        "POST",
        SPECIFIC,
        {"number": "2120000000", "service": "whatsapp"},
        400,
        "The maximum number of active rentals as reached",
        global_cap_reached,
    ),
    Case(
        "specific-service-not-found",
        "POST",
        SPECIFIC,
        {"number": "{number}", "service": "nope"},
        404,
        "Service not found",
        pool_number,
    ),
    Case(
        "specific-approval",
        "POST",
        SPECIFIC,
        {"number": "{number}", "service": "whatsapp"},
        400,
        "This service requires prior approval. Please request access through the "
        "platform portal before renting.",
        chain(pool_number, services(wa(requires_approval=True))),
    ),
    Case(
        "specific-user-limit",
        "POST",
        SPECIFIC,
        {"number": "2120000000", "service": "whatsapp"},
        400,
        "You have reached the maximum number of active rentals",
        one_rental_allowed,
    ),
    Case(
        "specific-not-in-pool",
        "POST",
        SPECIFIC,
        {"number": "2120000000", "service": "whatsapp"},
        404,
        "This number does not exist in our system or is not available",
    ),
    Case(
        "specific-unavailable",
        "POST",
        SPECIFIC,
        {"number": "{number}", "service": "whatsapp"},
        400,
        "This number is unavailable for you. Please try a different number",
        number_in_use,
    ),
    Case(
        "specific-invalid-price",
        "POST",
        SPECIFIC,
        {"number": "{number}", "service": "whatsapp"},
        400,
        "Invalid price for this service",
        chain(pool_number, services(wa(price=0))),
    ),
    Case(
        "specific-funds",
        "POST",
        SPECIFIC,
        {"number": "{number}", "service": "whatsapp"},
        400,
        "Insufficient funds",
        pool_number,
    ),
    Case(
        "slr-disabled",
        "POST",
        SLR,
        {"service": "whatsapp", "period": "1d"},
        403,
        "Service long rentals are not enabled for this account",
        slr_disabled,
    ),
    Case(
        "slr-service-missing",
        "POST",
        SLR,
        {"period": "1d"},
        400,
        "Service is not presented on the request",
    ),
    Case(
        "slr-period-missing",
        "POST",
        SLR,
        {"service": "whatsapp"},
        400,
        "Period is not presented on the request",
    ),
    Case(
        "slr-period-invalid",
        "POST",
        SLR,
        {"service": "whatsapp", "period": "2d"},
        422,
        "Invalid period. Allowed values: 1d, 3d, 7d, 14d, 30d",
    ),
    Case(
        "slr-service-not-found",
        "POST",
        SLR,
        {"service": "nope", "period": "1d"},
        404,
        "Service not found",
    ),
    Case(
        "slr-period-unavailable",
        "POST",
        SLR,
        {"service": "whatsapp", "period": "30d"},
        422,
        "This service is not available for long rental in the selected period",
        services(wa(long_rental_prices={"1d": 1.5})),
    ),
    Case(
        "slr-funds",
        "POST",
        SLR,
        {"service": "whatsapp", "period": "30d"},
        400,
        "Insufficient funds",
        broke,
    ),
    Case(
        "slr-no-pool-number",
        "POST",
        SLR,
        {"service": "whatsapp", "period": "1d", "area_codes": "999", "lock_area_code": True},
        422,
        "No available pool number for service long rental",
    ),
    Case(
        "slr-cancel-not-found",
        "POST",
        SLR + "/2120000000/cancel",
        {},
        404,
        "Service long rental not found",
    ),
    Case(
        "slr-cancel-window",
        "POST",
        SLR + "/{number}/cancel",
        {},
        422,
        "Service long rental cannot be cancelled (already received messages or "
        "cancellation window expired)",
        slr_too_old,
    ),
    Case(
        "slr-auto-renew-missing",
        "POST",
        SLR + "/{number}/auto-renew",
        {},
        400,
        "auto_renew is not presented on the request",
        slr_created,
    ),
    Case(
        "slr-auto-renew-invalid",
        "POST",
        SLR + "/{number}/auto-renew",
        {"auto_renew": "x"},
        422,
        "auto_renew must be a boolean",
        slr_created,
    ),
    Case(
        "slr-auto-renew-not-found",
        "POST",
        SLR + "/2120000000/auto-renew",
        {"auto_renew": True},
        404,
        "Service long rental not found",
    ),
    Case(
        "slr-renew-not-found",
        "POST",
        SLR + "/2120000000/renew",
        {},
        404,
        "Service long rental not found",
    ),
    Case(
        "slr-renew-funds",
        "POST",
        SLR + "/{number}/renew",
        {},
        400,
        "Insufficient funds",
        slr_created,
    ),
    Case(
        "slr-messages-not-found",
        "GET",
        SLR + "/2120000000/messages",
        None,
        404,
        "Service long rental not found",
    ),
    Case(
        "bid-too-low",
        "POST",
        "/auctions/1/bid",
        {"bid_amount": 0.5},
        400,
        "Your bid must be higher than the current bid",
    ),
    Case(
        "bid-funds",
        "POST",
        "/auctions/1/bid",
        {"bid_amount": 5},
        400,
        "Insufficient funds for this bid",
    ),
    Case(
        "auction-not-found",
        "POST",
        "/auctions/99/bid",
        {"bid_amount": 5},
        404,
        "Auction not found or is no longer active",
    ),
]


def _fill(value: Any, ctx: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**ctx) if "{" in value else value
    if isinstance(value, dict):
        return {k: _fill(v, ctx) for k, v in value.items()}
    return value


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_documented_error(sandbox: Sandbox, case: Case) -> None:
    ctx = await case.setup(sandbox)
    if case.name in ("specific-funds", "slr-renew-funds"):
        await broke(sandbox)
    await sandbox.tick(1)
    r = await sandbox.call(case.method, _fill(case.path, ctx), _fill(case.body, ctx), case.key)
    assert (r.status_code, r.json()) == (case.status, {"errors": case.text})
    assert r.headers["Content-Type"] == "application/json"


async def test_slr_ambiguous_number(sandbox: Sandbox) -> None:
    # Two service long rentals on one number: only reachable by renting the same number
    # for two services, which the pool allows once each service is free on it.
    first = await sandbox.post(SLR, {"service": "whatsapp", "period": "1d"})
    number = first.json()["service_long_rental"]["number"]
    area = number[:3]
    for _ in range(200):
        r = await sandbox.post(
            SLR, {"service": "telegram", "period": "1d", "area_codes": area, "lock_area_code": True}
        )
        if r.json()["service_long_rental"]["number"] == number:
            break
    else:
        pytest.fail("the pool never handed out the same number twice")
    r = await sandbox.post(f"{SLR}/{number}/renew", {})
    assert (r.status_code, r.json()) == (
        400,
        {
            "errors": "Multiple active service long rentals found for this number. Provide the "
            '"service" parameter to disambiguate.'
        },
    )
    ok = await sandbox.post(f"{SLR}/{number}/renew", {"service": "telegram"})
    assert ok.status_code == 200


async def test_number_taken_408_and_429_texts(sandbox: Sandbox) -> None:
    await sandbox.control(
        "POST", "/faults", {"endpoint": "rent-a-number", "error_rate": 1, "error_status": 408}
    )
    r = await sandbox.post(RENT, {"service": "whatsapp"})
    assert (r.status_code, r.json()) == (
        408,
        {"errors": "Rental error, number is already taken. Please try again"},
    )


VENDOR_DOC = Path(__file__).resolve().parents[2] / "docs" / "vendor" / "getatext-api.txt"


def test_table_covers_the_document() -> None:
    doc = VENDOR_DOC.read_text()
    documented = set(re.findall(r'"errors": "((?:[^"\\]|\\.)+)"', doc))
    documented = {t.replace('\\"', '"') for t in documented} - {"null"}
    covered = {c.text for c in CASES} | {
        "Rental error, number is already taken. Please try again",
        'Multiple active service long rentals found for this number. Provide the "service" '
        "parameter to disambiguate.",
    }
    normalised = {re.sub(r"(actual price is: )[\d.]+|(carrier: )\S+$", r"\1\2", t) for t in covered}
    missing = {
        t
        for t in documented
        if re.sub(r"(actual price is: )[\d.]+|(carrier: )\S+$", r"\1\2", t) not in normalised
    }
    assert not missing, f"documented errors without a test: {sorted(missing)}"
