"""The fleet's caches, routing cooldowns and tenants' rates on a real Redis (the
machine's, a key prefix of the test's own): instances stand for replicas."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from proxy import errors as e
from proxy.domain import UpstreamAccount
from proxy.fleet.caches import RedisCaches
from proxy.fleet.cooldowns import SharedCooldowns
from proxy.fleet.rates import RedisRates
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


async def until(condition: Callable[[], bool], limit: float = 5.0) -> float:
    """Seconds until `condition()` holds, yielding to the loop between looks."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < limit, "never happened"
        await asyncio.sleep(0)
    return time.monotonic() - started


async def test_a_cooldown_is_decided_once_and_heard_by_every_replica_at_once(
    redis: Redis,
) -> None:
    clock = Wall()
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    routers = [Router(clock) for _ in range(3)]
    shared = [SharedCooldowns(redis, prefix, router) for router in routers]
    following = [asyncio.create_task(s.follow()) for s in shared]
    alpha = UpstreamAccount("alpha", "k", "", priority=1)
    beta = UpstreamAccount("beta", "k", "", priority=2)
    try:
        await until(lambda: all(s.listening for s in shared))
        assert routers[0].failed(alpha, e.Maintenance())
        # pushed: no replica syncs, each skips alpha as soon as the decision is published
        await until(lambda: all(r.candidates([alpha, beta]) == [beta] for r in routers))
        routers[2].succeeded(alpha)  # one replica sees it serve again: lifted for all
        await until(lambda: all(r.candidates([alpha, beta]) == [alpha, beta] for r in routers))
        assert await redis.hgetall(f"{prefix}:cooldowns") == {}
    finally:
        for task in following:
            task.cancel()
        await asyncio.gather(*following, return_exceptions=True)


async def test_an_earlier_end_does_not_shorten_a_cooldown_decided_by_another(
    redis: Redis,
) -> None:
    clock = Wall()
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    longer, shorter = Router(clock), Router(clock)
    ours, theirs = SharedCooldowns(redis, prefix, longer), SharedCooldowns(redis, prefix, shorter)
    alpha = UpstreamAccount("alpha", "k", "", priority=1)
    longer.failed(alpha, e.Maintenance())  # 60 s
    await ours.settle()
    shorter.failed(alpha, e.RateLimited(retry_after=1.0))  # 1 s: it ends sooner
    await theirs.settle()
    held = await redis.hgetall(f"{prefix}:cooldowns")
    assert held == {alpha.name.encode(): repr(clock.now + 60).encode()}


async def test_a_tenants_rate_holds_over_three_replicas(redis: Redis) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    replicas = [RedisRates(redis, prefix, lambda: 3) for _ in range(3)]
    waits = [await replicas[i % 3].admit("acme", 1.0) for i in range(9)]
    assert waits[0] == 0 and all(0.9 < w <= 1.0 for w in waits[1:]), waits  # 1 of 9 goes
    burst = [await replicas[i % 3].admit("globex", 5.0) for i in range(9)]
    assert burst[:5] == [0] * 5 and all(w > 0 for w in burst[5:])  # a second's worth


async def test_redis_away_each_replica_admits_its_share() -> None:
    away = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    rates = RedisRates(away, "away", lambda: 3)
    waits = [await rates.admit("acme", 3.0) for _ in range(3)]
    assert waits[0] == 0 and waits[1] > 0  # a third of 3/s here: one at once
    await away.aclose()
