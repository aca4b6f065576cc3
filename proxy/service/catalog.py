"""Offers (prices, stock) per provider account: TTL, stale-while-revalidate, one flight."""

from __future__ import annotations

from collections.abc import Sequence

from ..caching import TtlCache
from ..domain import Offer, Tenant
from ..errors import UpstreamError
from .context import Context
from .upstream import Gateway


class Catalog:
    def __init__(self, ctx: Context, gateway: Gateway) -> None:
        self._ctx = ctx
        self._gateway = gateway
        self._cache: TtlCache[str, Sequence[Offer]] = TtlCache(
            "offers",
            ctx.clock.now,
            ctx.cache_stats,
            ttl=ctx.settings.offers_ttl_seconds,
            stale_for=ctx.settings.offers_stale_seconds,
        )

    async def offers(self, tenant: Tenant) -> Sequence[Offer]:
        async def load() -> Sequence[Offer]:
            return await self._gateway.call(
                tenant, "offers", lambda: self._ctx.provider.offers(tenant.api_key)
            )

        return await self._cache.get(self._gateway.account(tenant), load)

    def peek(self, tenant: Tenant) -> Sequence[Offer]:
        """The offers already in hand (none fetched)."""
        return self._cache.peek(self._gateway.account(tenant)) or ()

    def known_multiple_sms(self, tenant: Tenant, service: str) -> bool | None:
        """From the offers already in hand; None when none are (nothing is fetched)."""
        offers = self._cache.peek(self._gateway.account(tenant))
        if offers is None:
            return None
        return any(o.service == service and o.multiple_sms for o in offers)

    async def multiple_sms(self, tenant: Tenant, service: str) -> bool:
        """Whether the service takes a second SMS; unknown (upstream down) means no."""
        try:
            offers = await self.offers(tenant)
        except UpstreamError:
            return False
        return any(o.service == service and o.multiple_sms for o in offers)
