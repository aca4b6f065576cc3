"""Outbound pacing: next-free-slot (GCRA with no burst) per (provider account, limit group).

Each call reserves the next free slot the moment it arrives, so callers are served in
arrival order and the vendor never sees two calls of a group closer than its interval
(plus a small safety margin for network jitter). A slot further away than `max_wait`
is refused at once with `RateLimited`: the client gets its protocol's transient error
instead of a hang. A 429 that still comes back pushes the group's next slot out.

The window rule (no N+1 arrivals in any one-second window at the vendor) is kept from
the answer of the call N places back: it arrived before its answer came, and at the
latest by its answer time less the shortest round trip seen (the part of a round trip
every call has), so this call leaves a second after that. Until a few round trips are
known, and for a minute after a 429, the shortest round trip is not subtracted (safe
whatever the network does, but the rate then falls as the vendor's latency grows).
docs/discipline.md gives the reasoning.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from proxy.domain import LimitGroup
from proxy.errors import RateLimited

Sleep = Callable[[float], Awaitable[None]]


@dataclass
class PacingStats:
    """Counters the metrics layer reads: waits (seconds, count) and refusals per group."""

    waited_seconds: dict[str, float] = field(default_factory=dict)
    waits: dict[str, int] = field(default_factory=dict)
    rejections: dict[str, int] = field(default_factory=dict)
    penalties: dict[str, int] = field(default_factory=dict)

    def add(self, table: dict[str, int], group: str) -> None:
        table[group] = table.get(group, 0) + 1


class Turn:
    """One call's place in its group; finished once the vendor has answered (or the call
    ended otherwise). Its finish time is the latest the vendor can have received it.
    Small on purpose (slots, a future only when someone waits): every account has some."""

    __slots__ = ("_rtts", "_waiter", "finished", "finished_at", "sent_at")

    def __init__(self, rtts: deque[float] | None = None) -> None:
        self.finished = False
        self.finished_at = 0.0
        self.sent_at = 0.0  # when the call was let go; 0 until then
        self._rtts = rtts  # the group's recent round trips, this one's added at its end
        self._waiter: asyncio.Future[None] | None = None

    def finish(self, at: float) -> None:
        if not self.finished:
            self.finished, self.finished_at = True, at
            if self.sent_at and self._rtts is not None:
                self._rtts.append(at - self.sent_at)
            if self._waiter is not None and not self._waiter.done():
                self._waiter.set_result(None)

    async def wait(self, timeout: float) -> bool:
        """True once finished; False when `timeout` passed first."""
        if self.finished:
            return True
        if self._waiter is None:
            self._waiter = asyncio.get_running_loop().create_future()
        done, _ = await asyncio.wait({self._waiter}, timeout=max(timeout, 0.0))
        return bool(done)


class Pacer:
    """GCRA slots, plus a window guard: the call N places back in the group (N = the
    group's calls per second) must have been answered a full second before this one
    leaves. Slots give the rate; the guard makes network jitter unable to squeeze N+1
    arrivals into one of the vendor's one-second windows."""

    WINDOW = 1.0
    SWEEP_SECONDS = 5.0  # idle accounts are forgotten this often (amortised O(1) a call)
    RTT_SAMPLES = 20  # round trips kept per group: the shortest is taken over these
    RTT_TRUSTED = 4  # the shortest of fewer round trips may still carry jitter
    AFTER_429_SECONDS = 60.0  # the plain answer-time rule is back this long after a 429
    FLOOR_MARGIN = 0.02  # seconds given back from the floor (timer and loop lag)

    def __init__(
        self,
        *,
        max_wait: float = 20.0,
        margin: float = 0.04,
        now: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        observe_wait: Callable[[str, float], None] | None = None,
        window_guard: bool = True,
    ) -> None:
        self.max_wait = max_wait
        self.margin = margin
        self.window_guard = window_guard
        self._now = now
        self._sleep = sleep
        self._next_free: dict[tuple[str, str], float] = {}
        self._turns: dict[tuple[str, str], list[Turn]] = {}  # a few each: lists are small
        self._rtts: dict[tuple[str, str], deque[float]] = {}
        self._refused_at: dict[tuple[str, str], float] = {}  # the group's latest 429
        self.stats = PacingStats()
        self._observe_wait = observe_wait
        self._swept_at = now()

    def interval(self, group: LimitGroup) -> float:
        """Slot spacing while the round trips are not known (or after a 429)."""
        return (1.0 / group.per_second) * (1.0 + self.margin)

    def rtt_floor(self, account: str, group: LimitGroup) -> float | None:
        """The shortest recent round trip of the group, where it can be trusted: enough
        of them known and no 429 within the last minute; else None."""
        key = (account, group.name)
        refused = self._refused_at.get(key)
        if refused is not None and self._now() - refused < self.AFTER_429_SECONDS:
            return None
        rtts = self._rtts.get(key)
        if rtts is None or len(rtts) < self.RTT_TRUSTED:
            return None
        return max(0.0, min(rtts) - self.FLOOR_MARGIN)

    def reserve(self, account: str, group: LimitGroup, max_wait: float | None = None) -> float:
        """Book the next slot; returns how long to wait for it. Refuses past the bound."""
        now = self._now()
        if now - self._swept_at >= self.SWEEP_SECONDS:
            self.sweep()
        key = (account, group.name)
        slot = max(now, self._next_free.get(key, now))
        wait = slot - now
        if wait > (self.max_wait if max_wait is None else min(max_wait, self.max_wait)):
            self.stats.add(self.stats.rejections, group.name)
            raise RateLimited(retry_after=wait)
        self._next_free[key] = slot + self.interval(group)
        return wait

    def now(self) -> float:
        return self._now()

    def booked_until(self) -> float:
        """No turn booked so far is due after this (on this pacer's clock)."""
        return max(self._next_free.values(), default=0.0)

    def entries(self) -> int:
        """(account, group) pairs the pacer holds state for."""
        return len(self._next_free.keys() | self._turns.keys())

    def sweep(self) -> int:
        """Forget every account whose state no longer changes anything: no slot ahead,
        and no call of its group answered less than a window ago. Every key, even a
        bogus one, would otherwise cost memory for as long as the process lives."""
        now = self._now()
        self._swept_at = now
        idle = [
            key
            for key in self._next_free.keys() | self._turns.keys()
            if self._next_free.get(key, now) <= now
            and all(
                t.finished and t.finished_at + self.WINDOW <= now for t in self._turns.get(key, ())
            )
        ]
        for key in idle:
            self._next_free.pop(key, None)
            self._turns.pop(key, None)
            self._rtts.pop(key, None)
            self._refused_at.pop(key, None)
        return len(idle)

    def _book(self, account: str, group: LimitGroup) -> tuple[Turn, Turn | None]:
        """This call's turn, and the turn it must wait a window after (FIFO by arrival)."""
        key = (account, group.name)
        turns = self._turns.setdefault(key, [])
        depth = max(1, int(group.per_second))
        ahead = turns[0] if self.window_guard and len(turns) >= depth else None
        if len(turns) >= depth:
            del turns[0]
        rtts = self._rtts.get(key)
        if rtts is None:
            rtts = self._rtts[key] = deque(maxlen=self.RTT_SAMPLES)
        turn = Turn(rtts)
        turns.append(turn)
        return turn, ahead

    async def acquire(self, account: str, group: LimitGroup, max_wait: float | None = None) -> Turn:
        """Wait for this call's slot. The caller must `finish` the returned turn when the
        vendor has answered (Gateway does)."""
        bound = self.max_wait if max_wait is None else min(max_wait, self.max_wait)
        wait = self.reserve(account, group, max_wait)
        turn, ahead = self._book(account, group)
        started = self._now()
        try:
            if wait > 0:
                await self._sleep(wait)
            if ahead is not None:
                await self._after(ahead, bound - wait, account, group)
        except BaseException:
            turn.finish(self._now())  # never leave the calls behind this one waiting
            raise
        turn.sent_at = self._now()
        waited = max(self._now() - started, wait)
        self.stats.waited_seconds[group.name] = (
            self.stats.waited_seconds.get(group.name, 0) + waited
        )
        self.stats.add(self.stats.waits, group.name)
        if self._observe_wait is not None:
            self._observe_wait(group.name, waited)
        return turn

    async def _after(self, ahead: Turn, budget: float, account: str, group: LimitGroup) -> None:
        """Leave a window after the latest moment the call N places back can have
        arrived: its answer time, less the round trip's floor where that is known."""
        if not await ahead.wait(budget):
            self.stats.add(self.stats.rejections, group.name)
            raise RateLimited(retry_after=self.WINDOW)
        arrived_by = ahead.finished_at - (self.rtt_floor(account, group) or 0.0)
        extra = arrived_by + self.WINDOW - self._now()
        if extra > 0:
            await self._sleep(extra)

    def penalize(self, account: str, group: LimitGroup, retry_after: float) -> None:
        """The vendor said 429: nothing of this group leaves before `retry_after`."""
        key = (account, group.name)
        self._next_free[key] = max(self._next_free.get(key, 0.0), self._now() + retry_after)
        self._refused_at[key] = self._now()
        self.stats.add(self.stats.penalties, group.name)
