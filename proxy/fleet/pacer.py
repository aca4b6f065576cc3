"""Pacing shared by every replica: one Lua script on Redis per call, on Redis's clock.

Per (account, limit group) Redis keeps the next free slot and the calls' log: each call
takes the next slot (spaced by the group's interval plus the margin), and, as the
in-process pacer does, leaves a full window after the answer of the call N places back
(N = the group's calls per second), so network jitter cannot squeeze N+1 arrivals into
one of the vendor's one-second windows, whichever replicas sent them. The script runs
atomically on Redis's own `TIME`: replicas' clocks do not matter.

Turns are leases: each replica renews its own (`alive:<replica>`, ALIVE_SECONDS) with
every call and every heartbeat. Once a replica's lease has lapsed, its turns not yet due
are given back (it never sent them) and its calls in flight count as answered then, so a
replica killed mid-burst holds the fleet up for a lease, not for a call's deadline. A
replica that finds its own lease lapsed when its turn comes (it was paused) does not use
the turn.

Redis unreachable: each replica paces on its own, with its share of each vendor limit
among the replicas it last saw alive: the limit's calls per second dealt out by the
replicas' order (a limit of 2 among 3 replicas: 1, 1 and 0), each share kept with the
window rule, so that together they never pass the limit in any one-second window; a
replica whose share is 0 answers the protocol's transient error until Redis is back. It
says so in `degraded` (readiness, a metric and a log line).

Neither side knows the calls the other booked, so each switch waits them out: going
alone, nothing leaves before the latest slot Redis could have granted (`max_wait` from
the switch) plus a window; going back, Redis is used again only after the latest slot
the replica booked alone plus a window (the heartbeat sees Redis first).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace

from redis.asyncio import Redis
from redis.exceptions import RedisError

from proxy.domain import LimitGroup
from proxy.errors import RateLimited
from proxy.local.pacing import Pacer as LocalPacer
from proxy.local.pacing import PacingStats
from proxy.local.tasks import watched

log = logging.getLogger("smsproxy.fleet")
POLL_SECONDS = 0.02  # how often a call whose window is held by one in flight asks again
IN_FLIGHT_SECONDS = 30.0  # a call unanswered this long counts as answered, whoever sent it
ALIVE_SECONDS = 2.5  # a replica's lease: its turns are its own while it renews it
HEARTBEAT_SECONDS = 0.5  # the lease renewed, and Redis looked at, this often
MEMBER_SECONDS = 15.0  # a replica not heard from this long is no longer counted
STATE_SECONDS = 120  # idle pacing state expires from Redis
WINDOW = 1.04  # the vendor's one-second window, with the margin

ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = tonumber(ARGV[2])
redis.call('SET', ARGV[8] .. ARGV[9], '1', 'PX', ARGV[10])
local alive = {}
local function lives(call)
    local owner = string.match(call, '^([^:]+):')
    if not owner then return true end
    if alive[owner] == nil then alive[owner] = redis.call('EXISTS', ARGV[8] .. owner) == 1 end
    return alive[owner]
end
local kept = {}
for _, call in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
    local answered = tonumber(redis.call('HGET', KEYS[3], call) or '0')
    local booked = tonumber(redis.call('HGET', KEYS[4], call) or '0')
    if answered < 0 and not lives(call) then
        if booked > now then
            redis.call('LREM', KEYS[2], 1, call)
            redis.call('HDEL', KEYS[3], call)
            redis.call('HDEL', KEYS[4], call)
            booked = nil
        else
            redis.call('HSET', KEYS[3], call, now)
        end
    end
    if booked then kept[#kept + 1] = {call, booked} end
end
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
if #kept > 0 then slot = math.max(slot, kept[1][2] + tonumber(ARGV[1])) end
local back = kept[n]
if back then
    local answered = tonumber(redis.call('HGET', KEYS[3], back[1]) or '0')
    if answered < 0 then
        if now < -answered then return {-2, 0} end
        answered = -answered
    end
    slot = math.max(slot, answered + tonumber(ARGV[6]))
end
local wait = slot - now
if wait > tonumber(ARGV[3]) then return {-1, wait} end
redis.call('LPUSH', KEYS[2], ARGV[4])
redis.call('HSET', KEYS[3], ARGV[4], -(slot + tonumber(ARGV[5])))
redis.call('HSET', KEYS[4], ARGV[4], slot)
for i = n + 2, #kept do
    if kept[i][2] <= now then
        redis.call('LTRIM', KEYS[2], 0, i - 1)
        for j = i, #kept do
            redis.call('HDEL', KEYS[3], kept[j][1])
            redis.call('HDEL', KEYS[4], kept[j][1])
        end
        break
    end
end
for k = 2, 4 do redis.call('PEXPIRE', KEYS[k], ARGV[7]) end
return {wait, slot}
"""

FINISH = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
    local t = redis.call('TIME')
    redis.call('HSET', KEYS[1], ARGV[1], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
end
return 1
"""

PENALIZE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > current then redis.call('SET', KEYS[1], until_, 'PX', ARGV[2]) end
return 1
"""


class SharedTurn:
    """A call's place in the shared log; `finish` records its answer time in Redis."""

    __slots__ = ("_call", "_done", "_log", "_pacer")

    def __init__(self, pacer: RedisPacer, log_key: str, call: str) -> None:
        self._pacer, self._log, self._call = pacer, log_key, call
        self._done = False

    def finish(self, at: float) -> None:
        if not self._done:
            self._done = True
            self._pacer.answered(self._log, self._call)


class LocalTurn:
    """A turn of the fallback pacer, wrapped so both kinds look the same."""

    def __init__(self, inner: object) -> None:
        self._inner = inner

    def finish(self, at: float) -> None:
        self._inner.finish(at)  # type: ignore[attr-defined]


class RedisPacer:
    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "smsproxy",
        max_wait: float = 20.0,
        margin: float = 0.04,
        observe_wait: Callable[[str, float], None] | None = None,
        replica: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        alive_seconds: float = ALIVE_SECONDS,
    ) -> None:
        self._redis = redis
        self._clock, self._sleep = clock, sleep
        self.alive_seconds = alive_seconds
        self._prefix = prefix
        self.max_wait = max_wait
        self.margin = margin
        self.replica = replica or uuid.uuid4().hex[:12]
        self.stats = PacingStats()
        self._observe_wait = observe_wait
        self._acquire = redis.register_script(ACQUIRE)
        self._finish = redis.register_script(FINISH)
        self._penalize = redis.register_script(PENALIZE)
        self._fallback = LocalPacer(
            max_wait=max_wait, margin=margin, observe_wait=observe_wait, now=clock, sleep=sleep
        )
        self._fallback.stats = self.stats
        self._alone_from: float | None = None  # alone since; None while shared
        self._alone_until = 0.0  # back to Redis after this (set when Redis answers again)
        self.alive = 1  # replicas seen alive at the last heartbeat (this one included)
        self.rank = 0  # this replica's place among them, by id
        self.degraded: str | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._alive = f"{prefix}:alive:"
        self._leased_until = 0.0  # this replica's lease, as far as it knows (monotonic)

    def now(self) -> float:
        return self._clock()

    def _keys(self, account: str, group: LimitGroup) -> list[str]:
        base = f"{self._prefix}:pace:{account}:{group.name}"
        return [f"{base}:hold", f"{base}:log", f"{base}:answers", f"{base}:slots"]

    def _down(self, error: Exception) -> None:
        if self._alone_from is None:
            log.error(
                "Redis unreachable (%s): pacing alone, with this replica's share of each "
                "vendor limit among %d replicas",
                type(error).__name__,
                self.alive,
            )
            self._alone_from = self._clock()
        self._alone_until = float("inf")
        self.degraded = f"redis unreachable: {type(error).__name__}"

    def _up(self) -> None:
        """Redis answered (a heartbeat): no longer degraded; pacing is shared again once
        the last turn booked alone is a window behind (at once on an idle replica)."""
        if self._alone_from is not None and self._alone_until == float("inf"):
            now = self._clock()
            self._alone_until = max(now, self._fallback.booked_until()) + WINDOW
            log.warning(
                "Redis answers again: pacing is shared again in %.1f s", self._alone_until - now
            )
        self.degraded = None

    def _shared(self) -> bool:
        if self._alone_from is None:
            return True
        if self._clock() < self._alone_until:
            return False
        self._alone_from, self.degraded = None, None
        return True

    async def book(
        self, account: str, group: LimitGroup, bound: float
    ) -> tuple[int, int, SharedTurn | None]:
        """Take the next turn in Redis without waiting for it: (ms to wait, its slot, the
        turn); no turn when the window is held by a call in flight (-2) or the turn is
        further than `bound` seconds away (-1)."""
        keys = self._keys(account, group)
        call = f"{self.replica}:{uuid.uuid4().hex[:12]}"
        per_second = max(group.per_second, 1e-9)
        args: list[int | str] = [
            round(1000.0 / per_second * (1.0 + self.margin)),  # the slot spacing, ms
            max(1, int(group.per_second)),
            max(0, round(bound * 1000)),
            call,
            round(IN_FLIGHT_SECONDS * 1000),
            round(1000 * (1.0 + self.margin)),  # the window after the call N back
            STATE_SECONDS * 1000,
            self._alive,
            self.replica,
            round(self.alive_seconds * 1000),
        ]
        asked = self._clock()
        wait_ms, slot = await self._acquire(keys=keys, args=args)
        self._leased(asked)
        turn = SharedTurn(self, keys[2], call) if wait_ms >= 0 else None
        return int(wait_ms), int(slot), turn

    async def acquire(
        self, account: str, group: LimitGroup, max_wait: float | None = None
    ) -> LocalTurn | SharedTurn:
        bound = self.max_wait if max_wait is None else min(max_wait, self.max_wait)
        started = self._clock()
        while True:
            left = bound - (self._clock() - started)
            if not self._shared():
                return await self._alone(account, group, left)
            try:
                wait_ms, slot, turn = await self.book(account, group, left)
            except (RedisError, OSError) as error:
                self._down(error)
                continue
            if turn is not None:
                break
            if wait_ms == -1 or left <= POLL_SECONDS:
                self.stats.add(self.stats.rejections, group.name)
                raise RateLimited(retry_after=slot / 1000.0 if wait_ms == -1 else 1.0)
            await self._sleep(POLL_SECONDS)  # the window is held by a call still in flight
        try:
            if wait_ms > 0:
                await self._sleep(wait_ms / 1000.0)
        except BaseException:
            turn.finish(self.now())
            raise
        if self._clock() >= self._leased_until:
            # paused past its lease (a stopped process, a blocked loop): the fleet may
            # have given this turn away, so it is not used
            turn.finish(self.now())
            self.stats.add(self.stats.rejections, group.name)
            raise RateLimited(retry_after=1.0)
        waited = self._clock() - started
        self.stats.waited_seconds[group.name] = (
            self.stats.waited_seconds.get(group.name, 0) + waited
        )
        self.stats.add(self.stats.waits, group.name)
        if self._observe_wait is not None:
            self._observe_wait(group.name, waited)
        return turn

    def _leased(self, asked: float) -> None:
        """Redis renewed this replica's lease on a call sent at `asked`."""
        self._leased_until = max(self._leased_until, asked + self.alive_seconds)

    def share(self, group: LimitGroup) -> int:
        """This replica's calls per second of the limit while Redis is away."""
        limit, alive = max(1, int(group.per_second)), max(self.alive, 1)
        return limit // alive + (1 if self.rank < limit % alive else 0)

    async def _alone(self, account: str, group: LimitGroup, left: float) -> LocalTurn:
        """Redis is away: this replica's share of the limit, on its own clock, once every
        slot Redis may have granted is a window behind."""
        share = self.share(group)
        assert self._alone_from is not None
        hold = self._alone_from + self.max_wait + WINDOW - self._clock()
        if share == 0 or hold > left:
            self.stats.add(self.stats.rejections, group.name)
            raise RateLimited(retry_after=max(hold, 1.0))
        if hold > 0:
            await self._sleep(hold)
        mine = replace(group, per_second=float(share))
        return LocalTurn(await self._fallback.acquire(account, mine, max(left - hold, 0.0)))

    def answered(self, log_key: str, call: str) -> None:
        task = asyncio.get_running_loop().create_task(self._record(log_key, call))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        watched(task, "pacing-record")

    async def _record(self, log_key: str, call: str) -> None:
        try:
            await self._finish(keys=[log_key], args=[call])
        except (RedisError, OSError) as error:
            self._down(error)  # it counts as answered at its deadline instead

    def penalize(self, account: str, group: LimitGroup, retry_after: float) -> None:
        self._fallback.penalize(account, group, retry_after)
        task = asyncio.get_running_loop().create_task(self._push_back(account, group, retry_after))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        watched(task, "pacing-push-back")

    async def _push_back(self, account: str, group: LimitGroup, retry_after: float) -> None:
        self.stats.add(self.stats.penalties, group.name)
        try:
            await self._penalize(
                keys=[self._keys(account, group)[0]],
                args=[round(retry_after * 1000), STATE_SECONDS * 1000],
            )
        except (RedisError, OSError) as error:
            self._down(error)

    async def heartbeat(self) -> int:
        """Say this replica is alive; count the replicas alive (kept for when Redis is
        away). The count only grows while Redis is unreachable: never above the limit."""
        key = f"{self._prefix}:replicas"
        asked = self._clock()
        try:
            now = float((await self._redis.time())[0])
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(self._alive + self.replica, "1", px=round(self.alive_seconds * 1000))
                pipe.zadd(key, {self.replica: now})
                pipe.zremrangebyscore(key, "-inf", now - MEMBER_SECONDS)
                pipe.zrange(key, 0, -1)
                pipe.expire(key, int(MEMBER_SECONDS * 4))
                answers = await pipe.execute()
        except (RedisError, OSError) as error:
            self._down(error)
            return self.alive
        self._leased(asked)
        self._up()
        members = sorted(m.decode() if isinstance(m, bytes) else str(m) for m in answers[3])
        self.alive = max(1, len(members))
        self.rank = members.index(self.replica) if self.replica in members else 0
        return self.alive

    async def keep_alive(self) -> None:
        """Heartbeats until cancelled: the lease renewed, and `degraded` following Redis
        both ways, on an idle replica too."""
        while True:
            await self.heartbeat()
            await self._sleep(HEARTBEAT_SECONDS)

    async def settle(self) -> None:
        """Until the answers and penalties recorded so far have reached Redis."""
        await asyncio.gather(*self._pending, return_exceptions=True)

    async def leave(self) -> None:
        with contextlib.suppress(RedisError, OSError):
            await self._redis.zrem(f"{self._prefix}:replicas", self.replica)
            await self._redis.delete(self._alive + self.replica)
        await self.settle()
