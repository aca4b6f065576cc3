"""An issued key's limits refused in each dialect's own documented words: the proxy and
the sandbox as real HTTP servers, keys issued over the admin API, nothing bought at the
vendor. One scene per limit, answered by v1, 5sim and TextVerified."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from .test_budgets import Fleet, fleet

Buy = Callable[[Fleet, str], Awaitable[tuple[int, Any]]]


async def v1(f: Fleet, key: str) -> tuple[int, Any]:
    r = await f.http.post(
        f.base + "/api/v1/rent-a-number", json={"service": "whatsapp"}, headers={"Auth": key}
    )
    return r.status_code, r.json()


async def fivesim(f: Fleet, key: str) -> tuple[int, Any]:
    r = await f.http.get(
        f.base + "/v1/user/buy/activation/usa/any/whatsapp",
        headers={"Authorization": f"Bearer {key}"},
    )
    return r.status_code, r.text


async def textverified(f: Fleet, key: str) -> tuple[int, Any]:
    auth = await f.http.post(
        f.base + "/api/pub/v2/auth", headers={"X-API-KEY": key, "X-API-USERNAME": "tool"}
    )
    assert auth.status_code == 200, auth.text
    r = await f.http.post(
        f.base + "/api/pub/v2/verifications",
        json={"serviceName": "whatsapp", "capability": "sms"},
        headers={"Authorization": f"Bearer {auth.json()['token']}"},
    )
    return r.status_code, r.json()


def tv(code: str, description: str) -> dict[str, str]:
    return {"errorCode": code, "errorDescription": description}


# limit -> the key's policy, and each dialect's answer
SCENES: dict[str, tuple[dict[str, Any], dict[str, tuple[int, Any]]]] = {
    "cap": (
        {"max_active": 1},
        {
            "v1": (400, {"errors": "You have reached the maximum number of active rentals"}),
            "5sim": (400, "no free phones"),
            "tv": (400, tv("TooManyUnfinishedVerifications", "Too many open verifications.")),
        },
    ),
    "budget": (
        {"daily_budget": "0.30"},
        {
            "v1": (400, {"errors": "Insufficient funds"}),
            "5sim": (400, "not enough user balance"),
            "tv": (400, tv("InsufficientBalance", "Insufficient balance.")),
        },
    ),
    "max price": (
        {"max_prices": {"whatsapp": "0.50"}},
        {
            "v1": (
                400,
                {
                    "errors": "The price of the service exceeds the maximum price you are "
                    "willing to pay, actual price is: 0.55"
                },
            ),
            "5sim": (400, "no free phones"),
            "tv": (400, tv("PriceTooHigh", "The price is above your maximum price.")),
        },
    ),
    "service": (
        {"services": ["telegram"]},
        {
            "v1": (404, {"errors": "Service not found"}),
            "5sim": (400, "no product"),
            "tv": (400, tv("InvalidServiceName", "Unknown service name.")),
        },
    ),
    "country": (
        {"countries": ["gb"]},
        {
            "v1": (400, {"errors": "Service is out of stock"}),
            "5sim": (400, "no free phones"),
            "tv": (400, tv("OutOfStock", "No numbers are available for this service.")),
        },
    ),
}
DIALECTS: dict[str, Buy] = {"v1": v1, "5sim": fivesim, "tv": textverified}


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("limit", list(SCENES))
async def test_a_tenants_limit_is_refused_in_the_dialects_words(
    tmp_path: Path, limit: str, dialect: str
) -> None:
    policy, answers = SCENES[limit]
    buy = DIALECTS[dialect]
    async with fleet(tmp_path) as f:
        key = await f.key(tenant="limited", **policy)
        await f.sa(key, action="getNumbersStatus")  # the price list: refused without asking
        if limit == "cap":
            status, _ = await buy(f, key)
            assert status in (200, 201)
            await f.tick(1)
        assert await buy(f, key) == answers[dialect]
        bought = await f.vendor_rentals()
        assert len(bought) == (1 if limit == "cap" else 0)  # the refusal bought nothing
