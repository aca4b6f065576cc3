"""OnlineSIM's methods, each a core call and the answer its clients read
(docs/vendor/onlinesim-protocol.md §2, §4)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from aiohttp import web

from proxy.domain import Activation, ActivationStatus, Order

from .. import countries
from ..base import TRUE, json_response, positive_int
from .frame import Call, Method, Word, answer

S = ActivationStatus
# OnlineSIM names countries by their calling code (countries.py: one table)
PHONE_CODES: Mapping[str, str] = countries.BY_CALLING_CODE


def _money(value: Decimal) -> float:
    return float(value)


def _country(call: Call) -> str:
    iso = PHONE_CODES.get(call.params.get("country", "1"))
    if iso is None:
        raise Word("UNDEFINED_COUNTRY")
    return iso


def _tzid(call: Call) -> int:
    if not call.params.get("tzid"):
        raise Word("ERROR_NO_TZID")
    found = positive_int(call.params.get("tzid"))
    if found is None:
        raise Word("ERROR_WRONG_TZID")
    return found


def state_of(a: Activation) -> str:
    if a.status is S.CODE_RECEIVED:
        return "TZ_NUM_ANSWER"
    if a.status.is_open:
        return "TZ_NUM_WAIT"  # waiting, or waiting for another SMS after a revise
    if a.status is S.COMPLETED or a.code is not None:
        return "TZ_OVER_OK"
    return "TZ_OVER_EMPTY"


def operation(a: Activation, call: Call, now: float) -> dict[str, Any]:
    row: dict[str, Any] = {
        "country": int(countries.of(a).calling_code),
        "sum": _money(a.cost),
        "service": a.service,
        "number": "+" + countries.international(a),
        "response": state_of(a),
        "tzid": a.id,
        "time": max(0, int(a.end_time - now)),
        "form": "index",
    }
    codes = [c for c in dict.fromkeys((a.retry_code, a.code)) if c]
    if codes:  # every SMS so far; a client waiting for another compares with its last
        if call.params.get("msg_list", "true").lower() in TRUE:
            row["msg"] = [{"service": a.service, "msg": c} for c in codes]
        else:
            row["msg"] = codes[-1]
    return row


async def get_balance(call: Call) -> web.Response:
    balance = await call.service.balance(call.tenant)
    return answer(balance=f"{balance:.2f}", zbalance=0, income=0)


async def get_num(call: Call) -> web.Response:
    service = call.vocab.api_name(call.params.get("service"))
    if service is None:
        raise Word("ERROR_NO_SERVICE")
    country = _country(call)
    a = await call.service.rent(call.tenant, Order((service,), country=country))
    if call.params.get("number", "").lower() in TRUE:
        return answer(tzid=a.id, number="+" + countries.international(a))
    return answer(tzid=a.id)


async def get_state(call: Call) -> web.Response:
    now = call.service.clock.now()
    if call.params.get("tzid"):
        found = [await call.service.status(call.tenant, _tzid(call))]
    else:
        found = await call.service.active(call.tenant)
        if not found:
            raise Word("ERROR_NO_OPERATIONS")
    return json_response([operation(a, call, now) for a in found])


async def set_operation_ok(call: Call) -> web.Response:
    """Over: finished with its code, or cancelled (refunded) without one."""
    tzid = _tzid(call)
    current = await call.service.status(call.tenant, tzid)
    if call.params.get("ban") == "1":
        await call.service.ban(call.tenant, tzid)
    elif current.code is not None:
        await call.service.complete(call.tenant, tzid)
    elif current.status.is_open:
        await call.service.cancel(call.tenant, tzid)
    return answer()


async def set_operation_revise(call: Call) -> web.Response:
    tzid = _tzid(call)
    await call.service.request_another(call.tenant, tzid)
    return answer(tzid=tzid)


async def get_numbers_stats(call: Call) -> web.Response:
    offers = await call.service.offers(call.tenant)
    country = {
        "name": "USA",
        "position": 0,
        "code": 1,
        "services": {
            f"service_{o.service}": {
                "count": o.stock,
                "popular": False,
                "code": 1,
                "price": _money(o.cost),
                "id": i + 1,
                "service": o.name,
                "slug": o.service,
            }
            for i, o in enumerate(offers)
        },
    }
    wanted = call.params.get("country", "1")
    if wanted == "all":
        return json_response({"1": country})
    if PHONE_CODES.get(wanted) != "us":
        return json_response({"name": "", "position": 0, "code": wanted, "services": {}})
    return json_response(country)


async def get_price(call: Call) -> web.Response:
    service = call.vocab.api_name(call.params.get("service"))
    if service is None:
        raise Word("ERROR_NO_SERVICE")
    offers = {o.service: o for o in await call.service.offers(call.tenant)}
    if service not in offers:
        raise Word("NO_NUMBER")
    return answer(price=_money(offers[service].cost))


async def get_service_list(call: Call) -> web.Response:
    offers = await call.service.offers(call.tenant)
    services = [{"id": i + 1, "service": o.name, "slug": o.service} for i, o in enumerate(offers)]
    return answer(services=services)


METHODS: Mapping[str, Method] = {
    "getBalance": get_balance,
    "getNum": get_num,
    "getState": get_state,
    "setOperationOk": set_operation_ok,
    "setOperationRevise": set_operation_revise,
    "getNumbersStats": get_numbers_stats,
    "getPrice": get_price,
    "getServiceList": get_service_list,
}
