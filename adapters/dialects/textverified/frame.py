"""The frame of every TextVerified call: the bearer token, the call, errors in
TextVerified's shape."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from cachetools import TTLCache

from proxy import errors as e
from proxy.domain import Tenant
from proxy.service import Clients
from proxy.web.app_keys import REQUEST_NOTE

from ..answers import GENERIC, ErrorTable
from ..base import json_response
from ..sources import source_of

log = logging.getLogger("smsproxy.dialect.textverified")
NAME = "textverified"  # the dialect label of its requests' metrics and access lines
TOKEN_SECONDS = 3600
TOKENS = 10_000  # bounded: tokens of keys that stopped using it age out

Reply = tuple[int, str, str]
OUT_OF_STOCK: Reply = (400, "OutOfStock", "No numbers are available for this service.")
# a purchase the proxy cannot vouch for: 503, not 429 (a 429 promises nothing was done,
# and a client or a proxy in front may then buy elsewhere)
TRY_LATER: Reply = (503, "ServiceUnavailable", "Please try again later.")
CANNOT_REACTIVATE: Reply = (400, "CannotReactivate", "This verification cannot be reactivated.")
# `GENERIC` is a 500 InternalServerError: the vendor down or unreadable
ERRORS: ErrorTable[Reply] = ErrorTable(
    rows={
    e.MissingKey: (401, "Unauthorized", "Invalid credentials or token."),
    e.BadKey: (401, "Unauthorized", "Invalid credentials or token."),
    e.NoNumbers: OUT_OF_STOCK,
    e.CountryNotAllowed: OUT_OF_STOCK,
    e.CountryNotServed: OUT_OF_STOCK,
    e.NoBalance: (400, "InsufficientBalance", "Insufficient balance."),
    e.OverBudget: (400, "InsufficientBalance", "Insufficient balance."),
    e.BadService: (400, "InvalidServiceName", "Unknown service name."),
    e.ServiceNotAllowed: (400, "InvalidServiceName", "Unknown service name."),
    e.ServiceUnavailable: (400, "InvalidServiceName", "Unknown service name."),
    e.ApprovalRequired: (400, "InvalidServiceName", "Unknown service name."),
    e.MaxPriceExceeded: (400, "PriceTooHigh", "The price is above your maximum price."),
    e.PeriodTooLong: OUT_OF_STOCK,
    e.RentalLimit: (400, "TooManyUnfinishedVerifications", "Too many open verifications."),
    e.TenantCap: (400, "TooManyUnfinishedVerifications", "Too many open verifications."),
    e.WrongCarrier: OUT_OF_STOCK,
    e.NumberTaken: OUT_OF_STOCK,
    e.CombinationFailed: OUT_OF_STOCK,
    e.DuplicateOrder: (429, "TooManyRequests", "Please try again later."),  # the same order
    e.NotFound: (404, "NotFound", "Verification not found."),
    e.EarlyCancel: (400, "CannotCancel", "This verification cannot be cancelled yet."),
    e.BadTransition: (400, "CannotCancel", "This verification cannot be cancelled."),
    e.NotViewed: (400, "CannotComplete", "This verification has no code yet."),
    e.Expired: (400, "CannotCancel", "This verification has ended."),
    e.StillActive: CANNOT_REACTIVATE,
    e.NotReRentable: CANNOT_REACTIVATE,
    e.Maintenance: (503, "ServiceUnavailable", "Please try again later."),
    e.RateLimited: (429, "TooManyRequests", "Too many requests."),
    e.TenantRateLimited: (429, "TooManyRequests", "Too many requests."),
    e.UpstreamUnavailable: GENERIC,
    e.UpstreamRejected: GENERIC,
    e.StoreUnavailable: GENERIC,
    e.OutcomeUnknown: TRY_LATER,  # reconciled, never bought again blind
    e.PurchaseInDoubt: TRY_LATER,
    },
    generic=(500, "InternalServerError", "Please try again later."),
)


class Refusal(Exception):
    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.reply = (status, code, description)


def error(status: int, code: str, description: str) -> web.Response:
    return json_response_status({"errorCode": code, "errorDescription": description}, status)


def json_response_status(payload: object, status: int) -> web.Response:
    answer = json_response(payload)
    answer.set_status(status)
    return answer


class Tokens:
    """Bearer tokens the proxy issued, with the keys they stand for (memory only)."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._keys: TTLCache[str, tuple[str, float]] = TTLCache(TOKENS, TOKEN_SECONDS)

    def issue(self, key: str) -> tuple[str, float]:
        token = secrets.token_urlsafe(32)
        ends = self._now() + TOKEN_SECONDS
        self._keys[token] = (key, ends)
        return token, ends

    def key(self, token: str) -> str | None:
        found = self._keys.get(token)
        if found is None or found[1] <= self._now():
            return None
        return found[0]


@dataclass(frozen=True)
class Call:
    service: Clients
    tenant: Tenant | None
    request: web.Request
    tokens: Tokens

    @property
    def me(self) -> Tenant:
        assert self.tenant is not None
        return self.tenant


Handler = Callable[[Call], Awaitable[web.Response]]


def bearer(request: web.Request) -> str | None:
    raw = request.headers.get("Authorization", "")
    return raw[7:].strip() or None if raw.lower().startswith("bearer ") else None


def wrap(
    service: Clients, tokens: Tokens, name: str, handler: Handler, *, auth: bool = False
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        note = {"dialect": NAME, "action": name, "result": "ok"}
        request[REQUEST_NOTE] = note
        try:
            tenant = None
            if not auth:
                token = bearer(request)
                key = tokens.key(token) if token else None
                if key is None:
                    raise e.BadKey()
                tenant = await service.tenant(key, source_of(request))
            return await handler(Call(service, tenant, request, tokens))
        except Refusal as refused:
            note["result"] = "bad_request"
            return error(*refused.reply)
        except e.DomainError as failure:
            note["result"] = type(failure).__name__
            return error(*ERRORS.answer(failure))
        except Exception:
            note["result"] = "internal"
            log.exception("textverified %s failed", name)
            return error(*ERRORS.generic)

    return handle
