"""Caches with an injected clock: TTL, stale-while-revalidate, single-flight, negatives."""

from __future__ import annotations

import asyncio

import pytest

from proxy.domain import Order
from proxy.local.caching import CacheStats, NegativeCache, SingleFlight, TtlCache
from proxy.service.rent import order_key


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


async def settle() -> None:
    """Let every ready task run (scheduling only: no time passes)."""
    for _ in range(10):
        await asyncio.sleep(0)


class Loader:
    def __init__(self) -> None:
        self.calls = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self) -> int:
        self.calls += 1
        await self.gate.wait()
        return self.calls


async def test_ttl_hit_then_miss_after_expiry() -> None:
    clock, stats, load = Clock(), CacheStats(), Loader()
    cache: TtlCache[str, int] = TtlCache("offers", clock, stats, ttl=60)
    assert await cache.get("k", load) == 1
    clock.t = 59.9
    assert await cache.get("k", load) == 1
    clock.t = 60.0
    assert await cache.get("k", load) == 2
    assert stats.counts == {("offers", "miss"): 2, ("offers", "hit"): 1}


async def test_stale_while_revalidate_answers_at_once_and_refreshes_once() -> None:
    clock, stats, load = Clock(), CacheStats(), Loader()
    cache: TtlCache[str, int] = TtlCache("offers", clock, stats, ttl=60, stale_for=30)
    await cache.get("k", load)
    clock.t = 70
    load.gate.clear()  # the refresh will hang until released
    assert await cache.get("k", load) == 1  # stale, immediately
    assert await cache.get("k", load) == 1  # still stale; no second refresh
    await settle()
    assert load.calls == 2
    load.gate.set()
    await settle()
    assert await cache.get("k", load) == 2  # the refreshed value, fresh again
    assert stats.counts[("offers", "stale")] == 2
    clock.t = 70 + 60 + 30
    assert await cache.get("k", load) == 3  # beyond the stale window: a blocking miss


async def test_single_flight_shares_one_call() -> None:
    stats, load = CacheStats(), Loader()
    flight: SingleFlight[str, int] = SingleFlight("balance", stats)
    load.gate.clear()
    callers = [asyncio.ensure_future(flight.do("k", load)) for _ in range(5)]
    await asyncio.sleep(0)
    load.gate.set()
    assert await asyncio.gather(*callers) == [1] * 5
    assert load.calls == 1
    assert stats.counts[("balance", "coalesced")] == 4
    assert flight.in_flight() == 0


async def test_a_cancelled_first_caller_does_not_cancel_the_others() -> None:
    stats, load = CacheStats(), Loader()
    flight: SingleFlight[str, int] = SingleFlight("status", stats)
    load.gate.clear()
    first = asyncio.ensure_future(flight.do("k", load))
    await asyncio.sleep(0)
    second = asyncio.ensure_future(flight.do("k", load))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    load.gate.set()
    assert await second == 1
    assert first.cancelled()
    assert load.calls == 1


async def test_single_flight_errors_reach_every_waiter_and_clear() -> None:
    flight: SingleFlight[str, int] = SingleFlight("x", CacheStats())

    async def boom() -> int:
        await asyncio.sleep(0)
        raise ValueError("down")

    results = await asyncio.gather(
        flight.do("k", boom), flight.do("k", boom), return_exceptions=True
    )
    assert all(isinstance(r, ValueError) for r in results)
    assert flight.in_flight() == 0


def test_negative_cache_expiry_purge_and_off_switch() -> None:
    clock, stats = Clock(), CacheStats()
    neg: NegativeCache[str] = NegativeCache("combinations", clock, stats, ttl=300)
    neg.remember("a")
    assert neg.hit("a") and not neg.hit("b")
    clock.t = 299
    assert neg.entries() == {"a": 1.0}
    clock.t = 300
    assert not neg.hit("a")
    neg.remember("c")
    assert neg.purge() == 1 and not neg.hit("c")
    off: NegativeCache[str] = NegativeCache("oos", clock, stats, ttl=0)
    off.remember("a")
    assert not off.hit("a")
    assert stats.counts[("combinations", "negative_hit")] == 1


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (Order(("whatsapp", "telegram")), Order(("telegram", "whatsapp")), True),
        (
            Order(("whatsapp",), area_codes=("646", "212")),
            Order(("whatsapp",), area_codes=("212", "646")),
            True,
        ),
        (Order(("whatsapp",)), Order(("whatsapp",), carrier="at&t"), False),
        (
            Order(("whatsapp",), carrier="at&t"),
            Order(("whatsapp",), carrier="at&t", keep_carrier=True),
            False,
        ),
        (
            Order(("whatsapp",), area_codes=("212",)),
            Order(("whatsapp",), area_codes=("212",), lock_area_code=True),
            False,
        ),
    ],
)
def test_negative_cache_keys(a: Order, b: Order, same: bool) -> None:
    assert (order_key("getatext", a) == order_key("getatext", b)) is same
    assert order_key("getatext", a) != order_key("other", a)
