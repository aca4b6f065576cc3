"""Turning handler_api parameters into domain requests."""

from __future__ import annotations

import re
from decimal import Decimal

from proxy.domain import Order
from proxy.errors import BadService, CountryNotServed, NoNumbers
from proxy.inputs import ascii_digits, parse_id, parse_price

from ..base import Params, boolean, first, listing
from ..codes import FIVESIM_ISO, OPERATORS, SA_COUNTRIES, USA_ALIASES, Vocabulary

PHONE_PREFIX = re.compile(r"^\d{4,12}$")


class Answer(Exception):
    """A protocol answer decided while reading parameters (e.g. WRONG_EXCEPTION_PHONE)."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


def activation_id(params: Params) -> int | None:
    """None for a missing, malformed or out-of-range id; the caller picks the token."""
    value = params.get("id") or params.get("activationId")  # first(), inlined: every poll
    return parse_id(value) if value else None


def _carrier(params: Params) -> str | None:
    for name in listing(first(params, "operator", "carriers", "carrier")):
        carrier = OPERATORS.get(name.lower())
        if carrier is not None:
            return carrier  # first known operator; "any" and unknown names mean no preference
    return None


def _max_price(params: Params) -> Decimal | None:
    # a malformed or absurd price is ignored, as an absent one
    price = parse_price(first(params, "maxPrice", "max_price"))
    return price if price is not None and price > 0 else None


def country(raw: str) -> str:
    if raw.lower() in USA_ALIASES:
        return "us"
    # 5sim's API1 spoke this protocol with its own country slugs (`country=usa`)
    iso = SA_COUNTRIES.get(raw.strip()) or FIVESIM_ISO.get(raw.strip().lower())
    if iso is None:
        raise CountryNotServed()  # D1: tools move on to another country
    return iso  # served when a provider serves it; else NO_NUMBERS from the router


def _area_code(value: str) -> bool:
    return len(value) == 3 and ascii_digits(value, 3) is not None


def order(
    params: Params, vocab: Vocabulary, *, many: bool = False, check_country: bool = True
) -> Order:
    iso = country(params.get("country", "")) if check_country else "us"
    names = listing(params.get("multiService")) if many else [params.get("service") or ""]
    services = [vocab.api_name(n) for n in names]
    if not services or any(s is None for s in services):
        raise BadService()
    if many and any(f != "0" for f in listing(params.get("multiForward"))):
        raise NoNumbers("call forwarding not offered")
    if boolean(params.get("forward")) or params.get("activationType") in ("1", "2"):
        raise NoNumbers("only SMS activations are offered")
    if boolean(params.get("ltr")):  # DaisySMS's long-term rental: refused, never downgraded
        raise NoNumbers("long-term rentals are not offered here")
    for prefix in listing(params.get("phoneException")):
        if not PHONE_PREFIX.match(prefix):
            raise Answer("WRONG_EXCEPTION_PHONE")
    areas = [
        a
        for a in listing(first(params, "areas", "area_codes"))
        if ascii_digits(a, 3) and len(a) == 3
    ]
    return Order(
        services=tuple(s for s in services if s is not None),
        carrier=_carrier(params),
        keep_carrier=boolean(params.get("keep_carrier")),
        area_codes=tuple(areas),
        lock_area_code=boolean(params.get("lock_area_code")),
        max_price=_max_price(params),
        country=iso,
    )
