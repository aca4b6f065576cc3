"""SMS-Activate's clones: each family a table of the actions it adds, the tokens it
spells its own way and the answers it shapes differently, on the SMS-Activate frame
(protocol reference §9; docs/sms-activate.md, "Clone families"). A family is mounted
at `/<family>/stubs/handler_api.php` and may be the default of `/stubs/handler_api.php`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from aiohttp import web

from proxy import errors as e

from ..base import json_response
from . import actions as a
from . import daisy, rent
from .frame import Action, Answered, Call, Flavour
from .tokens import TOKENS, TokenRows


def family(
    base: Flavour,
    name: str,
    *,
    tokens: TokenRows | None = None,
    by_action: Mapping[str, TokenRows] | None = None,
    actions: Mapping[str, Action] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> Flavour:
    """`base` with a family's own rows on top."""
    return Flavour(
        name=name,
        actions={**base.actions, **(actions or {})},
        tokens=base.tokens.over(tokens, by_action),
        missing_key=base.missing_key,
        aliases={**base.aliases, **(aliases or {})},
    )


# -- DaisySMS (US only; its own words for price, funds and the rental cap) -------------------
DAISY_TOKENS: TokenRows = {
    e.MaxPriceExceeded: "MAX_PRICE_EXCEEDED",  # not WRONG_MAX_PRICE:<price>
    e.NoBalance: "NO_MONEY",
    e.RentalLimit: "TOO_MANY_ACTIVE_RENTALS",
}
DAISY_BY_ACTION: Mapping[str, TokenRows] = {
    # a cancel that cannot happen (a code came, it is over) answers ACCESS_READY
    "setStatus:8": {e.BadTransition: "ACCESS_READY", e.Expired: "ACCESS_READY"},
}


# -- SMSHub ---------------------------------------------------------------------------------
async def hub_free(call: Call) -> web.Response:
    """`getNumbersStatusAndCostHubFree`: per service code, count and cost (Unconfirmed
    shape: strings, as its getNumbersStatus)."""
    offers = await a.offers_for(call)
    return json_response(
        {
            call.vocab.code(o.service): {"count": str(o.stock), "cost": a.money(o.cost)}
            for o in offers
        }
    )


HUB_TOKENS: TokenRows = {
    e.BadKey: "API_KEY_NOT_VALID",
    e.BadService: "WRONG_SERVICE",
}

# -- Grizzly and SMSBower ------------------------------------------------------------------------
COUNTRY_TOKENS: TokenRows = {e.CountryNotServed: "BAD_COUNTRY"}
PROVIDER_ID = "1"  # the one "provider" a price comes from here (V3 lists offers by provider)


async def get_prices_v2(call: Call) -> web.Response:
    """`getPricesV2`: per country and service, each price with how many numbers sell at
    it (`{"187":{"wa":{"0.55":120}}}`; shape Unconfirmed beyond clients reading a mapping)."""
    offers = await a.offers_for(call)
    if not offers:
        return json_response({})
    return json_response(
        {"187": {call.vocab.code(o.service): {a.money(o.cost): o.stock} for o in offers}}
    )


async def get_prices_v3(call: Call) -> web.Response:
    """`getPricesV3`: per country and service, the offers by provider
    (`{"187":{"wa":{"1":{"count":120,"price":0.55,"provider_id":1}}}}`; Unconfirmed)."""
    offers = await a.offers_for(call)
    if not offers:
        return json_response({})
    return json_response(
        {
            "187": {
                call.vocab.code(o.service): {
                    PROVIDER_ID: {
                        "count": o.stock,
                        "price": float(o.cost),
                        "provider_id": int(PROVIDER_ID),
                    }
                }
                for o in offers
            }
        }
    )


PRICE_ACTIONS: Mapping[str, Action] = {"getPricesV2": get_prices_v2, "getPricesV3": get_prices_v3}


def rent_errors_in(field: str) -> Mapping[str, Action]:
    """The rent API's actions with a refusal's token in `field` of its JSON envelope
    (Grizzly's clients read `error` where SMS-Activate's write `message`)."""

    def moved(action: Action) -> Action:
        async def act(call: Call) -> web.Response:
            try:
                return await action(call)
            except Answered as answered:
                body = json.loads(answered.response.body or b"{}")  # type: ignore[arg-type]
                if isinstance(body, dict) and "message" in body:
                    body[field] = body.pop("message")
                raise Answered(json_response(body), answered.result) from None

        return act

    return {name: moved(action) for name, action in rent.ACTIONS.items()}


async def bare_active_activations(call: Call) -> web.Response:
    """Grizzly answers getActiveActivations with the rows alone, `[]` when none."""
    return json_response(await a.get_active_activations_rows(call))


# -- HeroSMS ----------------------------------------------------------------------------------
def as_status(status: str) -> Action:
    """HeroSMS names two setStatus numbers as actions of their own."""

    async def act(call: Call) -> web.Response:
        return await a.set_status(
            Call(
                call.service,
                call.tenant,
                {**call.params, "status": status},
                call.vocab,
                call.action,
            )
        )

    return act


async def get_all_sms(call: Call) -> web.Response:
    """Every SMS of an activation (the proxy keeps codes: each one's text is its code)."""
    found = await call.service.status(call.tenant, a.wanted_id(call))
    codes = [c for c in (found.retry_code, found.code) if c]
    when = a.when(found.code_at or found.created_at)
    return json_response(
        {"data": [{"code": c, "text": c, "date": when} for c in dict.fromkeys(codes)]}
    )


def families(sms_activate: Flavour) -> dict[str, Flavour]:
    """The clone families by name, built on the SMS-Activate flavour."""
    return {
        "herosms": family(
            sms_activate,
            "herosms",
            actions={
                "finishActivation": as_status("6"),
                "cancelActivation": as_status("8"),
                "getAllSms": get_all_sms,
            },
            aliases={"reactivate": "getExtraActivation"},
        ),
        "smshub": family(
            sms_activate,
            "smshub",
            tokens=HUB_TOKENS,
            actions={"getNumbersStatusAndCostHubFree": hub_free},
        ),
        "daisysms": family(
            sms_activate,
            "daisysms",
            tokens=DAISY_TOKENS,
            by_action=DAISY_BY_ACTION,
            actions={
                "getNumber": daisy.get_number,
                "getStatus": daisy.get_status,
                "setStatus": daisy.set_status,
                "setAutoRenew": daisy.set_auto_renew,
            },
        ),
        "grizzly": family(
            sms_activate,
            "grizzly",
            tokens=COUNTRY_TOKENS,
            actions={
                "getActiveActivations": bare_active_activations,
                **PRICE_ACTIONS,
                **rent_errors_in("error"),
            },
        ),
        "smsbower": family(
            sms_activate, "smsbower", tokens=COUNTRY_TOKENS, actions=PRICE_ACTIONS
        ),
    }


__all__ = ["TOKENS", "families", "family"]
