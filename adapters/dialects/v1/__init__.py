"""Getatext's own JSON v1 API, served by the proxy: the vendor's paths, bodies, status codes
and error texts, backed by the same core (store, pacing, caches, ownership).

Short rentals are the core's activations and long rentals the core's long rentals, their
ids the proxy's, shared with every dialect (rentals.py, long_rentals.py). Auctions are
vendor records the core does not model: forwarded as they are (auctions.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from proxy import errors as e
from proxy.service import Clients
from proxy.web.app_keys import REQUEST_NOTE

from ..sources import source_of
from . import auctions
from . import long_rentals as lr
from . import rentals as r
from .frame import ERRORS, Call, Handler, Refusal, answer, read_body, reply_for

log = logging.getLogger("smsproxy.dialect.v1")
NAME = "v1"  # the dialect label of its requests' metrics and access lines

ROUTES: tuple[tuple[str, str, str, Handler], ...] = (
    ("POST", "/rent-a-number", "rent-a-number", r.rent_a_number),
    ("POST", "/rent-specific-number", "rent-specific-number", r.rent_specific),
    ("POST", "/rent-multiple-services", "rent-multiple-services", r.rent_multiple),
    ("POST", "/cancel-rental", "cancel-rental", r.cancel_rental),
    ("POST", "/rental-status", "rental-status", r.rental_status),
    ("POST", "/rental-status/{id}/completed", "rental-completed", r.complete),
    ("GET", "/prices-info", "prices-info", r.prices_info),
    ("POST", "/re-rent", "re-rent", r.re_rent),
    ("GET", "/balance", "balance", r.balance),
    ("GET", "/long-rentals/prices", "long-rentals", lr.long_prices),
    ("GET", "/long-rentals", "long-rentals", lr.long_list),
    ("POST", "/long-rentals", "long-rentals", lr.long_create),
    ("POST", "/long-rentals/{id}/update", "long-rentals", lr.long_update),
    ("GET", "/long-rentals/{id}/messages", "long-rentals", lr.long_messages),
    ("GET", "/service-long-rentals/prices", "service-long-rentals", lr.slr_prices),
    ("GET", "/service-long-rentals", "service-long-rentals", lr.slr_list),
    ("POST", "/service-long-rentals", "service-long-rentals", lr.slr_create),
    ("POST", "/service-long-rentals/{number}/cancel", "service-long-rentals", lr.slr_cancel),
    (
        "POST",
        "/service-long-rentals/{number}/auto-renew",
        "service-long-rentals",
        lr.slr_auto_renew,
    ),
    ("POST", "/service-long-rentals/{number}/renew", "service-long-rentals", lr.slr_renew),
    ("GET", "/service-long-rentals/{number}/messages", "service-long-rentals", lr.slr_messages),
    ("GET", "/auctions", "auctions", auctions.native),
    ("POST", "/auctions/{id}/bid", "auctions", auctions.native),
)


def _wrap(
    service: Clients,
    action: str,
    handler: Handler,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        note = {"dialect": NAME, "action": action, "result": "ok"}
        request[REQUEST_NOTE] = note
        try:
            tenant = await service.tenant(request.headers.get("Auth"), source_of(request))
            body = await read_body(request)
            return await handler(Call(service, tenant, request, body, action))
        except Refusal as refusal:
            note["result"] = "bad_request"
            status, message = refusal.reply
        except web.HTTPRequestEntityTooLarge:
            note["result"] = "bad_request"
            status, message = 413, "Request body is too large"
        except e.DomainError as error:
            note["result"] = type(error).__name__
            status, message = reply_for(error, action)
        except Exception:
            note["result"] = "internal"
            log.exception("v1 %s failed", action)
            status, message = ERRORS.generic
        return answer(status, {"errors": message})

    return handle


async def not_found(_request: web.Request) -> web.Response:
    return answer(404, {"errors": "Not Found"})


async def method_not_allowed(_request: web.Request) -> web.Response:
    return answer(405, {"errors": "Method Not Allowed"})


def routes(service: Clients) -> list[web.RouteDef]:
    found: list[web.RouteDef] = []
    methods: dict[str, set[str]] = {}
    for method, path, action, handler in ROUTES:
        found.append(web.route(method, "/api/v1" + path, _wrap(service, action, handler)))
        methods.setdefault(path, set()).add(method)
    for path, allowed in methods.items():
        for other in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - allowed):
            found.append(web.route(other, "/api/v1" + path, method_not_allowed))
    found.append(web.route("*", "/api/v1/{tail:.*}", not_found))
    return found
