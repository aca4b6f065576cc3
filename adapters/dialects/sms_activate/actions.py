"""SMS-Activate actions, each a domain call and an exact answer (protocols §2, §10, §11)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from aiohttp import web

from proxy.domain import Activation, ActivationStatus, Offer
from proxy.errors import NotFound

from .. import countries
from ..base import boolean, json_response, listing, text_response
from ..codes import COUNTRIES, OPERATOR_NAMES, USA, USA_ALIASES
from . import params as p
from .frame import Call

S = ActivationStatus
CURRENCY_USD = 840


def phone(a: Activation) -> str:
    return countries.international(a)


def money(value: Decimal) -> str:
    return f"{value:.2f}"


def when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def wanted_id(call: Call) -> int:
    activation_id = p.activation_id(call.params)
    if activation_id is None:
        if call.params.get("id") or call.params.get("activationId"):
            raise p.Answer("WRONG_ACTIVATION_ID")
        raise NotFound()
    return activation_id


async def get_balance(call: Call) -> web.Response:
    return text_response(f"ACCESS_BALANCE:{money(await call.service.balance(call.tenant))}")


async def get_number(call: Call) -> web.Response:
    a = await call.service.rent(call.tenant, p.order(call.params, call.vocab))
    return text_response(f"ACCESS_NUMBER:{a.id}:{phone(a)}")


async def get_number_v2(call: Call) -> web.Response:
    order = p.order(call.params, call.vocab)
    a = await call.service.rent(call.tenant, order, call.params.get("orderId"))
    return json_response(
        {
            "activationId": str(a.id),
            "phoneNumber": phone(a),
            "activationCost": money(a.cost),
            "currency": CURRENCY_USD,
            "countryCode": str(countries.of(a).sms_activate),
            "canGetAnotherSms": a.multiple_sms,
            "activationTime": when(a.created_at),
            "activationOperator": order.carrier.replace("&", "") if order.carrier else "any",
            "activationEndTime": when(a.end_time),
        }
    )


async def get_multi_service_number(call: Call) -> web.Response:
    activations = await call.service.rent_many(
        call.tenant, p.order(call.params, call.vocab, many=True)
    )
    return json_response(
        [
            {"activation": str(a.id), "phone": phone(a), "service": call.vocab.code(a.service)}
            for a in activations
        ]
    )


def status_token(a: Activation) -> str:
    """protocols §13.5: finished activations read STATUS_CANCEL; an expired one with a
    code keeps showing it until the client finishes."""
    if a.status is S.WAITING:
        return "STATUS_WAIT_CODE"
    if a.status is S.RETRY_WAIT:
        return f"STATUS_WAIT_RETRY:{a.retry_code}"
    if a.status is S.CODE_RECEIVED or (a.status is S.EXPIRED and a.code):
        return f"STATUS_OK:{a.code}"
    return "STATUS_CANCEL"


async def get_status(call: Call) -> web.Response:
    return text_response(status_token(await call.service.status(call.tenant, wanted_id(call))))


def _sms(a: Activation) -> dict[str, str] | None:
    if a.code is None:
        return None
    return {"dateTime": when(a.code_at or a.created_at), "code": a.code, "text": a.code}


async def get_status_v2(call: Call) -> web.Response:
    a = await call.service.status(call.tenant, wanted_id(call))
    if status_token(a) == "STATUS_CANCEL":
        return text_response("STATUS_CANCEL")
    return json_response({"verificationType": 0, "sms": _sms(a), "call": None})


async def get_full_sms(call: Call) -> web.Response:
    a = await call.service.status(call.tenant, wanted_id(call))
    token = status_token(a)
    if token.startswith(("STATUS_OK", "STATUS_WAIT_RETRY")) and a.code:
        return text_response(f"FULL_SMS:{a.code}")
    return text_response("STATUS_CANCEL" if token == "STATUS_CANCEL" else "STATUS_WAIT_CODE")


async def set_status(call: Call) -> web.Response:
    status = call.params.get("status")
    activation_id = wanted_id(call)
    service, tenant = call.service, call.tenant
    if status == "1":
        await service.mark_ready(tenant, activation_id)
        return text_response("ACCESS_READY")
    if status == "3":
        await service.request_another(tenant, activation_id)
        return text_response("ACCESS_RETRY_GET")
    if status == "6":
        await service.complete(tenant, activation_id)
        return text_response("ACCESS_ACTIVATION")
    if status in ("8", "-1"):
        await service.cancel(tenant, activation_id)
        return text_response("ACCESS_CANCEL")
    await service.status(tenant, activation_id)  # an unknown id answers NO_ACTIVATION first
    return text_response("BAD_STATUS")


async def get_active_activations_rows(call: Call) -> list[dict[str, object]]:
    return [
        {
            "activationId": str(a.id),
            "serviceCode": call.vocab.code(a.service),
            "phoneNumber": phone(a),
            "activationCost": money(a.cost),
            "activationStatus": "2",  # D21
            "smsCode": a.code,
            "smsText": a.code,
            "activationTime": when(a.created_at),
            "discount": "0.00",
            "repeated": "0",
            "countryCode": str(countries.of(a).sms_activate),
            "countryName": countries.of(a).short_name,
            "canGetAnotherSms": "1" if a.multiple_sms else "0",
            "currency": CURRENCY_USD,
        }
        for a in await call.service.active(call.tenant)
    ]


async def get_active_activations(call: Call) -> web.Response:
    rows = await get_active_activations_rows(call)
    if not rows:
        return json_response({"status": "error", "error": "NO_ACTIVATIONS"})
    return json_response({"status": "success", "activeActivations": rows})


async def offers_for(call: Call) -> list[Offer]:
    """Offers for the requested country and service (codes or api_names); none abroad."""
    if call.params.get("country", "").lower() not in USA_ALIASES:
        return []
    offers = list(await call.service.offers(call.tenant))
    wanted = {call.vocab.api_name(s) for s in listing(call.params.get("service"))}
    return [o for o in offers if not wanted or o.service in wanted]


def _cost(value: Decimal) -> float:
    return float(value)


async def get_prices(call: Call) -> web.Response:
    offers = await offers_for(call)
    if not offers:
        return json_response({})
    return json_response(
        {
            str(USA): {
                call.vocab.code(o.service): {
                    "cost": _cost(o.cost),
                    "count": o.stock,
                    "physicalCount": o.stock,
                }
                for o in offers
            }
        }
    )


async def get_prices_verification(call: Call) -> web.Response:
    return json_response(
        {
            call.vocab.code(o.service): {str(USA): {"count": o.stock, "price": money(o.cost)}}
            for o in await offers_for(call)
        }
    )


async def get_numbers_status(call: Call) -> web.Response:
    return json_response(
        {f"{call.vocab.code(o.service)}_0": str(o.stock) for o in await offers_for(call)}
    )  # D20


async def get_top_countries(call: Call) -> web.Response:
    if not call.params.get("service"):
        return text_response("BAD_SERVICE")
    offers = await offers_for(call)
    if not offers:
        return text_response("BAD_SERVICE")
    o = offers[0]
    row: dict[str, object] = {
        "country": USA,
        "count": o.stock,
        "price": _cost(o.cost),
        "retail_price": _cost(o.cost),
    }
    if boolean(call.params.get("freePrice") or call.params.get("$freePrice")):
        row["freePriceMap"] = {money(o.cost): o.stock}
    return json_response({"0": row})


async def get_countries(call: Call) -> web.Response:
    """The countries the configured providers sell, in SMS-Activate's shape."""
    listing = {}
    for c in countries.sold(call.service.countries_sold()):
        listing[str(c.sms_activate)] = {
            **COUNTRIES.get(str(c.sms_activate), {}),
            "id": c.sms_activate,
            "rus": c.russian or c.name,
            "eng": c.short_name,
            "chn": c.chinese or c.name,
            "visible": 1,
            "retry": 1,
            "rent": 0,
            "multiService": 1,
        }
    return json_response(listing)


async def get_operators(call: Call) -> web.Response:
    if call.params.get("country", "").lower() not in USA_ALIASES:
        return json_response({"status": "error", "error": "OPERATORS_NOT_FOUND"})
    return json_response(
        {"status": "success", "countryOperators": {str(USA): list(OPERATOR_NAMES)}}
    )


async def get_services_list(call: Call) -> web.Response:
    offers = await call.service.offers(call.tenant)
    return json_response(
        {
            "status": "success",
            "services": [{"code": call.vocab.code(o.service), "name": o.name} for o in offers],
        }
    )


async def get_extra_activation(call: Call) -> web.Response:
    a = await call.service.extra(call.tenant, wanted_id(call))
    return text_response(f"ACCESS_NUMBER:{a.id}:{phone(a)}")


async def check_extra_activation(call: Call) -> web.Response:
    parent, cost = await call.service.quote_extra(call.tenant, wanted_id(call))
    return json_response(
        {
            "status": "success",
            "cost": _cost(cost),
            "service": call.vocab.code(parent.service),
            "phone": int(phone(parent)),
            "country": USA,
        }
    )


async def get_additional_service(_call: Call) -> web.Response:
    return text_response("WRONG_SECURITY")  # no forwarding activations exist here
