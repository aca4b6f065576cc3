"""`/v1/guest/*`: products, prices and countries, read from the offers cache."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from aiohttp import web

from proxy.domain import Offer
from proxy.errors import DomainError

from .. import codes, countries
from . import hosting
from .errors import Refusal
from .frame import Call, ok
from .params import carrier_of, check_country

CARRIER_SURCHARGE = Decimal("1.2")  # the vendor's price for a carrier match (F11)


# -- guest -----------------------------------------------------------------------------------
def _offer_prices(o: Offer) -> dict[str, dict[str, Any]]:
    """F11: `any` at the base price, each carrier at base x 1.2, same stock."""
    prices = {"any": {"cost": float(o.cost), "count": o.stock, "rate": 99}}
    surcharged = float((o.cost * CARRIER_SURCHARGE).quantize(Decimal("0.01")))
    for name in codes.FIVESIM_OPERATOR_NAMES:
        prices[name] = {"cost": surcharged, "count": o.stock, "rate": 99}
    return prices


NO_GUEST_KEY = "no prices known yet: set guest_key, or send a token"


async def _offers(call: Call) -> Sequence[Offer]:
    """The caller's offers; without any key, those read with an account of the proxy's
    own, or that some key has read lately (F8)."""
    if call.tenant is not None:
        return await call.service.offers(call.tenant)
    known = await call.service.public_offers()
    if known is None:
        raise Refusal(400, NO_GUEST_KEY)
    return known


async def _hosting(call: Call) -> dict[str, dict[str, Any]]:
    """The hosting products on sale (§7.4), each at the whole-number rental it buys."""
    try:
        if call.tenant is not None:
            long_offers = await call.service.long_rentals.offers(call.tenant)
        else:
            long_offers = await call.service.public_long_offers() or ()
    except DomainError:
        return {}  # no long rentals sold: activations only
    whole = sorted((o for o in long_offers if o.service is None), key=lambda o: o.seconds)
    found: dict[str, dict[str, Any]] = {}
    for product, hours in hosting.PRODUCTS.items():
        offer = next((o for o in whole if o.seconds >= hours * hosting.HOUR), None)
        if offer is not None:
            found[product] = {
                "Category": "hosting",
                "Qty": offer.stock if offer.stock is not None else 1,
                "Price": float(offer.cost),
            }
    return found


async def guest_products(call: Call) -> web.Response:
    check_country(call.path("country"))
    carrier = carrier_of(call.path("operator"))
    offers = await _offers(call)
    factor = CARRIER_SURCHARGE if carrier else Decimal(1)
    products: dict[str, dict[str, Any]] = {
        codes.fivesim_slug(o.service): {
            "Category": "activation",
            "Qty": o.stock,
            "Price": float((o.cost * factor).quantize(Decimal("0.01"))),
        }
        for o in offers
    }
    return ok({**products, **(await _hosting(call) if not carrier else {})})


async def guest_prices(call: Call) -> web.Response:
    country, product = call.query("country"), call.query("product")
    if country is not None and country not in codes.FIVESIM_COUNTRIES:
        raise Refusal(400, "country is incorrect")
    offers = {codes.fivesim_slug(o.service): o for o in await _offers(call)}
    if product is not None and codes.fivesim_api_name(product) is None:
        raise Refusal(400, "product is incorrect")
    if country not in (None, "usa", "any") or (product is not None and product not in offers):
        return ok(None)  # not sold there: the JSON literal null
    table = {
        slug: _offer_prices(o) for slug, o in offers.items() if product is None or slug == product
    }
    if product is not None and country is None:
        return ok({product: {"usa": table[product]}})
    return ok({"usa": table})


async def guest_countries(call: Call) -> web.Response:
    """The countries the configured providers sell: the four fixed keys first (clients
    read them by position), the operators after them."""
    operators = {name: {"activation": 1} for name in ("any", *codes.FIVESIM_OPERATOR_NAMES)}
    return ok(
        {
            c.fivesim: {
                "iso": {c.iso: 1},
                "prefix": {f"+{c.calling_code}": 1},
                "text_en": c.short_name,
                "text_ru": c.russian or c.name,
                **(operators if c.iso == "us" else {"any": {"activation": 1}}),
            }
            for c in countries.sold(call.service.countries_sold())
        }
    )


async def flash(_call: Call) -> web.Response:
    return ok({"text": ""})
