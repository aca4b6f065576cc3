"""The fleet's pacer on a real Redis: turns are leases. Two instances stand for two
replicas; a replica "dies" when its lease key goes (what its expiry does), so no test
waits for a lease to run out."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from proxy.domain import LimitGroup
from proxy.errors import RateLimited
from proxy.fleet.pacer import RedisPacer

from ..redis_server import RedisServer

REDIS_URL = "redis://127.0.0.1:6379/0"
RENT = LimitGroup("rent", 2.0)  # two calls a second: turns 520 ms apart (4 % margin)


class Clock:
    """The pacer's clock, moved by the test; a sleep moves it too (nothing waits)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.paused_for = 0.0  # a sleep that lasts this much longer (a stopped process)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + self.paused_for


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


def pair(redis: Redis, clock: Clock | None = None) -> tuple[RedisPacer, RedisPacer, str]:
    prefix, clock = f"test-{uuid.uuid4().hex[:8]}", clock or Clock()
    one, two = (
        RedisPacer(redis, prefix=prefix, replica=name, clock=clock, sleep=clock.sleep)
        for name in ("one", "two")
    )
    return one, two, prefix


async def test_a_dead_replicas_turns_not_yet_due_are_given_back(redis: Redis) -> None:
    one, two, prefix = pair(redis)
    wait, _, first = await one.book("acct", RENT, 20.0)
    assert wait == 0 and first is not None
    first.finish(0.0)  # answered at once
    await one.settle()
    ahead = [(await one.book("acct", RENT, 20.0))[0] for _ in range(2)]
    assert 500 <= ahead[0] <= 540 and 1000 <= ahead[1] <= 1100, ahead  # booked ahead
    assert (await two.book("acct", RENT, 20.0))[0] == -2  # behind them while one lives
    await redis.delete(f"{prefix}:alive:one")  # its lease lapses: it died
    wait, _, turn = await two.book("acct", RENT, 20.0)
    # the two turns one never reached are free again: two's turn is the one after the
    # answered call, 520 ms after it, instead of waiting out one's bookings
    assert turn is not None and 0 <= wait <= 540, wait


async def test_a_dead_replica_holds_nobody_up_for_its_calls_in_flight(redis: Redis) -> None:
    one, two, prefix = pair(redis)
    sent = [(await one.book("acct", RENT, 20.0))[0] for _ in range(2)]
    assert sent[0] == 0 and 500 <= sent[1] <= 540
    # one's calls are in flight: the next call's window waits for the answer of the call
    # two back, for up to IN_FLIGHT_SECONDS while one lives
    assert (await two.book("acct", RENT, 20.0))[0] == -2
    await redis.delete(f"{prefix}:alive:one")
    wait, _, turn = await two.book("acct", RENT, 20.0)
    # the call one sent counts as answered now, the one it had not reached is given back
    assert turn is not None and 0 <= wait <= 540, wait


async def test_a_replica_paused_past_its_lease_does_not_use_its_turn(redis: Redis) -> None:
    clock = Clock()
    one, _, _ = pair(redis, clock)
    first = await one.acquire("acct", RENT)  # due at once
    first.finish(clock.now)
    await one.settle()
    clock.paused_for = one.alive_seconds  # the next turn is 520 ms away: paused there
    with pytest.raises(RateLimited):
        await one.acquire("acct", RENT)
    assert one.stats.rejections == {"rent": 1}
    clock.paused_for = 0.0
    assert await one.acquire("acct", RENT)  # not paused: used


async def test_a_living_replicas_calls_in_flight_still_hold_the_window(redis: Redis) -> None:
    one, two, _ = pair(redis)
    for _ in range(2):
        await one.book("acct", RENT, 20.0)
    await one.heartbeat()  # one renews its lease: it lives
    assert (await two.book("acct", RENT, 20.0))[0] == -2


async def test_degraded_follows_redis_both_ways_on_an_idle_replica() -> None:
    server = RedisServer()
    server.start()
    client = Redis.from_url(server.url, socket_timeout=0.5, socket_connect_timeout=0.5)
    pacer = RedisPacer(client, prefix="idle", replica="idle")
    try:
        await pacer.heartbeat()
        assert pacer.degraded is None
        server.stop()
        await pacer.heartbeat()
        assert pacer.degraded == "redis unreachable: ConnectionError"
        server.start()
        await pacer.heartbeat()  # one heartbeat after Redis is back, no call paced
        assert pacer.degraded is None
    finally:
        server.stop()
        await client.aclose()
