"""What a client's balance reads: an issued tenant's budget left, else the vendor's, read
with no purchase under way (the witness reconciliation relies on) and shared by callers."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from proxy.domain import Tenant
from proxy.errors import UpstreamError
from proxy.ports import Cache, Flight
from proxy.router import Router
from proxy.service.context import LISTING_WAIT, Context
from proxy.service.journal import Journal
from proxy.service.tenants.budget import Budgets
from proxy.service.upstream import Gateway

BALANCE_HINT_SECONDS = 5.0
BALANCE_HINT_WAIT = 1.0
ZERO = Decimal("0.00")


class Balances:
    def __init__(
        self, ctx: Context, gateway: Gateway, journal: Journal, budgets: Budgets, router: Router
    ) -> None:
        self._ctx = ctx
        self._gateway = gateway
        self._journal = journal
        self._budgets = budgets
        self._router = router
        self._recent: Cache[str, Decimal] = ctx.caches.cache("balance", ttl=BALANCE_HINT_SECONDS)
        self._reads: Flight[str, Decimal] = ctx.caches.flight("balance")

    async def shown(self, tenant: Tenant) -> Decimal | None:
        """What an issued tenant's balance reads: its budget left; without a budget, 0
        unless its policy shows it its accounts' balance (None: the vendor's it is)."""
        if tenant.name is None:
            return None
        left = await self._budgets.remaining(tenant)
        if left is not None:
            return left
        return None if tenant.policy is not None and tenant.policy.upstream_balance else ZERO

    async def current(self, tenant: Tenant) -> Decimal:
        shown = await self.shown(tenant)
        if shown is not None:
            return shown
        return await self._reads.do(tenant.owner, lambda: self._witnessed(tenant))

    async def _witnessed(self, tenant: Tenant) -> Decimal:
        """Read with no purchase under way, a balance is what later proves a purchase
        whose outcome is unknown was never charged (reconcile.py)."""
        account = self._gateway.primary(tenant)
        token = self._journal.balances.quiet(account.name)
        value = await self._gateway.call(account, "balance", lambda p, key: p.balance(key))
        self._journal.balances.saw(account.name, value, token)
        self._router.funds_seen(account, value)
        return value

    async def recent(self, tenant: Tenant) -> Decimal:
        """A balance at most a few seconds old."""

        async def load() -> Decimal:
            return await self.current(tenant)

        shown = await self.shown(tenant)  # the store's word: no need to keep it
        if shown is not None:
            return shown
        return await self._recent.get(tenant.owner, load)

    async def hint(self, tenant: Tenant) -> Decimal | None:
        """For answers that merely mention the balance (a rental's status): a recent one
        if the vendor gives it quickly, else the last one seen, else None. Never the
        reason an answer fails or waits (the read goes on behind for the next answer)."""
        try:
            return await asyncio.wait_for(self.recent(tenant), BALANCE_HINT_WAIT)
        except (UpstreamError, TimeoutError):
            return self._recent.peek(tenant.owner)

    async def for_listing(self, tenant: Tenant) -> Decimal:
        """For listings that carry the balance (5sim's profile): a recent one if the
        vendor gives it within LISTING_WAIT, else the last one seen (a slow read goes on
        behind, a failed one is answered so); only when none was ever seen does the
        answer wait for the vendor."""
        shown = await self.shown(tenant)
        if shown is not None:
            return shown
        reading = asyncio.ensure_future(self.recent(tenant))
        await asyncio.wait({reading}, timeout=LISTING_WAIT)
        if reading.done() and reading.exception() is None:
            return reading.result()
        last = self._recent.peek(tenant.owner)
        if last is None:
            return await reading  # never seen: the vendor's answer (or its error) it is
        reading.add_done_callback(_quietly)
        return last


def _quietly(task: asyncio.Future[Decimal]) -> None:
    """A read nobody waits for any more: its failure was answered from the last balance."""
    if not task.cancelled():
        task.exception()
