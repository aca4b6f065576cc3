"""OnlineSIM's rent service (`/api/rent/{method}.php`) on the core's long rentals
(docs/vendor/onlinesim-protocol.md §5): a whole number, for any service, for some days.

`days` picks the shortest whole-number period of the providers that covers them;
`extension` is auto-renewal; `extendRentState` renews by one period; `closeRentNum`
cancels (refunded where the vendor refunds an early cancel before any message). An
operation's `tzid` is the proxy's long-rental id."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from proxy.domain import LongChange, LongOffer, LongOrder, LongRental, LongRentalState
from proxy.errors import BadTransition

from .. import countries
from ..base import TRUE, json_response, positive_int
from .frame import Call, Method, Word, answer
from .methods import PHONE_CODES

DAY = 86400


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _days(offer: LongOffer) -> int:
    return max(1, round(offer.seconds / DAY))


def _money(value: Any) -> float:
    return float(value)


def item(rental: LongRental, now: float, days: int, paginated: bool) -> dict[str, Any]:
    """One rent operation as OnlineSIM shows it (its getRentNum and getRentState rows)."""
    newest_first = sorted(rental.messages, key=lambda m: m.received_at, reverse=True)
    rows = [
        {
            "id": index + 1,
            "service": m.sender,
            "text": m.text,
            "code": m.code or "",
            "created_at": _when(m.received_at),
        }
        for index, m in enumerate(newest_first)
    ]
    left = max(0, int(rental.end_time - now))
    messages: Any = rows
    if paginated:
        count = len(rows)
        messages = {
            "current_page": 1,
            "data": rows,
            "from": 1,
            "last_page": 1,
            "per_page": max(count, 20),
            "to": count,
            "total": count,
        }
    return {
        "status": 1 if rental.messages else 0,
        "extension": 1 if rental.auto_renew else 0,
        "messages": messages,
        "sum": f"{rental.cost:.2f}",
        "country": int(countries.BY_ISO[rental.country].calling_code),
        "checked_time": _when(rental.checked_at or now),
        "number": rental.number,
        "rent": 1,
        "tzid": rental.id,
        "time": left,
        "days": left // DAY,
        "hours": left // 3600,
        "extend": {str(days): _money(rental.cost)},
        "checked": True,
        "reload": 0,
        "day_extend": days,
        "m_ext": rental.auto_renew,
        "freeze": False,
    }


def _country(call: Call) -> str:
    iso = PHONE_CODES.get(call.params.get("country", "1"))
    if iso is None:
        raise Word("UNDEFINED_COUNTRY")
    return iso


def _tzid(call: Call) -> int:
    found = positive_int(call.params.get("tzid"))
    if found is None:
        raise Word("ERROR_NO_TZID" if not call.params.get("tzid") else "ERROR_WRONG_TZID")
    return found


async def _whole_offers(call: Call, iso: str) -> list[LongOffer]:
    offers = await call.service.long_rentals.offers(call.tenant, iso)
    return sorted((o for o in offers if o.service is None), key=lambda o: o.seconds)


async def tariffs(call: Call) -> web.Response:
    """`tariffsRent`: the periods on sale, in days, their stock and price."""
    wanted = call.params.get("country")
    codes = [wanted] if wanted else ["1"]
    table: dict[str, Any] = {}
    for code in codes:
        iso = PHONE_CODES.get(code)
        offers = await _whole_offers(call, iso) if iso else []
        table[code] = {
            "code": int(code),
            "enabled": bool(offers),
            "name": countries.BY_ISO[iso].name if iso else "",
            "new": False,
            "position": 0,
            "count": {str(_days(o)): o.stock if o.stock is not None else 1 for o in offers},
            "days": {str(_days(o)): _money(o.cost) for o in offers},
            "extend": _money(offers[0].cost) if offers else 0,
            "confirm": True,
        }
    return json_response(table[codes[0]] if wanted else table)


async def get_rent_num(call: Call) -> web.Response:
    iso = _country(call)
    days = positive_int(call.params.get("days")) or 1
    offer = await call.service.long_rentals.period_for(call.tenant, None, days * DAY, iso)
    auto_renew = call.params.get("extension", "").lower() in TRUE
    order = LongOrder(None, offer.period, auto_renew=auto_renew, country=iso)
    rental = await call.service.long_rentals.rent(call.tenant, order)
    paginated = call.params.get("pagination", "").lower() in TRUE
    return answer(item=item(rental, call.service.clock.now(), _days(offer), paginated))


async def _period_days(call: Call, rental: LongRental) -> int:
    """The days one renewal adds (its period; as rented, when no longer sold)."""
    try:
        return _days(await call.service.long_rentals.period_of(call.tenant, rental))
    except BadTransition:
        return max(1, round((rental.end_time - rental.created_at) / DAY))


async def _read(call: Call) -> tuple[LongRental, int]:
    rental = await call.service.long_rentals.status(call.tenant, _tzid(call))
    return rental, await _period_days(call, rental)


async def get_rent_state(call: Call) -> web.Response:
    """One operation (`tzid`), or every active one; messages newest first."""
    now, paginated = call.service.clock.now(), call.params.get("pagination", "").lower() in TRUE
    if call.params.get("tzid"):
        rental, days = await _read(call)
        if rental.state is not LongRentalState.ACTIVE:
            raise Word("ERROR_NO_OPERATIONS")
        return answer(list=[item(rental, now, days, paginated)])
    rentals = call.service.long_rentals
    listed = []
    for rental in await rentals.listing(call.tenant, active_only=True):
        listed.append(item(rental, now, await _period_days(call, rental), paginated))
    return answer(list=listed)


async def extend_rent_state(call: Call) -> web.Response:
    """Renewed by its period (`days` must be one the operation's `extend` lists)."""
    rental, days = await _read(call)
    if positive_int(call.params.get("days")) != days:
        raise Word("ERROR_PARAMS")
    renewed = await call.service.long_rentals.change(call.tenant, rental.id, LongChange.RENEW)
    return answer(item=item(renewed, call.service.clock.now(), days, False))


async def close_rent_num(call: Call) -> web.Response:
    rental = await call.service.long_rentals.get(call.tenant, _tzid(call))
    await call.service.long_rentals.change(call.tenant, rental.id, LongChange.CANCEL)
    return answer()


async def port_reload(call: Call) -> web.Response:
    """Asks the vendor to reload the number's port: nothing to do at a proxy."""
    await call.service.long_rentals.get(call.tenant, _tzid(call))
    return answer()


RENT_METHODS: Mapping[str, Method] = {
    "tariffsRent": tariffs,
    "getRentNum": get_rent_num,
    "getRentState": get_rent_state,
    "extendRentState": extend_rent_state,
    "closeRentNum": close_rent_num,
    "portReload": port_reload,
}
