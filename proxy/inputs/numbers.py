"""Prices: finite, not negative, of sane size (`1e999999999` is none of these)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MAX_PRICE = Decimal(100_000)
MAX_PRICE_CHARS = 32


def parse_price(value: object) -> Decimal | None:
    """A price from a number or its text, else None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        return None
    text = str(value).strip()
    if not 0 < len(text) <= MAX_PRICE_CHARS or not text.isascii():
        return None
    try:
        price = Decimal(text)
    except InvalidOperation:
        return None
    if not price.is_finite() or not 0 <= price <= MAX_PRICE:
        return None
    return price
