"""SMS-Activate's rent API (protocols §3) over the core's long rentals.

Rent answers are JSON; errors are `{"status":"error","message":TOKEN}` (never the word
"success": the official Java client looks for it in the raw body). Decisions R1-R6 in
docs/long-rentals.md:

- R1 hours: a vendor sells fixed periods, so `rent_time` hours buy the shortest period
  that covers them (4 h buys a day); more than the longest is `MAX_HOURS_EXCEED`.
- R2 `full` (the whole number) is a long rental without a service.
- R3 finish (`status=1`) switches auto-renewal off and lets the number go: it stays paid
  to its end at the vendor and reads finished to every dialect.
- R4 continue renews by the rental's own period (the vendor's rule); hours beyond it
  are `MAX_HOURS_EXCEED` with the period as the maximum.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from proxy import errors as e
from proxy.domain import LongChange, LongOffer, LongOrder, LongRental, LongRentalState
from proxy.errors import DomainError, NotFound

from .. import countries
from ..answers import GENERIC, ErrorTable
from ..base import first, json_response, positive_int
from . import params as p
from .frame import Action, Answered, Call

CURRENCY_USD = 840
FULL = "full"
DEFAULT_HOURS = 4  # the clients' default (the document says 2; both buy the shortest period)
HOUR = 3600.0
S = LongRentalState

ERRORS: ErrorTable[str] = ErrorTable(
    rows={
    e.MissingKey: "BAD_KEY",  # answered in plain text by the frame
    e.BadKey: "BAD_KEY",  # likewise
    e.NoNumbers: "NO_NUMBERS",
    e.CountryNotAllowed: "NO_NUMBERS",
    e.CountryNotServed: "NO_NUMBERS",
    e.NoBalance: "NO_BALANCE",
    e.OverBudget: "NO_BALANCE",
    e.BadService: "BAD_SERVICE",
    e.ServiceNotAllowed: "BAD_SERVICE",
    e.ServiceUnavailable: "BAD_SERVICE",
    e.ApprovalRequired: "BAD_SERVICE",
    e.MaxPriceExceeded: "NO_NUMBERS",  # none at the tenant's price
    e.PeriodTooLong: "MAX_HOURS_EXCEED",  # R1, R4: rent_action adds the longest
    e.RentalLimit: "CHANNELS_LIMIT",
    e.TenantCap: "CHANNELS_LIMIT",
    e.WrongCarrier: "NO_NUMBERS",
    e.NumberTaken: "NO_NUMBERS",
    e.CombinationFailed: "NO_NUMBERS",
    e.DuplicateOrder: GENERIC,
    e.NotFound: "INVALID_PHONE",
    e.EarlyCancel: "CANT_CANCEL",
    e.BadTransition: "CANT_CANCEL",
    e.NotViewed: GENERIC,
    e.Expired: "CANT_CANCEL",
    e.StillActive: GENERIC,
    e.NotReRentable: GENERIC,
    e.Maintenance: GENERIC,
    e.RateLimited: GENERIC,
    e.TenantRateLimited: GENERIC,
    e.UpstreamUnavailable: GENERIC,
    e.UpstreamRejected: GENERIC,
    e.StoreUnavailable: GENERIC,
    e.OutcomeUnknown: GENERIC,
    e.PurchaseInDoubt: GENERIC,
    },
    generic="SERVER_ERROR",
    by_action={"continueRentNumber": {e.BadTransition: "RENT_DIE"}},
)


class Refused(Exception):
    def __init__(self, token: str, info: Mapping[str, Any] | None = None) -> None:
        super().__init__(token)
        self.token, self.info = token, info


def refusal(token: str, info: Mapping[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"status": "error", "message": token}
    if info is not None:
        body["info"] = dict(info)
    return json_response(body)


def rent_action(work: Callable[[Call], Awaitable[web.Response]]) -> Action:
    """Errors in the rent API's JSON envelope instead of the plain tokens."""

    async def act(call: Call) -> web.Response:
        try:
            return await work(call)
        except e.AuthError:
            raise  # BAD_KEY stays plain text, as for every action
        except Refused as refused:
            raise Answered(refusal(refused.token, refused.info), "bad_request") from None
        except e.PeriodTooLong as too_long:  # R1, R4: the longest period, in hours
            info = {"max": int(too_long.longest // HOUR)}
            raise Answered(refusal("MAX_HOURS_EXCEED", info), "PeriodTooLong") from None
        except DomainError as error:
            token = ERRORS.answer(error, call.action)
            raise Answered(refusal(token), type(error).__name__) from None

    return act


# -- reading the request ---------------------------------------------------------------------
def hours(call: Call) -> int:
    raw = first(call.params, "rent_time", "time", "hours")
    if raw is None or raw == "":
        return DEFAULT_HOURS
    value = positive_int(raw)
    if value is None:
        raise Refused("INVALID_TIME")
    return value


def rent_id(call: Call) -> int:
    if not call.params.get("id"):
        raise Refused("NO_ID_RENT")
    value = positive_int(call.params.get("id"))
    if value is None:
        raise NotFound()
    return value


def country_asked(call: Call) -> str:
    """ISO 3166 of the `country` parameter (none: the United States)."""
    return p.country(call.params.get("country", ""))


def wanted_service(call: Call) -> str | None:
    """None for `full`; `BAD_SERVICE` for a missing or impossible code."""
    code = call.params.get("service") or ""
    if code == FULL:
        return None
    name = call.vocab.api_name(code)
    if name is None:
        raise e.BadService()
    return name


def end_date(rental: LongRental) -> str:
    return datetime.fromtimestamp(rental.end_time, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def phone(rental: LongRental) -> dict[str, Any]:
    return {"id": rental.id, "endDate": end_date(rental), "number": countries.international(rental)}


def keyed(items: Sequence[Any]) -> dict[str, Any]:
    """The rent API's lists are objects keyed "0", "1", … (the official clients' maps)."""
    return {str(i): item for i, item in enumerate(items)}


# -- actions -----------------------------------------------------------------------------------
@rent_action
async def get_rent_services_and_countries(call: Call) -> web.Response:
    try:
        offers = await call.service.long_rentals.offers(call.tenant, country_asked(call))
    except e.NoNumbers:
        raise Refused("OUT_OF_STOCK") from None  # §3.1: no numbers for the country
    wanted = hours(call)
    stock = {o.service: o.stock for o in await call.service.offers(call.tenant)}
    services: dict[str, dict[str, Any]] = {}
    for service in dict.fromkeys(o.service for o in offers):
        lasting = sorted((o for o in offers if o.service == service), key=lambda o: o.seconds)
        offer = next((o for o in lasting if o.seconds >= wanted * HOUR), None)
        if offer is None:
            continue  # not sold that long
        code = FULL if service is None else call.vocab.code(service)
        quant = offer.stock if offer.stock is not None else stock.get(service or "", 0)
        services[code] = {"cost": float(offer.cost), "quant": quant}
    if not services:
        raise Refused("OUT_OF_STOCK")
    return json_response(
        {
            "countries": {"0": 187},
            "operators": {"0": "any"},
            "services": services,
            "currency": CURRENCY_USD,
        }
    )


@rent_action
async def get_rent_number(call: Call) -> web.Response:
    country = country_asked(call)
    service = wanted_service(call)
    rentals = call.service.long_rentals
    offer = await rentals.period_for(call.tenant, service, hours(call) * HOUR, country)
    order = LongOrder(service, offer.period, country=country)
    rental = await rentals.rent(call.tenant, order)
    return json_response({"status": "success", "phone": phone(rental)})


def message_rows(call: Call, rental: LongRental) -> list[dict[str, str]]:
    service = FULL if rental.service is None else call.vocab.code(rental.service)
    newest_first = sorted(rental.messages, key=lambda m: m.received_at, reverse=True)
    return [
        {
            "phoneFrom": m.sender,
            "text": m.text,
            "service": service,
            "date": datetime.fromtimestamp(m.received_at, UTC).strftime("%Y-%m-%d %H:%M:%S"),
        }
        for m in newest_first
    ]


@rent_action
async def get_rent_status(call: Call) -> web.Response:
    rental = await call.service.long_rentals.status(call.tenant, rent_id(call))
    if rental.state is S.CANCELLED:
        raise Refused("STATUS_CANCEL")
    rows = message_rows(call, rental)
    if not rows:
        raise Refused("STATUS_WAIT_CODE" if rental.state is S.ACTIVE else "STATUS_FINISH")
    page = max(positive_int(call.params.get("page")) or 1, 1)
    size = positive_int(call.params.get("size")) or 10
    shown = rows[(page - 1) * size : page * size]
    return json_response({"status": "success", "quantity": str(len(rows)), "values": keyed(shown)})


@rent_action
async def set_rent_status(call: Call) -> web.Response:
    wanted = rent_id(call)
    status = call.params.get("status")
    if status not in ("1", "2"):
        raise Refused("INCORECT_STATUS")
    rentals = call.service.long_rentals
    rental = await rentals.get(call.tenant, wanted)
    if rental.state is S.CANCELLED:
        raise Refused("ALREADY_CANCEL")
    if rental.state is not S.ACTIVE:
        raise Refused("ALREADY_FINISH")
    if status == "1":
        await rentals.finish(call.tenant, wanted)
    else:
        await rentals.change(call.tenant, wanted, LongChange.CANCEL)
    return json_response({"status": "success"})


@rent_action
async def get_rent_list(call: Call) -> web.Response:
    held = await call.service.long_rentals.listing(call.tenant, active_only=True)
    if not held:
        raise Refused("NO_NUMBERS")
    page = max(positive_int(call.params.get("page")) or 1, 1)
    size = positive_int(call.params.get("length")) or 10
    shown = held[(page - 1) * size : page * size]
    rows = [{"id": str(r.id), "phone": countries.international(r)} for r in shown]
    return json_response({"status": "success", "values": keyed(rows)})


async def _renewable(call: Call) -> tuple[LongRental, LongOffer]:
    """The rental and the period it renews by; R4: asking for more is MAX_HOURS_EXCEED."""
    rental = await call.service.long_rentals.get(call.tenant, rent_id(call))
    if rental.state is not S.ACTIVE:
        raise Refused("RENT_DIE")
    period = await call.service.long_rentals.period_of(call.tenant, rental)
    if hours(call) * HOUR > period.seconds:
        raise e.PeriodTooLong(period.seconds)
    return rental, period


@rent_action
async def continue_rent_number(call: Call) -> web.Response:
    rental, _period = await _renewable(call)
    renewed = await call.service.long_rentals.change(call.tenant, rental.id, LongChange.RENEW)
    return json_response({"status": "success", "phone": phone(renewed)})


@rent_action
async def get_continue_rent_price_number(call: Call) -> web.Response:
    rental, _period = await _renewable(call)
    return json_response(
        {"status": "success", "price": float(rental.cost), "currency": CURRENCY_USD}
    )


@rent_action
async def continue_rent_info(call: Call) -> web.Response:
    rental, period = await _renewable(call)
    return json_response(
        {
            "status": "success",
            "price": float(rental.cost),
            "currency": CURRENCY_USD,
            "hours": int(period.seconds // HOUR),
            "history": {},
        }
    )


ACTIONS: Mapping[str, Action] = {
    "getRentServicesAndCountries": get_rent_services_and_countries,
    "getRentNumber": get_rent_number,
    "getRentStatus": get_rent_status,
    "setRentStatus": set_rent_status,
    "getRentList": get_rent_list,
    "continueRentNumber": continue_rent_number,
    "getContinueRentPriceNumber": get_continue_rent_price_number,
    "continueRentInfo": continue_rent_info,
}
