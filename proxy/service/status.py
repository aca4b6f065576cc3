"""Reading an activation: the store first, the upstream at most once per poll interval.

Only activations still waiting for a code are polled; received codes and terminal
states are answered from the store. Many clients polling one activation share one
upstream call, which a departing client cannot cancel for the others.
"""

from __future__ import annotations

import asyncio
import logging

from proxy.domain import Activation, ActivationStatus, Tenant
from proxy.errors import NotFound, UpstreamError
from proxy.ports import Flight
from proxy.service.context import Context
from proxy.service.transitions import apply_snapshot
from proxy.service.upstream import Gateway

log = logging.getLogger("smsproxy.status")
POLLED = (ActivationStatus.WAITING, ActivationStatus.RETRY_WAIT)
STATUS_HIT = ("status", "hit")


async def owned(ctx: Context, tenant: Tenant, activation_id: int | None) -> Activation:
    """The tenant's activation; anyone else's, or none, is simply not found."""
    wanted = checked_id(activation_id)
    store = ctx.store.activations
    return mine(tenant, store.peek(wanted) or await store.get(wanted))


def checked_id(activation_id: int | None) -> int:
    if activation_id is None or not 0 < activation_id < 2**31:
        raise NotFound()
    return activation_id


def mine(tenant: Tenant, activation: Activation | None) -> Activation:
    if activation is None or activation.owner != tenant.owner:
        raise NotFound()
    return activation


class StatusReader:
    def __init__(self, ctx: Context, gateway: Gateway) -> None:
        self._ctx = ctx
        self._gateway = gateway
        self._flight: Flight[int, Activation] = ctx.caches.flight("status")
        self._hits = ctx.cache_stats.counts  # CacheStats.count, inlined: every poll counts
        self._activations = ctx.store.activations

    async def read(self, tenant: Tenant, activation_id: int | None) -> Activation:
        # `owned`, inlined: the hottest read makes no coroutine when the store holds it
        wanted, store = checked_id(activation_id), self._activations
        activation = mine(tenant, store.peek(wanted) or await store.get(wanted))
        if activation.status not in POLLED:
            self._hits[STATUS_HIT] += 1
            return activation
        elapsed = self._ctx.clock.now() - activation.checked_at
        if elapsed < self._ctx.settings.status_interval:
            self._hits[STATUS_HIT] += 1
            return activation
        self._ctx.cache_stats.count("status", "miss")
        return await self.refresh(tenant, activation, quiet=True)

    def due(self, activation: Activation) -> bool:
        """Waiting for a code, and not asked about for a poll interval."""
        elapsed = self._ctx.clock.now() - activation.checked_at
        return activation.status in POLLED and elapsed >= self._ctx.settings.status_interval

    async def refresh_all(self, tenant: Tenant, activations: list[Activation]) -> None:
        """Poll them together (a listing); each still takes its paced turn, and a failed
        poll leaves what the store knows."""
        await asyncio.gather(*(self.refresh(tenant, a, quiet=True) for a in activations))

    async def refresh(
        self, tenant: Tenant, activation: Activation, *, quiet: bool = False
    ) -> Activation:
        """Ask the upstream once; concurrent callers wait for the same answer."""
        try:
            return await self._flight.do(activation.id, lambda: self._fetch(tenant, activation))
        except UpstreamError as exc:
            if not quiet:
                raise
            # a poll that fails answers from what the store already knows
            log.warning(
                "status refresh failed for activation %s: %s", activation.id, type(exc).__name__
            )
            return activation

    async def _fetch(self, tenant: Tenant, activation: Activation) -> Activation:
        snap = await self._gateway.call(
            self._gateway.account_at(tenant, activation.provider),
            "status",
            lambda p, key: p.status(key, activation.upstream_id),
            max_wait=self._ctx.settings.poll_wait_seconds,
        )
        current = await self._ctx.store.activations.get(activation.id) or activation
        updated = apply_snapshot(current, snap, self._ctx.clock.now())
        if updated != current:
            await self._ctx.save(current, updated)
        return updated
