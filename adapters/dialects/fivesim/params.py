"""5sim path and query values: slugs to the vendor's names, prices; refusals in 5sim words."""

from __future__ import annotations

from decimal import Decimal

from proxy.inputs import parse_price

from .. import codes
from .errors import Refusal


def country_of(slug: str) -> str:
    """The order's country: sold where a provider sells it, else "no free phones" (F2)."""
    iso = codes.FIVESIM_ISO.get(slug.strip().lower())
    if iso is not None:
        return iso
    check_country(slug)  # refuses, in 5sim's words
    return "us"


def check_country(slug: str) -> None:
    slug = slug.strip().lower()
    if slug in ("usa", "any"):
        return
    if slug in codes.FIVESIM_COUNTRIES:
        raise Refusal(400, "no free phones")  # F2: tools move on to another country
    raise Refusal(400, "bad country")


def carrier_of(slug: str) -> str | None:
    known, carrier = codes.fivesim_operator(slug)
    if not known:
        raise Refusal(400, "bad operator")
    return carrier


def api_name_of(slug: str) -> str:
    api_name = codes.fivesim_api_name(slug)
    if api_name is None:
        raise Refusal(400, "no product")
    return api_name


def positive_price(raw: object) -> Decimal | None:
    price = parse_price(raw)
    return price if price is not None and price > 0 else None
