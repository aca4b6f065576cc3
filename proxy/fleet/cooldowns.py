"""Routing cooldowns decided once for the fleet: a provider account one replica found
failing cools down on every replica at once.

The decision is one Lua script in Redis: a cooldown is kept if it ends later than the
one Redis holds (the later end wins), a lift removes it, and either is published on the
fleet's cooldowns channel in the same script. Every replica subscribes and applies what
it hears to its router (whose cooldowns stay synchronous: a purchase never waits on
Redis to pick an account). A replica that lost the subscription takes in the hash at its
next sync (every heartbeat), so nothing is missed for longer than that. Times are the
service clock's seconds since the epoch: replicas' clocks are assumed within a second
(NTP).
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
RETRY_SECONDS = 1.0
FOREVER = 1e15  # "until its balance rises", as a number Lua reads

DECIDE = """
if ARGV[2] == '' then
    if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
else
    local held = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
    if tonumber(ARGV[2]) <= held then return 0 end
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
redis.call('PUBLISH', KEYS[2], ARGV[1] .. '\t' .. ARGV[2])
return 1
"""


class SharedCooldowns:
    def __init__(self, redis: Redis, prefix: str, router: Router) -> None:
        self._redis, self._router = redis, router
        self._hash, self._channel = f"{prefix}:cooldowns", f"{prefix}:cooldowns:decided"
        self._decide = redis.register_script(DECIDE)
        self._pending: set[asyncio.Task[None]] = set()
        self.listening = False
        router.listener = self._changed

    def _changed(self, name: str, until: float | None) -> None:
        task = asyncio.get_running_loop().create_task(self._publish(name, until))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        watched(task, "cooldown-publish")

    async def _publish(self, name: str, until: float | None) -> None:
        try:
            await self._decide(
                keys=[self._hash, self._channel],
                args=[name, "" if until is None else repr(min(until, FOREVER))],
            )
        except AWAY as away:
            log.warning("cooldown of %s kept here only: %s", name, type(away).__name__)

    def _heard(self, message: str) -> None:
        name, _, until = message.partition("\t")
        if until:
            self._router.adopt(name, float(until))
        else:
            self._router.release(name)

    async def follow(self) -> None:
        """Apply every decision as it is published, until cancelled; after a lost
        subscription, what was decided meanwhile is taken in from the hash."""
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    self.listening = True
                    await self.sync(self._router.now())
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            data = message["data"]
                            self._heard(data.decode() if isinstance(data, bytes) else str(data))
            except AWAY as away:
                if self.listening:
                    log.warning("cooldowns channel lost: %s", type(away).__name__)
            finally:
                self.listening = False
            await asyncio.sleep(RETRY_SECONDS)

    async def sync(self, now: float) -> None:
        """Take in the fleet's cooldowns; forget those that have ended."""
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
