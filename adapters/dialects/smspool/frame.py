"""The frame of every SMSPool endpoint: parameters, the key, errors in SMSPool's shape."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web

from proxy import errors as e
from proxy.domain import Tenant
from proxy.service import Clients
from proxy.web.app_keys import REQUEST_NOTE

from ..answers import GENERIC, ErrorTable
from ..base import Unreadable, json_response, read_any_params
from ..codes import Vocabulary
from ..sources import source_of

log = logging.getLogger("smsproxy.dialect.smspool")
NAME = "smspool"  # the dialect label of its requests' metrics and access lines

OUT_OF_STOCK = ("OUT_OF_STOCK", "This service is currently out of stock.")
COUNTRY_ERROR = ("COUNTRY_ERROR", "This country is not available.")
# domain error -> (type, message); `GENERIC` is TRY_AGAIN, anything transient
ERRORS: ErrorTable[tuple[str, str]] = ErrorTable(
    rows={
        e.MissingKey: ("KEY_ERROR", "Invalid API key."),
        e.BadKey: ("KEY_ERROR", "Invalid API key."),
        e.NoNumbers: OUT_OF_STOCK,
        e.CountryNotAllowed: COUNTRY_ERROR,  # the tenant's policy names other countries
        e.CountryNotServed: COUNTRY_ERROR,
        e.NoBalance: ("BALANCE_ERROR", "Insufficient balance."),
        e.OverBudget: ("BALANCE_ERROR", "Insufficient balance."),
        e.BadService: ("SERVICE_ERROR", "This service is not available."),
        e.ServiceNotAllowed: ("SERVICE_ERROR", "This service is not available."),
        e.ServiceUnavailable: ("SERVICE_ERROR", "This service is not available."),
        e.ApprovalRequired: ("SERVICE_ERROR", "This service is not available."),
        e.MaxPriceExceeded: ("PRICE_ERROR", "The price is above your maximum price."),
        e.PeriodTooLong: OUT_OF_STOCK,
        e.RentalLimit: ("LIMIT_ERROR", "You have too many active orders."),
        e.TenantCap: ("LIMIT_ERROR", "You have too many active orders."),
        e.WrongCarrier: OUT_OF_STOCK,
        e.NumberTaken: OUT_OF_STOCK,
        e.CombinationFailed: OUT_OF_STOCK,
        e.DuplicateOrder: GENERIC,
        e.NotFound: ("ORDER_ERROR", "Order not found."),
        e.EarlyCancel: ("CANCEL_ERROR", "Your order cannot be cancelled yet."),
        e.BadTransition: ("CANCEL_ERROR", "Your order cannot be cancelled."),
        e.NotViewed: GENERIC,
        e.Expired: ("CANCEL_ERROR", "Your order has expired."),
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
    generic=("TRY_AGAIN", "Please try again later."),
)


class Failure(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message


def bearer(request: web.Request) -> str | None:
    """SMSPool also takes the key as `Authorization: Bearer <key>` (its OpenAPI clients
    send only that)."""
    raw = request.headers.get("Authorization", "").strip()
    return raw[7:].strip() or None if raw[:7].lower() == "bearer " else None


def failure(kind: str, message: str) -> web.Response:
    return json_response({"success": 0, "message": message, "type": kind})


@dataclass(frozen=True)
class Call:
    service: Clients
    tenant: Tenant | None
    params: Mapping[str, str]
    vocab: Vocabulary

    @property
    def me(self) -> Tenant:
        assert self.tenant is not None
        return self.tenant


Endpoint = Callable[[Call], Awaitable[web.Response]]


def wrap(
    service: Clients, vocab: Vocabulary, path: str, endpoint: Endpoint, keyed: bool
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        note = {"dialect": NAME, "action": path, "result": "ok"}
        request[REQUEST_NOTE] = note
        try:
            params = await read_any_params(request)
            key = params.get("key") or bearer(request)
            tenant = await service.tenant(key, source_of(request)) if keyed or key else None
            return await endpoint(Call(service, tenant, params, vocab))
        except Unreadable:
            note["result"] = "bad_request"
            return failure("PARAM_ERROR", "The request could not be read.")
        except Failure as refused:
            note["result"] = "bad_request"
            return failure(refused.kind, refused.message)
        except e.DomainError as error:
            note["result"] = type(error).__name__
            return failure(*ERRORS.answer(error))
        except Exception:
            note["result"] = "internal"
            log.exception("smspool %s failed", path)
            return failure(*ERRORS.generic)

    return handle
