"""The fleet's caches and routing cooldowns on a real Redis (the machine's, a key prefix
of the test's own): two instances stand for two replicas."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from proxy import errors as e
from proxy.domain import UpstreamAccount
from proxy.fleet.caches import RedisCaches
from proxy.fleet.cooldowns import SharedCooldowns
from proxy.router import Router

REDIS_URL = "redis://127.0.0.1:6379/0"


class Wall:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


def replicas(redis: Redis) -> tuple[RedisCaches, RedisCaches, str]:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    clock = Wall()
    return RedisCaches(redis, prefix, clock), RedisCaches(redis, prefix, clock), prefix


async def test_one_flight_across_replicas(redis: Redis) -> None:
    a, b, _ = replicas(redis)
    calls = 0
    release = asyncio.Event()

    async def work() -> str:
        nonlocal calls
        calls += 1
        await release.wait()
        return "balance 10.00"

    first = asyncio.ensure_future(a.flight("balance").do("acct", work))
    second = asyncio.ensure_future(b.flight("balance").do("acct", work))
    while calls == 0:
        await asyncio.sleep(0)  # a condition polled: the leader has started
    release.set()
    assert await asyncio.gather(first, second) == ["balance 10.00"] * 2
    assert calls == 1
    coalesced = [r.stats.counts[("balance", "coalesced")] for r in (a, b)]
    assert sorted(coalesced) == [0, 1]  # the one that did not lead took the other's result


async def test_a_cached_list_is_loaded_once_and_refreshed_by_one_replica(redis: Redis) -> None:
    a, b, _ = replicas(redis)
    wall = Wall()
    loads = 0

    async def load() -> list[str]:
        nonlocal loads
        loads += 1
        return [f"offers v{loads}"]

    ca = a.cache("offers", ttl=60, stale_for=30)
    cb = b.cache("offers", ttl=60, stale_for=30)
    ca._wall = cb._wall = wall  # type: ignore[attr-defined]  # the test's own clock
    assert await ca.get("acct", load) == ["offers v1"]
    assert await cb.get("acct", load) == ["offers v1"]  # from Redis, not loaded again
    assert cb.peek("acct") == ["offers v1"]
    wall.now += 70  # stale: both answer at once, one of them refreshes
    assert await ca.get("acct", load) == ["offers v1"]
    assert await cb.get("acct", load) == ["offers v1"]
    await asyncio.gather(*ca._refreshing, *cb._refreshing)  # type: ignore[attr-defined]
    assert loads == 2
    assert await cb.get("acct", load) == ["offers v2"]


async def test_a_negative_entry_reaches_the_other_replicas(redis: Redis) -> None:
    a, b, _ = replicas(redis)
    na, nb = a.negative("combinations", 300), b.negative("combinations", 300)
    na.remember(("acct", ("whatsapp", "telegram")))
    await asyncio.gather(*na._pending)  # type: ignore[attr-defined]
    assert not nb.hit(("acct", ("whatsapp", "telegram")))
    await b.sync()
    assert nb.hit(("acct", ("whatsapp", "telegram")))


async def test_redis_away_leaves_each_replica_its_own_caches() -> None:
    away = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    caches = RedisCaches(away, "nowhere", Wall())
    loads = 0

    async def load() -> int:
        nonlocal loads
        loads += 1
        return 7

    cache = caches.cache("offers", ttl=60, stale_for=0)
    assert await cache.get("k", load) == 7
    assert await cache.get("k", load) == 7
    assert loads == 1  # the in-process cache took over
    assert await caches.flight("status").do(1, load) == 7
    await away.aclose()


async def test_a_cooldown_reaches_the_other_replicas(redis: Redis) -> None:
    clock = Wall()
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    here, there = Router(clock), Router(clock)
    ours, theirs = SharedCooldowns(redis, prefix, here), SharedCooldowns(redis, prefix, there)
    alpha = UpstreamAccount("alpha", "k", "", priority=1)
    beta = UpstreamAccount("beta", "k", "", priority=2)
    assert here.failed(alpha, e.Maintenance())  # 60 s of cooldown, here
    await ours.settle()
    assert there.candidates([alpha, beta]) == [alpha, beta]
    await theirs.sync(clock.now)
    assert there.candidates([alpha, beta]) == [beta]  # cooling on the other replica too
    here.succeeded(alpha)  # it serves again: the shared entry goes
    await ours.settle()
    assert await redis.hgetall(f"{prefix}:cooldowns") == {}
