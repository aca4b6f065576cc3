"""Offers (prices, stock) per provider account: TTL, stale-while-revalidate, one flight."""

from __future__ import annotations

from collections.abc import Sequence

from proxy.domain import Offer, UpstreamAccount
from proxy.errors import UpstreamError
from proxy.ports import Cache
from proxy.service.context import Context
from proxy.service.upstream import Gateway


class Catalog:
    def __init__(self, ctx: Context, gateway: Gateway) -> None:
        self._ctx = ctx
        self._gateway = gateway
        self.last_loaded: Sequence[Offer] | None = None  # by any account: guests' prices
        self._cache: Cache[str, Sequence[Offer]] = ctx.caches.cache(
            "offers",
            ttl=ctx.settings.offers_ttl_seconds,
            stale_for=ctx.settings.offers_stale_seconds,
        )

    async def offers(self, account: UpstreamAccount) -> Sequence[Offer]:
        async def load() -> Sequence[Offer]:
            loaded = await self._gateway.call(account, "offers", lambda p, key: p.offers(key))
            self.last_loaded = loaded
            return loaded

        return await self._cache.get(account.name, load)

    def peek(self, account: UpstreamAccount) -> Sequence[Offer]:
        """The offers already in hand (none fetched)."""
        return self._cache.peek(account.name) or ()

    def known_multiple_sms(self, account: UpstreamAccount, service: str) -> bool | None:
        """From the offers already in hand; None when none are (nothing is fetched)."""
        offers = self._cache.peek(account.name)
        if offers is None:
            return None
        return any(o.service == service and o.multiple_sms for o in offers)

    async def multiple_sms(self, account: UpstreamAccount, service: str) -> bool:
        """Whether the service takes a second SMS; unknown (upstream down) means no."""
        try:
            offers = await self.offers(account)
        except UpstreamError:
            return False
        return any(o.service == service and o.multiple_sms for o in offers)
