"""The vendor's own legacy `GET /stubs/handler_api.php`, answering with its tokens."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

from aiohttp import web

from . import inputs, rentals, texts
from .keys import STATE
from .limits import RENT
from .model import Account
from .pricing import fmt_money
from .state import SandboxState
from .texts import VendorError

# Vendor error (by its text, up to any `{placeholder}`) -> legacy token.
TOKENS: tuple[tuple[tuple[int, str], str], ...] = (
    (texts.MAINTENANCE, "MAINTENANCE"),
    (texts.AUTH_MISSING, "BAD_KEY"),
    (texts.AUTH_WRONG, "BAD_KEY"),
    (texts.SERVICE_MISSING, "BAD_SERVICE"),
    (texts.SERVICE_NOT_FOUND, "BAD_SERVICE"),
    (texts.WRONG_CARRIER, "RENTAL_ERROR"),
    (texts.USER_RENTAL_LIMIT, "MAX_RENTALS_EXCEEDED"),
    (texts.GLOBAL_RENTAL_LIMIT, "MAX_RENTALS_EXCEEDED"),
    (texts.OUT_OF_STOCK_CARRIER_AREA, "OUT_OF_STOCK"),
    (texts.OUT_OF_STOCK_CARRIER, "OUT_OF_STOCK"),
    (texts.OUT_OF_STOCK_AREA, "OUT_OF_STOCK"),
    (texts.OUT_OF_STOCK, "OUT_OF_STOCK"),
    (texts.SERVICE_NOT_AVAILABLE, "SERVICE_NOT_AVAILABLE"),
    (texts.APPROVAL_REQUIRED, "APPROVAL_REQUIRED"),
    (texts.INSUFFICIENT_FUNDS_EXTRA, "INSUFFICIENT_FUNDS"),
    (texts.INSUFFICIENT_FUNDS, "INSUFFICIENT_FUNDS"),
    (texts.MAX_PRICE_EXCEEDED, "MAX_PRICE_EXCEEDED"),
    (texts.NUMBER_TAKEN, "RENTAL_ERROR_TRY_AGAIN"),
    (texts.RENTAL_NOT_FOUND, "NO_ACTIVATION"),
    (texts.CANCEL_TOO_EARLY, "RENTAL_LOCKED"),
    (texts.CANCEL_NOT_ALLOWED, "BAD_STATUS"),
    (texts.COMPLETE_NOT_VIEWED, "NO_ACTIVATION"),
    (texts.RENTAL_STILL_ACTIVE, "RENTAL_ACTIVE"),
    (texts.RERENT_NOT_ALLOWED, "BAD_SERVICE"),
)


def token_for(error: VendorError) -> str:
    for (status, text), token in TOKENS:
        prefix = text.split("{", 1)[0]
        if error.status == status and error.text.startswith(prefix):
            return token
    return "RENTAL_ERROR"


def _text(body: str) -> web.Response:
    return web.Response(body=body.encode(), content_type="text/html", charset="UTF-8")


def _rental_id(value: str | None) -> int:
    parsed = inputs.integer(value)
    if parsed is None:
        raise _Answer("BAD_ID")
    return parsed


class _Answer(Exception):
    """A finished legacy answer raised from deep inside an action."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


def get_number(s: SandboxState, a: Account, q: dict[str, str]) -> str:
    service = q.get("service") or None
    if service is None:
        return "BAD_SERVICE"
    if not s.limiter.allow(a.api_key, RENT):
        return "RENTAL_ERROR_TRY_AGAIN"
    prefs = rentals.Preferences(
        carrier=rentals.check_carrier(q.get("carrier") or None),
        keep_carrier=inputs.boolean(q, "keep_carrier"),
        area_codes=tuple(inputs.area_codes(q.get("area_codes"))),
        lock_area_code=inputs.boolean(q, "lock_area_code"),
    )
    rental = rentals.rent_number(s, a, service, prefs, inputs.decimal(q, "max_price"))
    return f"ACCESS_NUMBER:{rental.id}:1{rental.number.number}"


def get_status(s: SandboxState, a: Account, q: dict[str, str]) -> str:
    rental = rentals.read_status(s, a, _rental_id(q.get("id")))
    if rental.code is not None:
        return f"STATUS_OK:{rental.code}"
    if rental.is_open:
        return "STATUS_WAIT_CODE"
    return "STATUS_CANCEL"


def set_status(s: SandboxState, a: Account, q: dict[str, str]) -> str:
    rental_id = _rental_id(q.get("id"))
    status = q.get("status")
    if status == "8":
        rentals.cancel(s, a, rental_id)
        return "ACCESS_CANCEL"
    if status == "6":
        rentals.complete(s, a, rental_id)
        return "ACCESS_ACTIVATION"
    rentals.owned_rental(s, a, rental_id)
    return "BAD_STATUS"


def get_balance(_s: SandboxState, a: Account, _q: dict[str, str]) -> str:
    return f"ACCESS_BALANCE:{fmt_money(a.balance)}"


def get_extra_activation(s: SandboxState, a: Account, q: dict[str, str]) -> str:
    rental = rentals.rerent(s, a, _rental_id(q.get("id")))
    return f"ACCESS_NUMBER:{rental.id}:1{rental.number.number}"


def get_prices(s: SandboxState, _a: Account, q: dict[str, str]) -> str | bytes:
    if q.get("country") != "187":
        return "BAD_COUNTRY"
    names = inputs.service_list(q.get("service"))
    found = [s.services[n] for n in names if n in s.services]
    if not found:
        return "BAD_SERVICE"
    rows = [
        {
            svc.api_name: {
                "cost": float(Decimal(fmt_money(svc.price))),
                "count": max(svc.stock, 0),
                "physicalCount": max(svc.stock, 0),
            }
        }
        for svc in found
    ]
    return json.dumps(rows, separators=(",", ":")).encode()


ACTIONS: dict[str, Callable[[SandboxState, Account, dict[str, str]], str | bytes]] = {
    "getNumber": get_number,
    "getStatus": get_status,
    "setStatus": set_status,
    "getBalance": get_balance,
    "getExtraActivation": get_extra_activation,
    "getPrices": get_prices,
}


async def handler_api(request: web.Request) -> web.Response:
    state = request.app[STATE]
    query = {k.strip(): v for k, v in request.query.items()}
    if state.maintenance:
        return _text("MAINTENANCE")
    try:
        account = state.authenticate(query.get("api_key"))
        action = ACTIONS.get(query.get("action", ""))
        if action is None:
            return _text("BAD_ACTION")
        answer = action(state, account, query)
    except _Answer as done:
        return _text(done.token)
    except VendorError as error:
        return _text(token_for(error))
    if isinstance(answer, bytes):
        return web.Response(body=answer, content_type="application/json")
    return _text(answer)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/stubs/handler_api.php", handler_api, name="handler_api")
