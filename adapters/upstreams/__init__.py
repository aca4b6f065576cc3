"""South side: one package per vendor kind behind `proxy.ports.Provider`."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from proxy.domain import LimitGroup, Timeouts
from proxy.ports import Observer, Provider

from .fivesim import FivesimProvider
from .getatext import GetatextProvider
from .handler_api import HandlerApiProvider
from .http import Http
from .onlinesim import OnlinesimProvider
from .smspool import SmspoolProvider
from .textverified import TextverifiedProvider

ProviderFactory = Callable[..., Provider]

# The one list of vendor kinds: kind -> factory(base_url, shared client, timeouts, observer,
# **options from the provider's configuration).
KINDS: dict[str, ProviderFactory] = {
    "getatext": GetatextProvider,
    "handler-api": HandlerApiProvider,
    "fivesim": FivesimProvider,
    "smspool": SmspoolProvider,
    "onlinesim": OnlinesimProvider,
    "textverified": TextverifiedProvider,
}


class Upstreams:
    """Owns the one HTTP client every provider shares (connection pooling, keep-alive)."""

    def __init__(self, max_connections: int = 200, observer: Observer | None = None) -> None:
        self._observer = observer
        self._client = Http(max_connections)

    def provider(
        self,
        kind: str,
        base_url: str,
        timeouts: Timeouts,
        name: str | None = None,
        countries: Collection[str] = (),
        services: Collection[str] = (),
        limits: Mapping[str, float] | None = None,
        **options: Any,
    ) -> Provider:
        """A provider of `kind`, called `name` (the kind when there is one of it), selling
        numbers of `countries` (when given: the vendor's own list otherwise)."""
        provider = KINDS[kind](base_url, self._client, timeouts, self._observer, **options)
        if name is not None:
            provider.name = name
        if countries:
            provider.countries = frozenset(countries)
        if services:
            provider.services = frozenset(services)
        if limits:
            unknown = set(limits) - {g.name for g in provider.limits.values()}
            if unknown:
                raise ValueError(f"{provider.name} has no limit group {', '.join(sorted(unknown))}")
            provider.limits = {
                op: LimitGroup(g.name, limits.get(g.name, g.per_second))
                for op, g in provider.limits.items()
            }
        return provider

    async def aclose(self) -> None:
        await self._client.aclose()
