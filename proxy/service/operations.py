"""An operator's view of a running proxy: issued tenants (`tenants`), budgets left,
counts for the metrics page, the purchase journal, negative caches, pacing."""

from __future__ import annotations

from decimal import Decimal

from proxy.domain import Purchase, PurchaseState
from proxy.ports import Clock, Pacer
from proxy.router import Router
from proxy.service.context import Context
from proxy.service.rent import Renter
from proxy.service.tenants.admin import TenantAdmin
from proxy.service.tenants.budget import Budgets


class Operations:
    def __init__(
        self,
        ctx: Context,
        tenants: TenantAdmin,
        budgets: Budgets,
        router: Router,
        renter: Renter,
    ) -> None:
        self._ctx = ctx
        self.tenants = tenants
        self._budgets = budgets
        self.router = router
        self._renter = renter

    @property
    def clock(self) -> Clock:
        return self._ctx.clock

    @property
    def pacer(self) -> Pacer:
        return self._ctx.pacer

    def provider_names(self) -> list[str]:
        return list(self._ctx.providers)

    async def budget_left(self, tenant: str) -> Decimal | None:
        policy = (await self._ctx.store.tenants.policies()).get(tenant)
        left = await self._budgets.left(policy) if policy is not None else {}
        return min(left.values()) if left else None

    async def budgets_left(self) -> dict[str, dict[str, Decimal]]:
        """Each budgeted tenant's budget left, per period (for the metrics page)."""
        policies = await self._ctx.store.tenants.policies()
        return {name: await self._budgets.left(p) for name, p in policies.items() if p.budgeted}

    async def tenant_gauges(self) -> tuple[dict[str, dict[str, Decimal]], int]:
        """Budgets left per tenant and period, and deliveries pending (for /metrics)."""
        pending = (await self._ctx.store.outbox.counts()).get("pending", 0)
        return await self.budgets_left(), pending

    def refused_keys_remembered(self) -> int:
        return self._ctx.keys.refused_count()

    async def activation_counts(self) -> dict[str, int]:
        return await self._ctx.store.activations.counts()

    async def long_rental_counts(self) -> dict[str, int]:
        return await self._ctx.store.long_rentals.counts()

    async def purchases(self, state: PurchaseState | None, limit: int) -> list[Purchase]:
        return await self._ctx.store.journal.newest(state=state, limit=limit)

    async def purchase_counts(self) -> dict[str, int]:
        return await self._ctx.store.journal.counts()

    def negative_entries(self) -> dict[str, dict[str, float]]:
        return {
            cache.name: {repr(k): round(v, 1) for k, v in cache.entries().items()}
            for cache in (self._renter.failed_combinations, self._renter.out_of_stock)
        }

    def purge_negative(self) -> int:
        return self._renter.failed_combinations.purge() + self._renter.out_of_stock.purge()
