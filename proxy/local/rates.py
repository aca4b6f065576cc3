"""Each issued tenant's request rate, over every dialect together.

A token bucket per tenant that holds one second's worth of requests (at least one), on
the injected clock, in the process (`ports.RateLimits`); a fleet decides them in Redis
(`proxy.fleet.rates`) with the same bucket, and falls back to this one when Redis is away.
"""

from __future__ import annotations

from collections.abc import Callable

from cachetools import LRUCache

TENANTS = 4096  # buckets kept; a tenant that was evicted starts again with a full bucket


class TenantRates:
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._buckets: LRUCache[str, tuple[float, float]] = LRUCache(TENANTS)  # tokens, at

    async def admit(self, tenant: str, per_second: float, burst: float | None = None) -> float:
        return self.take(tenant, per_second, burst)

    def take(self, tenant: str, per_second: float, burst: float | None = None) -> float:
        """0 when the request may go; else the seconds until it could."""
        now, size = self._now(), burst or max(per_second, 1.0)
        tokens, at = self._buckets.get(tenant, (size, now))
        tokens = min(size, tokens + (now - at) * per_second)
        if tokens >= 1.0:
            self._buckets[tenant] = (tokens - 1.0, now)
            return 0.0
        self._buckets[tenant] = (tokens, now)
        return (1.0 - tokens) / per_second
