"""Pacing arithmetic with an injected clock: slots, FIFO order, bounds, 429 push-back."""

from __future__ import annotations

import asyncio

import pytest

from proxy.domain import LimitGroup
from proxy.errors import RateLimited
from proxy.local.pacing import Pacer, Turn

RENT = LimitGroup("rent", 2.0)
CANCEL = LimitGroup("cancel", 1.0)


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def pacer(t: FakeTime, *, guard: bool = False, **kw: float) -> Pacer:
    return Pacer(
        now=t.clock,
        sleep=t.sleep,
        margin=kw.get("margin", 0.0),
        max_wait=kw.get("max_wait", 10.0),
        window_guard=guard,
    )


def test_slots_are_spaced_by_the_interval_with_no_burst() -> None:
    t = FakeTime()
    p = pacer(t)
    waits = [p.reserve("acct", RENT) for _ in range(5)]
    assert waits == [0.0, 0.5, 1.0, 1.5, 2.0]


def test_margin_widens_the_interval() -> None:
    t = FakeTime()
    p = pacer(t, margin=0.04)
    assert [p.reserve("a", RENT) for _ in range(3)] == pytest.approx([0.0, 0.52, 1.04])


def test_idle_time_is_not_banked_as_burst() -> None:
    t = FakeTime()
    p = pacer(t)
    p.reserve("a", RENT)
    t.now += 60  # a minute of silence earns no credit
    assert [p.reserve("a", RENT) for _ in range(2)] == [0.0, 0.5]


def test_groups_and_accounts_are_independent() -> None:
    t = FakeTime()
    p = pacer(t)
    assert p.reserve("a", RENT) == 0.0
    assert p.reserve("a", CANCEL) == 0.0
    assert p.reserve("b", RENT) == 0.0
    assert p.reserve("a", RENT) == 0.5
    assert p.reserve("a", CANCEL) == 1.0


def test_wait_beyond_the_bound_is_refused_without_booking() -> None:
    t = FakeTime()
    p = pacer(t, max_wait=1.0)
    assert [p.reserve("a", RENT) for _ in range(3)] == [0.0, 0.5, 1.0]
    with pytest.raises(RateLimited) as refused:
        p.reserve("a", RENT)
    assert refused.value.retry_after == pytest.approx(1.5)
    assert p.stats.rejections == {"rent": 1}
    t.now += 0.5
    assert p.reserve("a", RENT) == 1.0  # the refused call took no slot


def test_a_429_pushes_the_next_slot_out() -> None:
    t = FakeTime()
    p = pacer(t)
    p.reserve("a", RENT)
    p.penalize("a", RENT, retry_after=3.0)
    assert p.reserve("a", RENT) == 3.0
    assert p.stats.penalties == {"rent": 1}


async def test_acquire_sleeps_for_its_slot_in_arrival_order() -> None:
    t = FakeTime()
    p = pacer(t)
    order: list[int] = []

    async def caller(i: int) -> None:
        await p.acquire("a", RENT)
        order.append(i)

    await asyncio.gather(*(caller(i) for i in range(4)))
    assert t.slept == [0.5, 1.0, 1.5]
    assert order == [0, 1, 2, 3]
    assert p.stats.waits == {"rent": 4}
    assert p.stats.waited_seconds == {"rent": 3.0}


def test_a_call_may_bring_a_shorter_bound() -> None:
    t = FakeTime()
    p = pacer(t, max_wait=10.0)
    assert [p.reserve("a", CANCEL) for _ in range(2)] == [0.0, 1.0]
    with pytest.raises(RateLimited):
        p.reserve("a", CANCEL, max_wait=0.5)  # a status poll: better the store than a wait
    assert p.reserve("a", CANCEL) == 2.0  # the refused poll took no slot


class MovingTime(FakeTime):
    """Sleeping moves the fake clock: waits add up the way they would in real time."""

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_window_guard_waits_a_second_after_the_answer_n_places_back() -> None:
    t = MovingTime()
    p = Pacer(now=t.clock, sleep=t.sleep, margin=0.0, max_wait=10.0)
    first = await p.acquire("a", RENT)  # t=100.0
    second = await p.acquire("a", RENT)  # t=100.5
    t.now += 0.2  # the vendor answers the first one late, at 100.7
    first.finish(t.now)
    third = await p.acquire("a", RENT)  # its slot (101.0) is too close to 100.7 + 1 s
    assert t.now == pytest.approx(101.7)
    second.finish(t.now)
    third.finish(t.now)
    assert t.slept == [0.5, pytest.approx(0.3), pytest.approx(0.7)]


async def test_window_guard_refuses_when_the_call_ahead_never_answers() -> None:
    t = MovingTime()
    p = Pacer(now=t.clock, sleep=t.sleep, margin=0.0, max_wait=0.6)
    await p.acquire("a", RENT)
    await p.acquire("a", RENT)
    t.now += 1.5  # the slot is free, but the call two places back was never answered
    assert p.reserve("b", RENT) == 0.0
    with pytest.raises(RateLimited):
        await p.acquire("a", RENT, max_wait=0.0)
    assert p.stats.rejections == {"rent": 1}


async def test_a_cancelled_waiter_does_not_block_the_ones_behind_it() -> None:
    t = MovingTime()
    p = Pacer(now=t.clock, sleep=t.sleep, margin=0.0, max_wait=10.0)
    first = await p.acquire("a", CANCEL)  # depth 1: each waits a second after the one before
    waiting = asyncio.ensure_future(p.acquire("a", CANCEL))
    await asyncio.sleep(0)  # it is now waiting for `first` to be answered
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    first.finish(t.now)
    behind = await p.acquire("a", CANCEL)  # the cancelled turn was finished, not left open
    assert not behind.finished


async def answered(p: Pacer, t: MovingTime, rtts: list[float]) -> list[Turn]:
    """One call per round trip, each answered after it; in turn."""
    turns = []
    for rtt in rtts:
        turn = await p.acquire("a", RENT)
        t.now += rtt
        turn.finish(t.now)
        turns.append(turn)
    return turns


async def test_the_round_trip_floor_comes_off_the_answer_time() -> None:
    """At 300 ms a round trip, once a few are known, a call leaves a second (and a
    margin) after the call N places back could have arrived, not after its answer."""
    t = MovingTime()
    p = pacer(t, guard=True)
    before = await answered(p, t, [0.3] * (Pacer.RTT_TRUSTED - 1))
    assert p.rtt_floor("a", RENT) is None  # too few to trust: the answer rule holds
    assert before[-1].sent_at == pytest.approx(before[-3].finished_at + 1.0)
    known = await answered(p, t, [0.3, 0.3])
    assert p.rtt_floor("a", RENT) == pytest.approx(0.3 - Pacer.FLOOR_MARGIN)
    ahead = before[-1]  # two places back (2 a second)
    assert known[-1].sent_at >= ahead.sent_at + 1.0  # still a second after it arrived
    assert known[-1].sent_at == pytest.approx(ahead.finished_at - 0.28 + 1.0)  # not +0.3


async def test_a_late_answer_holds_the_call_n_places_behind_it() -> None:
    """A call whose answer came late may have arrived late (inbound jitter): the call N
    places behind it leaves a second after its answer less the floor, later than usual."""
    t = MovingTime()
    p = pacer(t, guard=True)
    turns = await answered(p, t, [0.3, 0.3, 0.3, 0.3, 0.5, 0.3])
    slow, after_it = turns[-2], turns[-1]
    nxt = await p.acquire("a", RENT)  # two places behind the slow one
    assert nxt.sent_at == pytest.approx(slow.finished_at - 0.28 + 1.0)
    assert nxt.sent_at - slow.sent_at == pytest.approx(1.0 + 0.2 + Pacer.FLOOR_MARGIN)
    assert after_it.finished


async def test_after_a_429_the_plain_answer_rule_is_back() -> None:
    t = MovingTime()
    p = pacer(t, guard=True)
    turns = await answered(p, t, [0.3] * 5)
    assert p.rtt_floor("a", RENT) is not None
    p.penalize("a", RENT, 0.0)  # the vendor refused one all the same
    assert p.rtt_floor("a", RENT) is None
    nxt = await p.acquire("a", RENT)
    assert nxt.sent_at >= turns[-2].finished_at + Pacer.WINDOW
    t.now += Pacer.AFTER_429_SECONDS
    assert p.rtt_floor("a", RENT) is not None  # a quiet minute later
