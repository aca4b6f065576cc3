"""Codes pushed by a vendor: `POST /webhooks/{provider}/{token}`.

Each upstream account has its own token, derived from `webhook_secret` (`smsproxy
webhook-url` prints the URL to give the vendor): a webhook touches only the rentals of
that account, so one vendor account cannot plant a code in another's rental. An optional
allow-list limits the sources. Garbage is refused with 400; unknown rentals, rentals of
another account and repeats are acknowledged and ignored (the vendor must not retry
them), and a known rental learns its code without any upstream call.
"""

from __future__ import annotations

import ipaddress
import logging
from collections import Counter

from aiohttp import web

from proxy.inputs import BodyError, load_json
from proxy.web.app_keys import SERVICE, SETTINGS

log = logging.getLogger("smsproxy.webhooks")
OUTCOMES = ("accepted", "duplicate", "unknown", "rejected", "forbidden")
MAX_ID = 2**63 - 1  # what the store can hold
MAX_CODE = 64


class WebhookStats:
    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter({o: 0 for o in OUTCOMES})


WEBHOOK_STATS = web.AppKey("webhook_stats", WebhookStats)


def _allowed(remote: str | None, allow: str | None) -> bool:
    if not allow:
        return True
    try:
        address = ipaddress.ip_address(remote or "")
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(net.strip(), strict=False)
        for net in allow.split(",")
        if net.strip()
    )


def _answer(request: web.Request, outcome: str, status: int, body: str) -> web.Response:
    request.app[WEBHOOK_STATS].outcomes[outcome] += 1
    return web.json_response({"result": body}, status=status)


async def receive(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    token = request.match_info["token"]
    provider = request.match_info["provider"]
    hook = request.app[SERVICE].vendor_webhook
    if not settings.webhook_secret or not hook.knows(provider):
        return _answer(request, "forbidden", 404, "not found")
    if not _allowed(request.remote, settings.webhook_allow):
        return _answer(request, "forbidden", 403, "source not allowed")
    try:
        body = load_json(await request.read())
    except BodyError:
        return _answer(request, "rejected", 400, "body must be JSON")
    pushed = hook.read(provider, body)
    if pushed is None:
        return _answer(request, "rejected", 400, "id and code are required")
    before = await hook.peek(provider, pushed.upstream_id)
    updated = await hook.code_arrived(provider, token, pushed)
    if updated is None:
        return _answer(request, "unknown", 200, "ignored: unknown rental")
    if before is not None and before.code == updated.code:
        return _answer(request, "duplicate", 200, "ignored: already known")
    return _answer(request, "accepted", 200, "accepted")


def routes() -> list[web.RouteDef]:
    """The receiving end; its counts live in the app under WEBHOOK_STATS."""
    return [web.post("/webhooks/{provider}/{token}", receive)]
