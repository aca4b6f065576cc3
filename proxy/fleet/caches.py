"""The caches of a fleet (`ports.Caches`), shared through Redis.

* **Flight**: concurrent calls with the same key share one execution across replicas:
  the first takes a lease (`SET NX PX`, renewed while it works), the others wait for its
  result (kept briefly) or for the lease to go, then do the work themselves: a leader
  that died holds them up for one lease, LEASE_SECONDS. Within a replica the in-process
  single flight still comes first.
* **Cache**: entries live in Redis with the time they were stored: fresh for `ttl`, then
  served stale for `stale_for` while one replica (the one that takes the refresh lease)
  loads them again.
* **NegativeCache**: the port is synchronous (answered without a wait), so each replica
  keeps a mirror: what it remembers goes to Redis at once, what others remembered comes
  in at each `sync` (every second).

Values travel pickled: Redis is inside the proxy's trust boundary, like its database.
Redis away: each falls back to the in-process behaviour of `proxy.local.caching` (a replica
alone), and picks Redis up again by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import pickle
import time
import uuid
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from proxy.local.caching import CacheStats, NegativeCache, SingleFlight, TtlCache
from proxy.local.tasks import watched

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
log = logging.getLogger("smsproxy.fleet")
LEASE_SECONDS = 3.0  # a leader that died holds its followers up this long at most
RENEW_SECONDS = 1.0  # a leader at work renews its lease this often
RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
RESULT_SECONDS = 2.0  # how long a shared result waits for its followers
LEASE_MS = round(LEASE_SECONDS * 1000)
FOLLOW_LONGEST = 60.0  # a leader still renewing after this is not waited for any more
REFRESH_LOCK_MS = 15_000  # one replica refreshes a stale entry meanwhile
POLL_SECONDS = 0.02
AWAY = (RedisError, OSError)


def _unpickle(raw: bytes | str) -> Any:
    return pickle.loads(raw if isinstance(raw, bytes) else raw.encode("latin-1"))


def _digest(key: Hashable) -> str:
    return hashlib.sha256(repr(key).encode()).hexdigest()[:32]


class SharedFlight(Generic[K, V]):
    def __init__(self, redis: Redis, prefix: str, name: str, stats: CacheStats) -> None:
        self._redis, self._prefix, self.name = redis, f"{prefix}:flight:{name}", name
        self._stats = stats
        self._renew_script = redis.register_script(RENEW)
        self._local: SingleFlight[K, V] = SingleFlight(name, stats)

    async def do(self, key: K, work: Callable[[], Awaitable[V]]) -> V:
        return await self._local.do(key, lambda: self._leased(key, work))

    async def _leased(self, key: K, work: Callable[[], Awaitable[V]]) -> V:
        base = f"{self._prefix}:{_digest(key)}"
        lease, result = f"{base}:lease", f"{base}:result"
        token = uuid.uuid4().hex
        try:
            leader = await self._redis.set(lease, token, nx=True, px=LEASE_MS)
            if leader:  # an earlier flight's result is not this one's
                await self._redis.delete(result)
        except AWAY:
            return await work()
        if leader:
            renewing = asyncio.get_running_loop().create_task(self._renew(lease, token))
            try:
                value = await work()
            except BaseException:
                renewing.cancel()
                await self._quietly(self._redis.delete(lease))
                raise
            renewing.cancel()
            await self._quietly(self._share(lease, result, value))
            return value
        return await self._follow(lease, result, work)

    async def _renew(self, lease: str, token: str) -> None:
        """Keep the lease while the work goes on (a leader that dies stops renewing)."""
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            try:
                if not await self._renew_script(keys=[lease], args=[token, LEASE_MS]):
                    return  # lost: the followers have gone their own way
            except AWAY:
                return

    async def _share(self, lease: str, result: str, value: V) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(result, pickle.dumps(value), px=round(RESULT_SECONDS * 1000))
            pipe.delete(lease)
            await pipe.execute()

    async def _follow(self, lease: str, result: str, work: Callable[[], Awaitable[V]]) -> V:
        deadline = time.monotonic() + FOLLOW_LONGEST
        try:
            while time.monotonic() < deadline:
                await asyncio.sleep(POLL_SECONDS)
                raw = await self._redis.get(result)
                if raw is not None:
                    self._stats.count(self.name, "coalesced")
                    value: V = _unpickle(raw)
                    return value
                if not await self._redis.exists(lease):
                    break  # the leader failed: do it here
        except AWAY:
            pass
        return await work()

    @staticmethod
    async def _quietly(call: Awaitable[Any]) -> None:
        try:
            await call
        except AWAY as away:
            log.warning("Redis away while sharing a result: %s", type(away).__name__)


class SharedCache(Generic[K, V]):
    def __init__(
        self,
        redis: Redis,
        prefix: str,
        name: str,
        stats: CacheStats,
        clock: Callable[[], float],
        *,
        ttl: float,
        stale_for: float,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._redis, self._prefix, self.name = redis, f"{prefix}:cache:{name}", name
        self._stats, self._wall = stats, wall
        self.ttl, self.stale_for = ttl, stale_for
        self._local: TtlCache[K, V] = TtlCache(name, clock, stats, ttl=ttl, stale_for=stale_for)
        self._flight: SharedFlight[K, V] = SharedFlight(redis, prefix, f"cache-{name}", stats)
        self._seen: dict[K, V] = {}  # the last value this replica saw, for peek
        self._refreshing: set[asyncio.Task[None]] = set()

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        where = f"{self._prefix}:{_digest(key)}"
        try:
            raw = await self._redis.get(where)
        except AWAY:
            return await self._local.get(key, load)
        if raw is not None:
            value, stored_at = _unpickle(raw)
            self._seen[key] = value
            age = self._wall() - stored_at
            if age < self.ttl:
                self._stats.count(self.name, "hit")
                return value  # type: ignore[no-any-return]
            self._stats.count(self.name, "stale")
            self._refresh_behind(key, where, load)
            return value  # type: ignore[no-any-return]
        self._stats.count(self.name, "miss")
        return await self._flight.do(key, lambda: self._load(key, where, load))

    async def _load(self, key: K, where: str, load: Callable[[], Awaitable[V]]) -> V:
        value = await load()
        self._seen[key] = value
        try:
            keep_ms = round((self.ttl + self.stale_for) * 1000)
            await self._redis.set(where, pickle.dumps((value, self._wall())), px=max(keep_ms, 1))
        except AWAY as away:
            log.warning("%s: Redis away, not shared: %s", self.name, type(away).__name__)
        return value

    def _refresh_behind(self, key: K, where: str, load: Callable[[], Awaitable[V]]) -> None:
        async def refresh() -> None:
            lock = f"{where}:refresh"
            try:
                if not await self._redis.set(lock, "1", nx=True, px=REFRESH_LOCK_MS):
                    return  # another replica is refreshing it
                try:
                    raw = await self._redis.get(where)
                    if raw is not None and self._wall() - _unpickle(raw)[1] < self.ttl:
                        return  # another replica has just refreshed it
                    await self._load(key, where, load)
                finally:
                    await self._redis.delete(lock)
            except Exception as failed:
                log.warning("%s: background refresh failed: %s", self.name, type(failed).__name__)

        task = asyncio.get_running_loop().create_task(refresh())
        self._refreshing.add(task)
        task.add_done_callback(self._refreshing.discard)
        watched(task, "refresh", self._stats.failures)

    def peek(self, key: K) -> V | None:
        return self._seen.get(key, self._local.peek(key))


class SharedNegativeCache(NegativeCache[K]):
    """The in-process negative cache, mirrored to and from a Redis hash."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        name: str,
        clock: Callable[[], float],
        stats: CacheStats,
        ttl: float,
        wall: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(name, clock, stats, ttl)
        self._redis, self._hash, self._wall = redis, f"{prefix}:negative:{name}", wall
        self._keys: dict[str, K] = {}  # digest -> key, for keys this replica has seen
        self._pending: set[asyncio.Task[None]] = set()

    def remember(self, key: K) -> None:
        super().remember(key)
        if not self.enabled:
            return
        digest = _digest(key)
        self._keys[digest] = key
        until = self._wall() + self.ttl
        task = asyncio.get_running_loop().create_task(self._publish(digest, key, until))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        watched(task, "negative-publish")

    async def _publish(self, digest: str, key: K, until: float) -> None:
        try:
            await self._redis.hset(self._hash, digest, pickle.dumps((key, until)))
        except AWAY as away:
            log.warning("%s: Redis away, remembered here only: %s", self.name, type(away).__name__)

    async def sync(self) -> None:
        """Take in what the other replicas remembered; forget what has expired."""
        if not self.enabled:
            return
        try:
            shared = await self._redis.hgetall(self._hash)
        except AWAY:
            return
        wall, now = self._wall(), self._clock()
        expired = []
        for digest, raw in shared.items():
            key, until = _unpickle(raw)
            if until <= wall:
                expired.append(digest)
                continue
            local_until = now + (until - wall)
            if self._until.get(key, 0.0) < local_until:
                self._until[key] = local_until
        if expired:
            with contextlib.suppress(*AWAY):
                await self._redis.hdel(self._hash, *expired)

    def purge(self) -> int:
        count = super().purge()
        task = asyncio.get_running_loop().create_task(self._purge_shared())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        watched(task, "negative-purge")
        return count

    async def _purge_shared(self) -> None:
        with contextlib.suppress(*AWAY):
            await self._redis.delete(self._hash)


class RedisCaches:
    """`ports.Caches` for a fleet; `sync` takes in the other replicas' negative entries."""

    def __init__(self, redis: Redis, prefix: str, clock: Callable[[], float]) -> None:
        self._redis, self._prefix, self._clock = redis, prefix, clock
        self.stats = CacheStats()
        self._negatives: list[SharedNegativeCache[Any]] = []

    def flight(self, name: str) -> SharedFlight[Any, Any]:
        return SharedFlight(self._redis, self._prefix, name, self.stats)

    def cache(self, name: str, *, ttl: float, stale_for: float = 0.0) -> SharedCache[Any, Any]:
        return SharedCache(
            self._redis, self._prefix, name, self.stats, self._clock, ttl=ttl, stale_for=stale_for
        )

    def negative(self, name: str, ttl: float) -> SharedNegativeCache[Any]:
        made: SharedNegativeCache[Any] = SharedNegativeCache(
            self._redis, self._prefix, name, self._clock, self.stats, ttl
        )
        self._negatives.append(made)
        return made

    async def sync(self) -> None:
        for negative in self._negatives:
            await negative.sync()
