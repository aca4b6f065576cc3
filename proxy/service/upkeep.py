"""The service's own background work: issued keys read again, codes out to tenants'
webhooks, ended rentals asked about, and the orderly end."""

from __future__ import annotations

import asyncio

from proxy.service.context import Context
from proxy.service.identity import Identity
from proxy.service.long_rentals import LongRentals
from proxy.service.outbox import Outbox
from proxy.service.status import StatusReader
from proxy.service.tenants import issued_keys

SWEEP_LIMIT = 100  # rentals asked about per sweep (each takes a paced status call)
SWEEP_GRACE_SECONDS = 5.0  # past its end time, a rental is the vendor's to have closed


class Upkeep:
    def __init__(
        self,
        ctx: Context,
        identity: Identity,
        reader: StatusReader,
        long_rentals: LongRentals,
        outbox: Outbox,
    ) -> None:
        self._ctx = ctx
        self._identity = identity
        self._reader = reader
        self._long_rentals = long_rentals
        self._outbox = outbox
        self._keys_told = asyncio.Event()

    def keys_changed(self) -> None:
        """The store says issued keys or policies changed (pushed to every replica)."""
        self._keys_told.set()

    async def keys_told(self, within: float) -> bool:
        """Whether the store said keys changed, waiting `within` seconds at most."""
        try:
            await asyncio.wait_for(self._keys_told.wait(), within)
        except TimeoutError:
            return False
        self._keys_told.clear()
        return True

    async def refresh_keys(self) -> bool:
        """Take the issued keys from the store again (revocations, expiries, new keys)."""
        changed = await issued_keys.reload(self._ctx.store, self._identity, self._ctx.clock.now())
        if changed:
            self._ctx.observer.tenants_known(sorted(self._identity.issued_tenants()))
        return changed

    async def deliver(self) -> int:
        """Start every due webhook delivery to tenants; how many were started."""
        return await self._outbox.dispatch()

    async def sweep_ended(self, limit: int = SWEEP_LIMIT) -> int:
        """Ask the vendor about issued tenants' rentals whose time is over and that nobody
        has asked about since: their refunds (and long rentals' auto-renewals) reach the
        ledger without a client's poll. How many were asked about."""
        issued = self._identity.issued()
        before = self._ctx.clock.now() - SWEEP_GRACE_SECONDS
        found = await self._ctx.store.activations.open_ended(list(issued), before, limit)
        ended = [a for a in found if self._reader.due(a)]
        await asyncio.gather(*(self._reader.refresh(issued[a.owner], a, quiet=True) for a in ended))
        long_ended = await self._long_rentals.sweep_ended(issued, SWEEP_GRACE_SECONDS, limit)
        return len(ended) + long_ended

    async def close(self) -> None:
        await self._ctx.drain()
        for provider in self._ctx.providers.values():
            await provider.close()
        await self._ctx.store.close()
