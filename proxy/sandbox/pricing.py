"""The vendor's pricing rules, exactly as getatext-api.txt states them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ONE_PREFERENCE = Decimal("1.2")  # carrier match only, or area-code match only
BOTH_PREFERENCES = Decimal("1.4")  # carrier and area code match
SPECIFIC_NUMBER = Decimal("1.2")  # flat surcharge on rent-specific-number
LONG_RENTAL_AREA_CODES = Decimal("1.2")  # long rentals restricted by area code: +20%


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt_money(value: Decimal) -> str:
    """Money as the vendor prints it in strings: two decimals."""
    return str(money(value))


def random_number_price(base: Decimal, *, carrier_matched: bool, area_matched: bool) -> Decimal:
    if carrier_matched and area_matched:
        return money(base * BOTH_PREFERENCES)
    if carrier_matched or area_matched:
        return money(base * ONE_PREFERENCE)
    return money(base)


def specific_number_price(base: Decimal, returning_cost: Decimal | None) -> Decimal:
    """New rental: base x 1.2. Returning customer: (original cost / 2) x 1.2."""
    if returning_cost is not None:
        return money(returning_cost / 2 * SPECIFIC_NUMBER)
    return money(base * SPECIFIC_NUMBER)


def rerent_price(original_cost: Decimal, *, had_completed: bool) -> Decimal:
    """Re-rent: the original cost, or 50% of it after a completed rental of the pair."""
    return money(original_cost / 2) if had_completed else money(original_cost)


def long_rental_price(base: Decimal, *, by_area_code: bool) -> Decimal:
    return money(base * LONG_RENTAL_AREA_CODES) if by_area_code else money(base)
