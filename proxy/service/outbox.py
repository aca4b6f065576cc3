"""Codes out to tenants' webhooks, from a durable outbox.

A code that reaches an issued tenant's activation (from a poll, a vendor webhook or an
adoption) is written to the outbox with the body to send, once per activation and code,
before anything else happens to it. A dispatcher sends what is due, each delivery on its
own (a dead endpoint holds up only its own deliveries), and on failure tries again after
a backoff that doubles up to BACKOFF_MAX, until MAX_ATTEMPTS; a tenant's pending
deliveries are bounded (the oldest give way). The outbox is in the store: it survives
restarts, and a delivery in flight when the process stopped is sent again.

Each POST is signed: `X-Smsproxy-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<body>" with the tenant's signing secret>`, and names itself in
`X-Smsproxy-Delivery` (a receiver that saw the id already can ignore it).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from proxy.domain import Activation, Delivery, Tenant
from proxy.ports import WebhookSender
from proxy.service.context import Context

log = logging.getLogger("smsproxy.outbox")
BOUND_PER_TENANT = 1000
MAX_ATTEMPTS = 12  # 5 s doubling to 10 min: about an hour and a half of trying
BACKOFF_FIRST = 5.0
BACKOFF_MAX = 600.0
BATCH = 100


Render = Callable[[Activation], dict[str, Any]]


def signature(secret: str, at: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def backoff(attempts: int) -> float:
    return float(min(BACKOFF_FIRST * 2 ** (attempts - 1), BACKOFF_MAX))


class Outbox:
    def __init__(
        self,
        ctx: Context,
        tenants: Callable[[], Mapping[str, Tenant]],
        signing_key: Callable[[str], str],
        render: Render | None = None,
        sender: WebhookSender | None = None,
    ) -> None:
        """`render` writes a delivery's body (in a dialect's shape) and `sender` posts it,
        both from the composition root; without them no delivery is made."""
        self._ctx = ctx
        self._tenants = tenants  # owner -> issued tenant
        self._signing_key = signing_key
        self._render = render
        self._sender = sender
        self._in_flight: dict[int, asyncio.Task[None]] = {}

    async def code_arrived(self, before: Activation, after: Activation) -> None:
        if after.code is None or after.code == before.code or self._render is None:
            return
        tenant = self._tenants().get(after.owner)
        url = tenant.policy.webhook_url if tenant and tenant.policy else None
        if tenant is None or tenant.name is None or not url:
            return
        body = json.dumps(self._render(after), separators=(",", ":"))
        now = self._ctx.clock.now()
        delivery = Delivery(0, tenant.name, url, after.id, after.code, body, now, next_at=now)
        added, dropped = await self._ctx.store.outbox.add(delivery, BOUND_PER_TENANT)
        for _ in range(dropped):
            self._ctx.observer.webhook_delivery("dropped")
        if dropped:
            log.warning(
                "outbox of tenant %s full: %s oldest deliveries given up", tenant.name, dropped
            )
        if added is not None:
            self._start(added)  # at once; the dispatcher picks it up too if this fails

    async def dispatch(self) -> int:
        """Start every due delivery not already under way; how many were started."""
        due = await self._ctx.store.outbox.due(self._ctx.clock.now(), BATCH)
        started = [d for d in due if d.id not in self._in_flight]
        for delivery in started:
            self._start(delivery)
        return len(started)

    def _start(self, delivery: Delivery) -> None:
        if self._sender is None or delivery.id in self._in_flight:
            return
        task = self._ctx.spawn(self._send(delivery))
        self._in_flight[delivery.id] = task
        task.add_done_callback(lambda _t: self._in_flight.pop(delivery.id, None))

    async def _send(self, delivery: Delivery) -> None:
        assert self._sender is not None
        body = delivery.body.encode()
        at = int(self._ctx.clock.now())
        headers = {
            "Content-Type": "application/json",
            "X-Smsproxy-Delivery": str(delivery.id),
            "X-Smsproxy-Signature": signature(self._signing_key(delivery.tenant), at, body),
        }
        try:
            status = await self._sender.post(delivery.url, body, headers)
            error = "" if 200 <= status < 300 else f"HTTP {status}"
        except Exception as failed:  # a dead endpoint, a refused connection, a timeout
            error = type(failed).__name__
        attempts = delivery.attempts + 1
        now = self._ctx.clock.now()
        if not error:
            await self._ctx.store.outbox.put(delivery.evolve(state="sent", attempts=attempts))
            self._ctx.observer.webhook_delivery("sent")
            return
        if attempts >= MAX_ATTEMPTS:
            log.error(
                "webhook delivery %s to tenant %s given up: %s", delivery.id, delivery.tenant, error
            )
            await self._ctx.store.outbox.put(
                delivery.evolve(state="failed", attempts=attempts, last_error=error)
            )
            self._ctx.observer.webhook_delivery("failed")
            return
        await self._ctx.store.outbox.put(
            delivery.evolve(attempts=attempts, next_at=now + backoff(attempts), last_error=error)
        )
        self._ctx.observer.webhook_delivery("retried")
