"""Reading an activation: the store first, the upstream at most once per poll interval.

Many clients polling one activation share one upstream call (single-flight), and an
activation is not asked about again before `poll_interval_seconds` have passed.
"""

from __future__ import annotations

import asyncio
import logging

from ..domain import Activation, Tenant
from ..errors import NotFound, UpstreamError
from .context import Context
from .transitions import apply_snapshot

log = logging.getLogger("smsproxy.status")


async def owned(ctx: Context, tenant: Tenant, activation_id: int | None) -> Activation:
    """The tenant's activation; anyone else's, or none, is simply not found."""
    if activation_id is None or not 0 < activation_id < 2**31:
        raise NotFound()
    activation = await ctx.store.get(activation_id)
    if activation is None or activation.owner != tenant.owner:
        raise NotFound()
    return activation


class StatusReader:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._in_flight: dict[int, asyncio.Future[Activation]] = {}

    async def read(self, tenant: Tenant, activation_id: int | None) -> Activation:
        activation = await owned(self._ctx, tenant, activation_id)
        if not activation.status.is_open:
            return activation
        due = (
            self._ctx.clock.now() - activation.checked_at
            >= self._ctx.settings.poll_interval_seconds
        )
        if not due:
            return activation
        return await self.refresh(tenant, activation, quiet=True)

    async def refresh(
        self, tenant: Tenant, activation: Activation, *, quiet: bool = False
    ) -> Activation:
        """Ask the upstream once; concurrent callers wait for the same answer."""
        pending = self._in_flight.get(activation.id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Activation] = asyncio.get_running_loop().create_future()
        self._in_flight[activation.id] = future
        try:
            result = await self._fetch(tenant, activation, quiet)
            future.set_result(result)
            return result
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody else must log it
            raise
        finally:
            del self._in_flight[activation.id]

    async def _fetch(self, tenant: Tenant, activation: Activation, quiet: bool) -> Activation:
        try:
            snap = await self._ctx.provider.status(tenant.api_key, activation.upstream_id)
        except UpstreamError as exc:
            if not quiet:
                raise
            # a poll that fails answers from what the store already knows
            log.warning(
                "status refresh failed for activation %s: %s", activation.id, type(exc).__name__
            )
            return activation
        updated = apply_snapshot(activation, snap, self._ctx.clock.now())
        if updated != activation:
            await self._ctx.store.put(updated)
        return updated
