"""Getatext's own legacy `handler_api.php`: the SMS-Activate frame with the vendor's tokens.

It differs from SMS-Activate in a few rows: its own error words, `BAD_ID` for malformed
ids, `BAD_COUNTRY` on getPrices, `setStatus` 6 and 8 only, `getPrices` as a JSON array.
"""

from __future__ import annotations

from aiohttp import web

from proxy import errors as e

from .answers import GENERIC, ErrorTable
from .base import json_response, listing, positive_int, text_response
from .codes import USA
from .sms_activate import actions as sa
from .sms_activate.frame import Action, Call, Flavour
from .sms_activate.params import Answer, order

TOKENS: ErrorTable[str] = ErrorTable(
    rows={
    e.MissingKey: "BAD_KEY",
    e.BadKey: "BAD_KEY",
    e.NoNumbers: "OUT_OF_STOCK",
    e.CountryNotAllowed: "OUT_OF_STOCK",
    e.CountryNotServed: "OUT_OF_STOCK",
    e.NoBalance: "INSUFFICIENT_FUNDS",
    e.OverBudget: "INSUFFICIENT_FUNDS",
    e.BadService: "BAD_SERVICE",
    e.ServiceNotAllowed: "BAD_SERVICE",
    e.ServiceUnavailable: "SERVICE_NOT_AVAILABLE",
    e.ApprovalRequired: "APPROVAL_REQUIRED",
    e.MaxPriceExceeded: "MAX_PRICE_EXCEEDED",
    e.PeriodTooLong: "OUT_OF_STOCK",
    e.RentalLimit: "MAX_RENTALS_EXCEEDED",
    e.TenantCap: "MAX_RENTALS_EXCEEDED",
    e.WrongCarrier: "RENTAL_ERROR",
    e.NumberTaken: "RENTAL_ERROR_TRY_AGAIN",
    e.CombinationFailed: "OUT_OF_STOCK",
    e.DuplicateOrder: GENERIC,
    e.NotFound: "NO_ACTIVATION",
    e.EarlyCancel: "RENTAL_LOCKED",
    e.BadTransition: "BAD_STATUS",
    e.NotViewed: "NO_ACTIVATION",
    e.Expired: "BAD_STATUS",
    e.StillActive: "RENTAL_ACTIVE",
    e.NotReRentable: "BAD_SERVICE",
    e.Maintenance: "MAINTENANCE",
    e.RateLimited: "RENTAL_ERROR_TRY_AGAIN",
    e.TenantRateLimited: "RENTAL_ERROR_TRY_AGAIN",
    e.UpstreamUnavailable: GENERIC,
    e.UpstreamRejected: GENERIC,
    e.StoreUnavailable: GENERIC,
    e.OutcomeUnknown: "RENTAL_ERROR_TRY_AGAIN",  # reconciled, never bought again blind
    e.PurchaseInDoubt: "RENTAL_ERROR_TRY_AGAIN",
    },
    generic="RENTAL_ERROR",
    by_action={"setStatus:6": {e.BadTransition: "NO_ACTIVATION"}},  # "must be in viewed status"
)


def _id(call: Call) -> int:
    activation_id = positive_int(call.params.get("id") or call.params.get("activationId"))
    if activation_id is None:
        raise Answer("BAD_ID")
    return activation_id


async def get_number(call: Call) -> web.Response:
    a = await call.service.rent(call.tenant, order(call.params, call.vocab, check_country=False))
    return text_response(f"ACCESS_NUMBER:{a.id}:{sa.phone(a)}")


async def get_status(call: Call) -> web.Response:
    a = await call.service.status(call.tenant, _id(call))
    if a.code is not None:
        return text_response(f"STATUS_OK:{a.code}")
    if a.status.is_open:
        return text_response("STATUS_WAIT_CODE")
    return text_response("STATUS_CANCEL")


async def set_status(call: Call) -> web.Response:
    activation_id = _id(call)
    status = call.params.get("status")
    if status == "8":
        await call.service.cancel(call.tenant, activation_id)
        return text_response("ACCESS_CANCEL")
    if status == "6":
        await call.service.complete(call.tenant, activation_id)
        return text_response("ACCESS_ACTIVATION")
    await call.service.status(call.tenant, activation_id)
    return text_response("BAD_STATUS")


async def get_extra_activation(call: Call) -> web.Response:
    a = await call.service.extra(call.tenant, _id(call))
    return text_response(f"ACCESS_NUMBER:{a.id}:{sa.phone(a)}")


async def get_prices(call: Call) -> web.Response:
    if call.params.get("country") != str(USA):
        return text_response("BAD_COUNTRY")
    names = [call.vocab.api_name(n) for n in listing(call.params.get("service"))]
    if not names:
        return text_response("BAD_SERVICE")
    offers = {o.service: o for o in await call.service.offers(call.tenant)}
    rows = [
        {o.service: {"cost": float(o.cost), "count": o.stock, "physicalCount": o.stock}}
        for o in (offers.get(n) for n in names if n)
        if o is not None
    ]
    if not rows:
        return text_response("BAD_SERVICE")
    return json_response(rows)


ACTIONS: dict[str, Action] = {
    "getNumber": get_number,
    "getStatus": get_status,
    "setStatus": set_status,
    "getBalance": sa.get_balance,
    "getExtraActivation": get_extra_activation,
    "getPrices": get_prices,
}

GETATEXT_LEGACY = Flavour(
    name="getatext",
    actions=ACTIONS,
    tokens=TOKENS,
    missing_key="BAD_KEY",
    aliases={},
)
