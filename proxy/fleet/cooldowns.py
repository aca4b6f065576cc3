"""Routing cooldowns shared by a fleet: a provider account one replica found failing
cools down on every replica.

The router's cooldowns are synchronous (a purchase must not wait on Redis to pick an
account), so each replica mirrors them: a cooldown set here goes to a Redis hash at once,
the others take it in at their next sync (every heartbeat); the later end wins. A replica
that sees the account serve again removes it from the hash. Times are the service
clock's seconds since the epoch: replicas' clocks are assumed within a second (NTP).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from proxy.local.tasks import watched
from proxy.router import Router

log = logging.getLogger("smsproxy.fleet")
AWAY = (RedisError, OSError)


class SharedCooldowns:
    def __init__(self, redis: Redis, prefix: str, router: Router) -> None:
        self._redis, self._hash, self._router = redis, f"{prefix}:cooldowns", router
        self._pending: set[asyncio.Task[None]] = set()
        router.listener = self._changed

    def _changed(self, name: str, until: float | None) -> None:
        task = asyncio.get_running_loop().create_task(self._publish(name, until))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        watched(task, "cooldown-publish")

    async def _publish(self, name: str, until: float | None) -> None:
        try:
            if until is None:
                await self._redis.hdel(self._hash, name)
            else:
                await self._redis.hset(self._hash, name, repr(until))
        except AWAY as away:
            log.warning("cooldown of %s kept here only: %s", name, type(away).__name__)

    async def sync(self, now: float) -> None:
        """Take in the others' cooldowns; forget those that have ended."""
        try:
            shared = await self._redis.hgetall(self._hash)
        except AWAY:
            return
        ended = []
        for raw_name, raw_until in shared.items():
            name = raw_name.decode() if isinstance(raw_name, bytes) else str(raw_name)
            until = float(raw_until)
            if until <= now:
                ended.append(name)
            else:
                self._router.adopt(name, until)
        if ended:
            with contextlib.suppress(*AWAY):
                await self._redis.hdel(self._hash, *ended)

    async def settle(self) -> None:
        await asyncio.gather(*self._pending, return_exceptions=True)
