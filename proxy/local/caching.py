"""Caches between the clients and the vendor: single-flight, TTL with stale-while-revalidate,
and negative entries for answers known to fail.

All three read an injected clock; none ever coalesces a purchase (callers decide what to
put through them).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from proxy.local.tasks import watched

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class CacheStats:
    """Lookups by (cache, result): hit, miss, stale, negative_hit, coalesced; and work
    run in the background that failed, by the name of the work (`local/tasks.py`)."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.failures: Counter[str] = Counter()

    def count(self, cache: str, result: str) -> None:
        self.counts[(cache, result)] += 1


class SingleFlight(Generic[K, V]):
    """Concurrent calls with the same key share one execution.

    The shared work runs in its own task: a caller that is cancelled (its client went
    away) leaves the work running for the others.
    """

    def __init__(self, name: str, stats: CacheStats) -> None:
        self.name = name
        self._stats = stats
        self._tasks: dict[K, asyncio.Task[V]] = {}
        self._waiting: Counter[asyncio.Task[V]] = Counter()  # callers still awaiting each

    async def do(self, key: K, work: Callable[[], Awaitable[V]]) -> V:
        task = self._tasks.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._run(key, work))
            # its callers may all give up: a failure nobody awaits is counted and logged
            watched(task, self.name, self._stats.failures, awaited=lambda: self._waiting[task] > 0)
            task.add_done_callback(self._waiting.pop)
            self._tasks[key] = task
        else:
            self._stats.count(self.name, "coalesced")
        self._waiting[task] += 1
        try:
            return await asyncio.shield(task)
        finally:
            if not task.done():
                self._waiting[task] -= 1

    async def _run(self, key: K, work: Callable[[], Awaitable[V]]) -> V:
        try:
            return await work()
        finally:
            self._tasks.pop(key, None)

    def busy(self, key: K) -> bool:
        return key in self._tasks

    def in_flight(self) -> int:
        return len(self._tasks)


@dataclass
class _Entry(Generic[V]):
    value: V
    stored_at: float


class TtlCache(Generic[K, V]):
    """Fresh for `ttl`; then served stale for `stale_for` while one refresh runs behind."""

    def __init__(
        self,
        name: str,
        clock: Callable[[], float],
        stats: CacheStats,
        *,
        ttl: float,
        stale_for: float = 0.0,
        max_entries: int = 10_000,
    ) -> None:
        self.name = name
        self._clock = clock
        self._stats = stats
        self.ttl = ttl
        self.stale_for = stale_for
        self._max = max_entries
        self._entries: dict[K, _Entry[V]] = {}
        self._flight: SingleFlight[K, V] = SingleFlight(name, stats)
        self._refreshing: set[asyncio.Task[V]] = set()

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        entry = self._entries.get(key)
        age = self._clock() - entry.stored_at if entry else None
        if entry is not None and age is not None and age < self.ttl:
            self._stats.count(self.name, "hit")
            return entry.value
        if entry is not None and age is not None and age < self.ttl + self.stale_for:
            self._stats.count(self.name, "stale")
            self._refresh_behind(key, load)
            return entry.value
        self._stats.count(self.name, "miss")
        return await self._flight.do(key, lambda: self._load(key, load))

    async def _load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        value = await load()
        if len(self._entries) >= self._max and key not in self._entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = _Entry(value, self._clock())
        return value

    def _refresh_behind(self, key: K, load: Callable[[], Awaitable[V]]) -> None:
        if self._flight.busy(key):
            return
        task = asyncio.get_running_loop().create_task(
            self._flight.do(key, lambda: self._load(key, load))
        )
        self._refreshing.add(task)
        task.add_done_callback(self._refreshing.discard)
        watched(task, f"{self.name}-refresh", self._stats.failures)  # no client awaits it

    def peek(self, key: K) -> V | None:
        """The stored value, however old, without loading anything."""
        entry = self._entries.get(key)
        return entry.value if entry is not None else None


class LocalCaches:
    """The caches of one process (`ports.Caches`)."""

    def __init__(self, clock: Callable[[], float], stats: CacheStats) -> None:
        self._clock = clock
        self._stats = stats

    def flight(self, name: str) -> SingleFlight[Any, Any]:
        return SingleFlight(name, self._stats)

    def cache(self, name: str, *, ttl: float, stale_for: float = 0.0) -> TtlCache[Any, Any]:
        return TtlCache(name, self._clock, self._stats, ttl=ttl, stale_for=stale_for)

    def negative(self, name: str, ttl: float) -> NegativeCache[Any]:
        return NegativeCache(name, self._clock, self._stats, ttl)


class NegativeCache(Generic[K]):
    """Requests known to fail, answered at once until their entry expires."""

    def __init__(
        self, name: str, clock: Callable[[], float], stats: CacheStats, ttl: float
    ) -> None:
        self.name = name
        self._clock = clock
        self._stats = stats
        self.ttl = ttl
        self._until: dict[K, float] = {}
        self._swept_size = 64

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    def remember(self, key: K) -> None:
        if self.enabled:
            now = self._clock()
            if len(self._until) >= self._swept_size * 2:  # amortised: expired ones go
                self._until = {k: u for k, u in self._until.items() if u > now}
                self._swept_size = max(len(self._until), 64)
            self._until[key] = now + self.ttl

    def hit(self, key: K) -> bool:
        until = self._until.get(key)
        if until is None:
            return False
        if until <= self._clock():
            del self._until[key]
            return False
        self._stats.count(self.name, "negative_hit")
        return True

    def entries(self) -> dict[K, float]:
        """Live entries and their remaining seconds."""
        now = self._clock()
        return {k: until - now for k, until in self._until.items() if until > now}

    def purge(self) -> int:
        count = len(self._until)
        self._until.clear()
        return count
