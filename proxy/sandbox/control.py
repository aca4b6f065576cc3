"""The control API under /_sandbox/: tests and demos play the vendor's side here."""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from . import catalog, rentals, views
from .clock import fmt_datetime
from .endpoint import json_response
from .faults import FaultRule
from .keys import FAULTS, STATE, STATS, WEBHOOKS
from .model import Account, PoolNumber, Rental, Sms
from .state import SandboxState
from .stats import fingerprint

CODE_IN_TEXT = re.compile(r"\b(\d{4,8})\b")


class BadControl(Exception):
    pass


async def _json(request: web.Request) -> Any:
    try:
        return json.loads(await request.read() or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise BadControl("body must be JSON") from None


async def _object(request: web.Request) -> dict[str, Any]:
    body = await _json(request)
    if not isinstance(body, dict):
        raise BadControl("body must be a JSON object")
    return body


def _bad(reason: str) -> web.Response:
    return json_response(400, {"errors": reason})


async def upsert_account(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await _object(request)
    key = body.get("api_key")
    if not isinstance(key, str) or not key:
        raise BadControl("api_key must be a non-empty string")
    account = state.accounts.get(key) or Account(api_key=key, balance=Decimal("0"))
    try:
        if "balance" in body:
            account.balance = Decimal(str(body["balance"]))
        if "max_active_rentals" in body:
            account.max_active_rentals = int(body["max_active_rentals"])
    except (InvalidOperation, ValueError, TypeError):
        raise BadControl("balance and max_active_rentals must be numbers") from None
    for flag in ("restricted", "service_long_rentals"):
        if flag in body:
            setattr(account, flag, bool(body[flag]))
    if "webhook_url" in body:
        url = body["webhook_url"]
        if url is not None and not isinstance(url, str):
            raise BadControl("webhook_url must be a string or null")
        account.webhook_url = url or None
    if "approved_services" in body:
        account.approved_services = {str(s) for s in body["approved_services"] or []}
    state.accounts[key] = account
    return json_response(200, {"account": fingerprint(key), "balance": f"{account.balance:.2f}"})


async def replace_services(request: web.Request) -> web.Response:
    state = request.app[STATE]
    rows = await _json(request)
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise BadControl("body must be a JSON list of service objects")
    try:
        services = [catalog.service_from_row(r) for r in rows]
    except (KeyError, ValueError, TypeError, InvalidOperation) as exc:
        raise BadControl(f"bad service row: {exc}") from None
    state.services = {s.api_name: s for s in services}
    return json_response(200, {"services": len(services)})


def service_row(service: Any) -> dict[str, Any]:
    """A catalogue row as PUT and PATCH take it (money as strings, exact)."""
    return {
        "api_name": service.api_name,
        "service_name": service.service_name,
        "price": str(service.price),
        "stock": service.stock,
        "ttl": service.ttl,
        "multiple_sms": service.multiple_sms,
        "available": service.available,
        "requires_approval": service.requires_approval,
        "generic": service.generic,
        "long_rental_prices": {k: str(v) for k, v in service.long_rental_prices.items()},
    }


async def list_services(request: web.Request) -> web.Response:
    services = request.app[STATE].services.values()
    return json_response(200, {"services": [service_row(s) for s in services]})


async def change_service(request: web.Request) -> web.Response:
    """One service changed, the rest of the catalogue as it was: the fields given
    replace its own (`{"stock": 0}` sells it out); a new api_name adds it."""
    state = request.app[STATE]
    api_name = request.match_info["api_name"]
    body = await _object(request)
    current = state.services.get(api_name)
    base = service_row(current) if current is not None else {"api_name": api_name}
    if current is not None and "price" in body and "long_rental_prices" not in body:
        base.pop("long_rental_prices")  # follow the new price, as a new row would
    try:
        changed = catalog.service_from_row({**base, **body, "api_name": api_name})
    except (KeyError, ValueError, TypeError, InvalidOperation) as exc:
        raise BadControl(f"bad service fields: {exc}") from None
    state.services[api_name] = changed
    return json_response(200, service_row(changed))


def _target(state: SandboxState, body: dict[str, Any]) -> list[Rental]:
    if "rental_id" in body:
        rental = (
            state.rentals.get(body["rental_id"]) if isinstance(body["rental_id"], int) else None
        )
        if rental is None:
            raise BadControl("no such rental")
        return [rental]
    number = body.get("number")
    if not isinstance(number, str):
        raise BadControl("rental_id or number is required")
    service = body.get("service")
    spellings = national(number)
    open_on_number = [
        r
        for r in state.open_rentals.values()
        if r.number.number in spellings and (service is None or r.service.api_name == service)
    ]
    return open_on_number[-1:]


def national(number: str) -> set[str]:
    """The 10-digit numbers a number may mean as a client shows it: itself, or without
    its country's calling code (1 to 3 digits) and a leading `+` (17133754226,
    +17133754226 and 7133754226 are the same number)."""
    digits = "".join(c for c in number if c.isdigit())
    return {digits, *(digits[k:] for k in (1, 2, 3) if len(digits) - k == 10)}


def open_numbers(state: SandboxState) -> list[str]:
    """What an SMS can be delivered to now, for a refusal to name (the first ten)."""
    found = [r.number.number for r in state.open_rentals.values()]
    found += [lr.number.number for lr in state.long_rentals.values() if lr.status == "Active"]
    return list(dict.fromkeys(found))[:10]


async def replace_pool(request: web.Request) -> web.Response:
    state = request.app[STATE]
    rows = await _json(request)
    try:
        pool = [
            PoolNumber(
                number=str(r["number"]),
                carrier=str(r["carrier"]).lower(),
                area_code=str(r.get("area_code") or str(r["number"])[:3]),
            )
            for r in rows
        ]
    except (KeyError, TypeError):
        raise BadControl("body must be a JSON list of {number, carrier, area_code}") from None
    state.pool = pool
    state.pool_by_number = {n.number: n for n in pool}
    return json_response(200, {"pool": len(pool)})


async def change_settings(request: web.Request) -> web.Response:
    """Adjust the vendor's numeric settings (global rental cap, cancel lock, windows)."""
    state = request.app[STATE]
    body = await _object(request)
    for name, value in body.items():
        if name not in TUNABLE or isinstance(value, bool) or not isinstance(value, int | float):
            raise BadControl(f"{name} is not a tunable number; tunables: {', '.join(TUNABLE)}")
        setattr(state.config, name, type(getattr(state.config, name))(value))
    return json_response(200, {name: getattr(state.config, name) for name in TUNABLE})


TUNABLE = (
    "global_max_active_rentals",
    "cancel_lock_seconds",
    "slr_cancel_window_seconds",
    "webhook_timeout_seconds",
)


async def deliver_sms(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await _object(request)
    text = body.get("text")
    code = body.get("code")
    if text is not None and not isinstance(text, str):
        raise BadControl("text must be a string")
    if code is not None and not isinstance(code, str | int):
        raise BadControl("code must be a string")
    if code is None and text:
        match = CODE_IN_TEXT.search(text)
        code = match.group(1) if match else None
    if code is None:
        raise BadControl("code is required (or a text containing one)")
    sms = Sms(
        text=text or f"Your code is {code}",
        code=str(code),
        sender=str(body.get("sender", "8888")),
        received_at=state.clock.now(),
    )
    delivered: list[int] = []
    for rental in _target(state, body):
        if rentals.deliver(state, rental, sms):
            delivered.append(rental.id)
            account = state.accounts.get(rental.owner)
            if account is not None and account.webhook_url:
                request.app[WEBHOOKS].fire(account.webhook_url, views.webhook(rental))
    number = body.get("number")
    long_hits = (
        _deliver_long(state, national(number), body.get("service"), sms)
        if isinstance(number, str)
        else []
    )
    if not delivered and not long_hits:
        listed = ", ".join(open_numbers(state)) or "none"
        return json_response(
            409, {"errors": f"no open rental accepts this SMS; open numbers: {listed}"}
        )
    return json_response(200, {"delivered": delivered, "long_rentals": long_hits})


def _deliver_long(
    state: SandboxState, numbers: set[str], service: Any, sms: Sms
) -> list[int]:
    hits = []
    for lr in state.long_rentals.values():
        if lr.number.number in numbers and lr.status == "Active":
            lr.messages.append(sms)
            hits.append(lr.id)
    for slr in state.service_long_rentals.values():
        if (
            slr.number.number in numbers
            and slr.status == "Active"
            and (service is None or slr.service.api_name == service)
        ):
            slr.messages.append(sms)
            hits.append(slr.id)
    return hits


async def move_clock(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await _object(request)
    seconds = body.get("advance_seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise BadControl("advance_seconds must be a non-negative number")
    state.clock.advance(float(seconds))
    state.sweep()
    return json_response(200, {"now": fmt_datetime(state.clock.now())})


async def maintenance(request: web.Request) -> web.Response:
    body = await _object(request)
    if not isinstance(body.get("on"), bool):
        raise BadControl("on must be true or false")
    request.app[STATE].maintenance = body["on"]
    return json_response(200, {"maintenance": body["on"]})


async def set_fault(request: web.Request) -> web.Response:
    try:
        endpoint, rule = FaultRule.parse(await _object(request))
    except ValueError as exc:
        raise BadControl(str(exc)) from None
    request.app[FAULTS].rules[endpoint] = rule
    return json_response(200, {"endpoint": endpoint})


async def clear_faults(request: web.Request) -> web.Response:
    request.app[FAULTS].clear()
    return json_response(200, {"faults": 0})


async def drain_webhooks(request: web.Request) -> web.Response:
    drained = await request.app[WEBHOOKS].drain()
    return json_response(200, {"drained": drained})


async def stats(request: web.Request) -> web.Response:
    counted = request.app[STATE].limiter.counted
    return json_response(
        200,
        {
            **request.app[STATS].as_json(),
            "counted": [{"time": round(t, 4), "group": g} for t, g in counted],
        },
    )


async def list_rentals(request: web.Request) -> web.Response:
    """Every short rental the vendor holds: the evidence of what was bought."""
    rows = [
        {
            "id": r.id,
            "account": fingerprint(r.owner),
            "number": r.number.number,
            "service": r.service.api_name,
            "price": f"{r.price:.2f}",
            "status": r.status.value,
        }
        for r in request.app[STATE].rentals.values()
    ]
    return json_response(200, {"rentals": rows})


async def reset(request: web.Request) -> web.Response:
    request.app[STATE].reset()
    request.app[STATS].reset()
    request.app[FAULTS].clear()
    return json_response(200, {"reset": True})


@web.middleware
async def control_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except BadControl as exc:
        return _bad(str(exc))


def add_routes(app: web.Application) -> None:
    app.router.add_post("/_sandbox/accounts", upsert_account)
    app.router.add_put("/_sandbox/services", replace_services)
    app.router.add_get("/_sandbox/services", list_services)
    app.router.add_patch("/_sandbox/services/{api_name}", change_service)
    app.router.add_put("/_sandbox/pool", replace_pool)
    app.router.add_post("/_sandbox/settings", change_settings)
    app.router.add_post("/_sandbox/sms", deliver_sms)
    app.router.add_post("/_sandbox/clock", move_clock)
    app.router.add_post("/_sandbox/maintenance", maintenance)
    app.router.add_post("/_sandbox/faults", set_fault)
    app.router.add_delete("/_sandbox/faults", clear_faults)
    app.router.add_post("/_sandbox/webhooks/drain", drain_webhooks)
    app.router.add_get("/_sandbox/stats", stats)
    app.router.add_get("/_sandbox/rentals", list_rentals)
    app.router.add_post("/_sandbox/reset", reset)
