"""North side: the client protocols. The one list of dialects and where they are mounted."""

from __future__ import annotations

from aiohttp import web

from proxy.service import Service

from . import fivesim, onlinesim, smspool, textverified, v1
from .codes import Vocabulary
from .getatext_legacy import GETATEXT_LEGACY
from .sms_activate import SMS_ACTIVATE, Flavour, make_handler
from .sms_activate.clones import families

HANDLER = "/stubs/handler_api.php"

CLONES = families(SMS_ACTIVATE)
# prefix -> flavour; every flavour is also reachable under its own prefix
DIALECTS: dict[str, Flavour] = {
    "/sms-activate": SMS_ACTIVATE,
    "/getatext": GETATEXT_LEGACY,
    **{f"/{name}": flavour for name, flavour in CLONES.items()},
}
DEFAULT_HANDLER = {"sms-activate": SMS_ACTIVATE, "getatext": GETATEXT_LEGACY, **CLONES}


def mount(
    app: web.Application,
    service: Service,
    vocab: Vocabulary,
    default_dialect: str = "sms-activate",
    guest_key: str | None = None,
) -> None:
    fivesim.mount(app, service, guest_key)
    onlinesim.mount(app, service, vocab)
    smspool.mount(app, service, vocab)
    textverified.mount(app, service)
    v1.mount(app, service)
    for prefix, flavour in DIALECTS.items():
        handler = make_handler(flavour, service, vocab)
        app.router.add_route("GET", prefix + HANDLER, handler)
        app.router.add_route("POST", prefix + HANDLER, handler)
    root = make_handler(DEFAULT_HANDLER[default_dialect], service, vocab)
    for path in (HANDLER, "/" + HANDLER):  # tolerate a doubled slash from base URLs ending in /
        app.router.add_route("GET", path, root)
        app.router.add_route("POST", path, root)
