"""Every business rule of smsproxy, behind one façade the dialects call."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ..domain import Activation, Offer, Order, Tenant
from ..ports import ActivationStore, Clock, Provider
from . import lifecycle, rent
from .catalog import Catalog
from .context import Context, ServiceSettings
from .identity import Identity
from .status import StatusReader

__all__ = ["Service", "ServiceSettings"]


class Service:
    def __init__(
        self,
        provider: Provider,
        store: ActivationStore,
        clock: Clock,
        identity: Identity,
        settings: ServiceSettings | None = None,
    ) -> None:
        self._ctx = Context(provider, store, clock, settings or ServiceSettings())
        self._identity = identity
        self._catalog = Catalog(self._ctx)
        self._reader = StatusReader(self._ctx)

    @property
    def clock(self) -> Clock:
        return self._ctx.clock

    def tenant(self, api_key: str | None) -> Tenant:
        return self._identity.tenant(api_key)

    async def balance(self, tenant: Tenant) -> Decimal:
        return await self._ctx.provider.balance(tenant.api_key)

    async def offers(self, tenant: Tenant) -> Sequence[Offer]:
        return await self._catalog.offers(tenant)

    async def rent(self, tenant: Tenant, order: Order) -> Activation:
        return (await rent.rent(self._ctx, self._catalog, tenant, order))[0]

    async def rent_many(self, tenant: Tenant, order: Order) -> list[Activation]:
        return await rent.rent(self._ctx, self._catalog, tenant, order, many=True)

    async def status(self, tenant: Tenant, activation_id: int | None) -> Activation:
        return await self._reader.read(tenant, activation_id)

    async def active(self, tenant: Tenant) -> list[Activation]:
        current = [
            await self._reader.read(tenant, a.id)
            for a in await self._ctx.store.open_for(tenant.owner)
        ]
        return [a for a in current if a.status.is_open]

    async def mark_ready(self, tenant: Tenant, activation_id: int | None) -> Activation:
        return await lifecycle.mark_ready(self._ctx, tenant, activation_id)

    async def request_another(self, tenant: Tenant, activation_id: int | None) -> Activation:
        return await lifecycle.request_another(self._ctx, self._reader, tenant, activation_id)

    async def complete(self, tenant: Tenant, activation_id: int | None) -> Activation:
        return await lifecycle.complete(self._ctx, self._reader, tenant, activation_id)

    async def cancel(self, tenant: Tenant, activation_id: int | None) -> Activation:
        return await lifecycle.cancel(self._ctx, self._reader, tenant, activation_id)

    async def quote_extra(
        self, tenant: Tenant, activation_id: int | None
    ) -> tuple[Activation, Decimal]:
        parent = await lifecycle.quote_extra(self._ctx, tenant, activation_id)
        return parent, lifecycle.rerent_cost(parent)

    async def extra(self, tenant: Tenant, activation_id: int | None) -> Activation:
        return await lifecycle.extra(self._ctx, self._catalog, tenant, activation_id)

    async def close(self) -> None:
        await self._ctx.provider.close()
        await self._ctx.store.close()
