"""Per-account request limits and the memory of failed multi-service combinations."""

from __future__ import annotations

import random
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class LimitGroup:
    name: str
    per_second: int


# rent-a-number and rent-specific-number share one group (getatext-api.txt).
RENT = LimitGroup("rent", 2)
MULTI = LimitGroup("rent-multiple-services", 1)
CANCEL = LimitGroup("cancel-rental", 1)


class RateLimiter:
    """Sliding one-second window per (account, group); refused requests do not count."""

    COUNTED_LOG = 5000

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._hits: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        # when each counted request was counted: what "N per second" is judged on
        self.counted: deque[tuple[float, str]] = deque(maxlen=self.COUNTED_LOG)

    def allow(self, account: str, group: LimitGroup) -> bool:
        now = self._now()
        hits = self._hits[(account, group.name)]
        while hits and hits[0] <= now - 1.0:
            hits.popleft()
        if len(hits) >= group.per_second:
            return False
        hits.append(now)
        self.counted.append((now, group.name))
        return True

    def clear(self) -> None:
        self._hits.clear()
        self.counted.clear()


class FailedCombinations:
    """A failed multi-service combination fails at once for a random 5-15 minutes."""

    MIN_SECONDS = 5 * 60
    MAX_SECONDS = 15 * 60

    def __init__(self, now: Callable[[], float], rng: random.Random) -> None:
        self._now = now
        self._rng = rng
        self._until: dict[tuple[str, frozenset[str]], float] = {}

    def remember(self, account: str, services: frozenset[str]) -> float:
        ttl = self._rng.uniform(self.MIN_SECONDS, self.MAX_SECONDS)
        self._until[(account, services)] = self._now() + ttl
        return ttl

    def is_failed(self, account: str, services: frozenset[str]) -> bool:
        until = self._until.get((account, services))
        if until is None:
            return False
        if until <= self._now():
            del self._until[(account, services)]
            return False
        return True

    def clear(self) -> None:
        self._until.clear()
