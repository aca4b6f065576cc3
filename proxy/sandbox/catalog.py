"""The sandbox's default world: the demo account, the catalogue and the number pool."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from .model import Account, PoolNumber, Service

DEMO_KEY = "sk_sandbox_demo"
DEMO_BALANCE = Decimal("100.00")

CARRIERS = ("at&t", "tmobile", "verizon")
AREA_CODES = ("212", "646", "718", "305", "786", "407", "415", "310", "312", "713")

SERVICE_PERIODS = ("1d", "3d", "7d", "14d", "30d")
# A service long rental costs this many short rentals (whatsapp 0.55 -> 1d 1.65 ...).
_PERIOD_FACTORS = {"1d": 3, "3d": 6, "7d": 10, "14d": 18, "30d": 30}

# api_name, service_name, price, stock, ttl (minutes), multiple_sms
DEFAULT_SERVICES: tuple[tuple[str, str, str, int, int, bool], ...] = (
    ("whatsapp", "Whatsapp", "0.55", 66, 20, True),
    ("telegram", "Telegram", "0.45", 120, 20, False),
    ("instagram", "Instagram", "0.50", 80, 20, True),
    ("google", "Google", "0.60", 150, 20, True),
    ("facebook", "Facebook", "0.40", 90, 20, False),
    ("twitter", "Twitter", "0.35", 70, 20, False),
    ("discord", "Discord", "0.30", 100, 20, True),
    ("tiktok", "Tiktok", "0.25", 110, 20, False),
    ("uber", "Uber", "0.20", 60, 20, False),
    ("amazon", "Amazon", "0.45", 75, 20, True),
    ("microsoft", "Microsoft", "0.30", 50, 20, False),
    ("paypal", "Paypal", "0.80", 40, 20, False),
    ("generic", "Not Listed - Generic", "0.50", 200, 20, True),
)


def service_from_row(row: dict[str, Any]) -> Service:
    """Build a Service from a control-API row; raises ValueError/KeyError/TypeError."""
    api_name = str(row["api_name"]).strip()
    if not api_name:
        raise ValueError("api_name must not be empty")
    price = Decimal(str(row["price"]))
    prices = row.get("long_rental_prices")
    return Service(
        api_name=api_name,
        service_name=str(row.get("service_name") or api_name.capitalize()),
        price=price,
        stock=int(row.get("stock", 100)),
        ttl=int(row.get("ttl", 20)),
        multiple_sms=bool(row.get("multiple_sms", False)),
        available=bool(row.get("available", True)),
        requires_approval=bool(row.get("requires_approval", False)),
        generic=bool(row.get("generic", False)),
        long_rental_prices=(
            {str(k): Decimal(str(v)) for k, v in prices.items()}
            if isinstance(prices, dict)
            else default_long_prices(price)
        ),
    )


def default_long_prices(price: Decimal) -> dict[str, Decimal]:
    return {p: (price * f).quantize(Decimal("0.01")) for p, f in _PERIOD_FACTORS.items()}


def default_services() -> dict[str, Service]:
    services = {}
    for api_name, name, price, stock, ttl, multi in DEFAULT_SERVICES:
        services[api_name] = Service(
            api_name=api_name,
            service_name=name,
            price=Decimal(price),
            stock=stock,
            ttl=ttl,
            multiple_sms=multi,
            generic=api_name == "generic",
            long_rental_prices=default_long_prices(Decimal(price)),
        )
    return services


def default_accounts() -> dict[str, Account]:
    return {DEMO_KEY: Account(api_key=DEMO_KEY, balance=DEMO_BALANCE)}


def generate_pool(rng: random.Random, size: int = 300) -> list[PoolNumber]:
    """Distinct 10-digit US numbers spread over every carrier and area code."""
    pool: list[PoolNumber] = []
    seen: set[str] = set()
    while len(pool) < size:
        i = len(pool)
        area = AREA_CODES[i % len(AREA_CODES)]
        carrier = CARRIERS[(i // len(AREA_CODES)) % len(CARRIERS)]
        number = f"{area}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        if number not in seen:
            seen.add(number)
            pool.append(PoolNumber(number=number, carrier=carrier, area_code=area))
    return pool
