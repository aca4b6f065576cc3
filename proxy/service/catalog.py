"""Offers (prices, stock) per tenant, cached for a short TTL."""

from __future__ import annotations

from collections.abc import Sequence

from cachetools import TTLCache

from ..domain import Offer, Tenant
from ..errors import UpstreamError
from .context import Context


class Catalog:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._cache: TTLCache[str, Sequence[Offer]] = TTLCache(
            maxsize=10_000, ttl=ctx.settings.offers_ttl_seconds, timer=ctx.clock.now
        )

    async def offers(self, tenant: Tenant) -> Sequence[Offer]:
        cached = self._cache.get(tenant.owner)
        if cached is not None:
            return cached
        offers = await self._ctx.provider.offers(tenant.api_key)
        self._cache[tenant.owner] = offers
        return offers

    async def multiple_sms(self, tenant: Tenant, service: str) -> bool:
        """Whether the service takes a second SMS; unknown (upstream down) means no."""
        try:
            offers = await self.offers(tenant)
        except UpstreamError:
            return False
        return any(o.service == service and o.multiple_sms for o in offers)
