"""North side: the client protocols. The one list of dialects and where they are mounted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from aiohttp import web

from proxy.service import Clients

from . import fivesim, onlinesim, smspool, textverified, v1
from .codes import Vocabulary
from .getatext_legacy import GETATEXT_LEGACY
from .sms_activate import SMS_ACTIVATE, Flavour, make_handler
from .sms_activate.clones import families
from .sms_activate.daisy import multi_reserve

HANDLER = "/stubs/handler_api.php"

CLONES = families(SMS_ACTIVATE)
# prefix -> flavour; every flavour is also reachable under its own prefix
DIALECTS: dict[str, Flavour] = {
    "/sms-activate": SMS_ACTIVATE,
    "/getatext": GETATEXT_LEGACY,
    **{f"/{name}": flavour for name, flavour in CLONES.items()},
}
DEFAULT_HANDLER = {"sms-activate": SMS_ACTIVATE, "getatext": GETATEXT_LEGACY, **CLONES}
HANDLER_FAMILIES = tuple(DEFAULT_HANDLER)  # what `default_dialect` may name
# every dialect's label: the metrics' closed set comes from here, not from a copy
NAMES: tuple[str, ...] = (
    *HANDLER_FAMILIES,
    *(d.NAME for d in (fivesim, v1, onlinesim, smspool, textverified)),
)


def with_action(
    handler: Callable[[web.Request], Awaitable[web.Response]], action: str
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A path that stands for one handler_api action (`/stubs/multi/reserve`); its key
    may come as `apikey`, as DaisySMS spells it there."""

    async def handle(request: web.Request) -> web.Response:
        query = {"action": action}
        if "apikey" in request.query and "api_key" not in request.query:
            query["api_key"] = request.query["apikey"]
        return await handler(request.clone(rel_url=request.rel_url.update_query(query)))

    return handle


def routes(
    service: Clients,
    vocab: Vocabulary,
    default_dialect: str = "sms-activate",
    guest_key: str | None = None,
) -> list[web.RouteDef]:
    """Every dialect's routes (the composition root registers them, observed)."""
    if default_dialect not in DEFAULT_HANDLER:
        raise ValueError(f"default_dialect must be one of {', '.join(HANDLER_FAMILIES)}")
    found = [
        *fivesim.routes(service, guest_key),
        *onlinesim.routes(service, vocab),
        *smspool.routes(service, vocab),
        *textverified.routes(service),
        *v1.routes(service),
    ]
    both = ("GET", "POST")
    for prefix, flavour in DIALECTS.items():
        handler = make_handler(flavour, service, vocab)
        found += [web.route(method, prefix + HANDLER, handler) for method in both]
    daisy = CLONES["daisysms"]
    reserve = make_handler(replace(daisy, actions={"reserve": multi_reserve}), service, vocab)
    for path in ("/daisysms/stubs/multi/reserve", "/stubs/multi/reserve"):
        found += [web.route(method, path, with_action(reserve, "reserve")) for method in both]
    root = make_handler(DEFAULT_HANDLER[default_dialect], service, vocab)
    for path in (HANDLER, "/" + HANDLER):  # tolerate a doubled slash from base URLs ending in /
        found += [web.route(method, path, root) for method in both]
    return found
