"""Issued tenants' request rates decided once for the fleet (`ports.RateLimits`).

The bucket of `proxy.local.rates` (one second's worth of requests, at least one), as
a generic cell rate in one Lua script on Redis's clock: a request may go when the
tenant's theoretical arrival time is no more than a bucket ahead of now. Every replica
asks the same key, so a tenant's rate holds however its clients spread over replicas.

Redis away: each replica admits its share of the rate (the rate / the replicas it last
saw alive), in process, so that together they stay within it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from proxy.local.rates import TenantRates

ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, bucket = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
local after = tat + interval
if after - now > bucket then return after - now - bucket end
redis.call('SET', KEYS[1], after, 'PX', math.ceil((after - now) / 1000) + 1000)
return 0
"""


class RedisRates:
    def __init__(self, redis: Redis, prefix: str, alive: Callable[[], int]) -> None:
        self._prefix = f"{prefix}:rate:"
        self._admit = redis.register_script(ADMIT)
        self._alone = TenantRates(time.monotonic)  # Redis away: the replica's own clock
        self._alive = alive

    async def admit(self, tenant: str, per_second: float, burst: float | None = None) -> float:
        interval = 1_000_000 / per_second  # µs between two requests
        bucket = (burst or max(per_second, 1.0)) * interval
        try:
            wait_us = await self._admit(
                keys=[self._prefix + tenant], args=[round(interval), round(bucket)]
            )
        except (RedisError, OSError):
            return self._alone.take(tenant, per_second / max(self._alive(), 1), burst)
        return int(wait_us) / 1_000_000
