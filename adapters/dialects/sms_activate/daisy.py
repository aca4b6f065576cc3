"""DaisySMS's own calls on the SMS-Activate frame (protocol reference §9, DAISY): the
price in an `X-Price` header, several numbers at once (`/stubs/multi/reserve`), and
long-term rentals (`getNumber&ltr=1`, `auto_renew`, `setAutoRenew`) bought as the core's
long rentals, read and cancelled through the same getStatus and setStatus as a rental.

A long rental's id is the core's (long rentals are numbered from 5,000,000, apart from
activations): getStatus and setStatus look one up only when no activation has the id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from proxy import errors as e
from proxy.domain import LongChange, LongOrder, LongRental, LongRentalState

from ..base import boolean, positive_int, text_response
from . import actions as a
from . import params as p
from .frame import Call

MULTI_RESERVE_MAX = 10
LONG_TERM_SECONDS = 30 * 24 * 3600  # DaisySMS rents long-term numbers by the month


async def get_number(call: Call) -> web.Response:
    """A rental, or with `ltr=1` a long-term one; the price in `X-Price`."""
    if boolean(call.params.get("ltr")):
        rental = await _long_term(call)
        answer = text_response(f"ACCESS_NUMBER:{rental.id}:1{rental.number}")
        answer.headers["X-Price"] = a.money(rental.cost)
        return answer
    bought = await call.service.rent(call.tenant, p.order(call.params, call.vocab))
    answer = text_response(f"ACCESS_NUMBER:{bought.id}:{a.phone(bought)}")
    answer.headers["X-Price"] = a.money(bought.cost)
    return answer


async def _long_term(call: Call) -> LongRental:
    service = call.vocab.api_name(call.params.get("service"))
    if service is None:
        raise e.BadService()
    rentals = call.service.long_rentals
    offer = await rentals.period_for(call.tenant, service, LONG_TERM_SECONDS)
    order = LongOrder(service, offer.period, auto_renew=boolean(call.params.get("auto_renew")))
    return await rentals.rent(call.tenant, order)


async def multi_reserve(call: Call) -> web.Response:
    """`/stubs/multi/reserve?service=…&count=…`: several numbers, one purchase each, in
    order; stops at the first refusal (its token when nothing was bought). One token a
    line, as DaisySMS's clients parse it: the number, `-`, then a reference carrying the
    rental's id (`re.match(r'^[^-]+')`, `re.search(r'[?&]id=([^&]+)')`)."""
    count = min(positive_int(call.params.get("count")) or 1, MULTI_RESERVE_MAX)
    tokens: list[str] = []
    for _ in range(count):
        try:
            bought = await call.service.rent(call.tenant, p.order(call.params, call.vocab))
        except e.DomainError:
            if not tokens:
                raise
            break
        reference = f"/stubs/handler_api.php?action=getStatus&id={bought.id}"
        tokens.append(f"{a.phone(bought)}-{reference}")
    return text_response("\n".join(tokens))


async def _long_rental(call: Call, missing: e.DomainError) -> LongRental:
    """The caller's long rental of the asked id, else the activation's own refusal."""
    try:
        return await call.service.long_rentals.get(call.tenant, p.activation_id(call.params))
    except e.NotFound:
        raise missing from None


def _or_long_rental(
    action: Callable[[Call], Awaitable[web.Response]],
    on_long: Callable[[Call, LongRental], Awaitable[web.Response]],
) -> Callable[[Call], Awaitable[web.Response]]:
    async def act(call: Call) -> web.Response:
        try:
            return await action(call)
        except e.NotFound as missing:
            return await on_long(call, await _long_rental(call, missing))

    return act


async def _long_status(call: Call, rental: LongRental) -> web.Response:
    read = await call.service.long_rentals.status(call.tenant, rental.id)
    if read.state is LongRentalState.CANCELLED:
        return text_response("STATUS_CANCEL")
    newest = sorted(read.messages, key=lambda m: m.received_at, reverse=True)
    codes = [m.code for m in newest if m.code]
    return text_response(f"STATUS_OK:{codes[0]}" if codes else "STATUS_WAIT_CODE")


async def _long_set_status(call: Call, rental: LongRental) -> web.Response:
    status = call.params.get("status")
    rentals = call.service.long_rentals
    if status in ("8", "-1"):
        await rentals.change(call.tenant, rental.id, LongChange.CANCEL)
        return text_response("ACCESS_CANCEL")
    if status == "6":
        await rentals.finish(call.tenant, rental.id)
        return text_response("ACCESS_ACTIVATION")
    return text_response("BAD_STATUS")


async def set_auto_renew(call: Call) -> web.Response:
    """`setAutoRenew&id=…&value=true|false` on a long-term rental; `BAD_REQUEST` for an
    id that is none of the caller's."""
    try:
        rental = await call.service.long_rentals.get(call.tenant, p.activation_id(call.params))
    except e.NotFound:
        return text_response("BAD_REQUEST")
    on = boolean(call.params.get("value"))
    change = LongChange.AUTO_RENEW_ON if on else LongChange.AUTO_RENEW_OFF
    await call.service.long_rentals.change(call.tenant, rental.id, change)
    return text_response("OK")


get_status = _or_long_rental(a.get_status, _long_status)
set_status = _or_long_rental(a.set_status, _long_set_status)
