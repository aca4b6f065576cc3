"""Routing by price in one currency, and by what a user pays for: a code that arrives.
Every provider is a real sandbox; which one sold a number is read there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from .test_routing import ENV, Fleet, Vendor, price, vendor


@asynccontextmanager
async def fleet_of_two(tmp_path: Path, routing: str, **extra: Any) -> AsyncIterator[Fleet]:
    async with httpx.AsyncClient(timeout=10) as http:
        (server_a, a), (server_b, b) = [
            await vendor(seed, ENV[key], http) for seed, key in ((91, "KEY_A"), (92, "KEY_B"))
        ]
        f = Fleet(a, b, tmp_path / "var", http, routing=routing)
        f.extra = extra
        try:
            yield f
        finally:
            if f.server is not None:
                await f.stop()
            await server_a.close()
            await server_b.close()


async def seller(f: Fleet, before: tuple[int, int]) -> str:
    after = (len(await f.a.rentals()), len(await f.b.rentals()))
    assert sum(after) == sum(before) + 1, (before, after)  # one number, bought once
    return "alpha" if after[0] > before[0] else "beta"


async def test_cheapest_compares_prices_in_one_currency(tmp_path: Path) -> None:
    """alpha prices in rubles (45.00, 0.495 USD at 0.011), beta in dollars (0.55): alpha
    is cheaper once converted. Without a rate for alpha's currency it is ranked last,
    never compared 1:1 (45 > 0.55 would have said the same; 0.45 < 0.55 would not)."""
    async with fleet_of_two(tmp_path, "cheapest", currency_rates={"RUB": 0.011}) as f:
        f.currencies = ("RUB", "USD")
        await f.start()
        await price(f.a, "45.00")
        await price(f.b, "0.55")
        counts = (0, 0)
        assert (await f.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
        assert await seller(f, counts) == "alpha"
        await f.stop()
        f.currencies = ("EUR", "USD")  # no rate for EUR
        await f.start()
        await price(f.a, "0.45")
        await f.tick(1)
        counts = (len(await f.a.rentals()), len(await f.b.rentals()))
        assert (await f.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
        assert await seller(f, counts) == "beta"


async def buy_and_end(f: Fleet, deliver: set[str]) -> str:
    """One purchase; its code arrives if its seller is in `deliver`, else the client
    gives up on it (cancels): the outcome routing by value learns from."""
    before = (len(await f.a.rentals()), len(await f.b.rentals()))
    token, activation_id, phone = (await f.sa(action="getNumber", service="wa")).split(":")
    assert token == "ACCESS_NUMBER"
    sold_by = await seller(f, before)
    at: Vendor = f.a if sold_by == "alpha" else f.b
    if sold_by in deliver:
        await at.control("POST", "/sms", {"number": phone, "code": "424242"})
        await f.tick(2)  # the next status read is due
        assert await f.sa(action="getStatus", id=activation_id) == "STATUS_OK:424242"
        assert await f.sa(action="setStatus", id=activation_id, status="6") == "ACCESS_ACTIVATION"
    else:
        await f.tick(61)  # past the vendor's first minute, when it refuses a cancel
        assert await f.sa(action="setStatus", id=activation_id, status="8") == "ACCESS_CANCEL"
    await f.tick(1)
    return sold_by


async def test_value_routes_away_from_undelivered_codes_and_back(tmp_path: Path) -> None:
    """alpha is cheaper (0.40 vs 0.55). Its codes stop arriving: purchases move to beta,
    but for the few that explore. Its codes arrive again: those explorations see it,
    and alpha, the better value once more, sells most."""
    async with fleet_of_two(
        tmp_path, "value", value_explore=0.2, reconcile_interval_seconds=1.0
    ) as f:
        await f.start()
        await price(f.a, "0.40")
        await price(f.b, "0.55")
        assert await buy_and_end(f, {"alpha", "beta"}) == "alpha"  # the cheaper, unknown
        broken = [await buy_and_end(f, {"beta"}) for _ in range(20)]
        # its failures are learnt: beta sells most, alpha only when one in five explores
        assert broken[-10:].count("alpha") <= 5
        rate = 'smsproxy_provider_code_rate{provider="alpha",service="whatsapp"}'
        assert await f.metric(rate) < 0.5
        assert await f.metric(rate.replace("alpha", "beta")) > 0.9
        recovered = [await buy_and_end(f, {"alpha", "beta"}) for _ in range(40)]
        assert recovered[-15:].count("alpha") >= 10  # noticed again, and preferred
        assert await f.metric(rate) > 0.8
