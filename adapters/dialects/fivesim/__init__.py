"""5sim's REST v1 API (`/v1/user/*`, `/v1/guest/*`) on the same core (docs/vendor/5sim-protocol.md).

Success is JSON with `Content-Type: application/json` exactly; errors are the exact
lowercase 5sim strings as `text/plain` with HTTP 400 (401 for keys, 429 for pacing, 500
for failures). Decisions F1–F15 are recorded in docs/fivesim.md.
"""

from __future__ import annotations

from aiohttp import web

from proxy.service import Clients

from .frame import GUEST, NAME, STATIC, USER, Access, Handler, wrap
from .guest import flash, guest_countries, guest_prices, guest_products
from .user import (
    ban,
    buy_activation,
    buy_hosting,
    cancel,
    check,
    finish,
    inbox,
    max_prices,
    orders,
    payments,
    profile,
    reuse,
)

ROUTES: tuple[tuple[str, str, str, Handler, Access], ...] = (
    ("GET", "/v1/user/profile", "profile", profile, USER),
    ("GET", "/v1/user/orders", "orders", orders, USER),
    ("GET", "/v1/user/payments", "payments", payments, USER),
    ("GET", "/v1/user/buy/activation/{country}/{operator}/{product}", "buy", buy_activation, USER),
    (
        "GET",
        "/v1/user/buy/hosting/{country}/{operator}/{product}",
        "buy_hosting",
        buy_hosting,
        USER,
    ),
    ("GET", "/v1/user/reuse/{product}/{number}", "reuse", reuse, USER),
    ("GET", "/v1/user/buy/reuse/{product}/{number}", "reuse", reuse, USER),
    ("GET", "/v1/user/check/{id}", "check", check, USER),
    ("GET", "/v1/user/finish/{id}", "finish", finish, USER),
    ("GET", "/v1/user/cancel/{id}", "cancel", cancel, USER),
    ("GET", "/v1/user/ban/{id}", "ban", ban, USER),
    # F17: clients that POST the order actions (5sim answers them the same)
    ("POST", "/v1/user/check/{id}", "check", check, USER),
    ("POST", "/v1/user/finish/{id}", "finish", finish, USER),
    ("POST", "/v1/user/cancel/{id}", "cancel", cancel, USER),
    ("POST", "/v1/user/ban/{id}", "ban", ban, USER),
    ("GET", "/v1/user/sms/inbox/{id}", "inbox", inbox, USER),
    ("GET", "/v1/user/max-prices", "max_prices", max_prices, USER),
    ("POST", "/v1/user/max-prices", "max_prices", max_prices, USER),
    ("DELETE", "/v1/user/max-prices", "max_prices", max_prices, USER),
    ("GET", "/v1/guest/products/{country}/{operator}", "products", guest_products, GUEST),
    ("GET", "/v1/guest/prices", "prices", guest_prices, GUEST),
    ("GET", "/v1/guest/countries", "countries", guest_countries, STATIC),
    ("GET", "/v1/guest/flash/{lang}", "flash", flash, STATIC),
)


def routes(service: Clients, guest_key: str | None = None) -> list[web.RouteDef]:
    found = []
    for method, path, action, handler, access in ROUTES:
        wrapped = wrap(service, action, handler, guest_key, access)
        found.append(web.route(method, path, wrapped))
        found.append(web.route(method, path + "/", wrapped))  # tolerate a trailing slash
    return found

__all__ = ["NAME", "routes"]
