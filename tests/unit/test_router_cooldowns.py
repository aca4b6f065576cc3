"""Cooldowns by cause, with their durations as settings (an injected clock)."""

from __future__ import annotations

from decimal import Decimal

from proxy import errors as e
from proxy.domain import UpstreamAccount
from proxy.local.clock import ManualClock
from proxy.router import Cooldowns, Cooling, Router

ALPHA = UpstreamAccount("alpha", "key-a", "alpha")
BETA = UpstreamAccount("beta", "key-b", "beta", priority=1)


def router(**times: float) -> tuple[Router, ManualClock]:
    clock = ManualClock(1000.0)
    return Router(clock.now, cooldowns=Cooldowns(**times)), clock


def test_each_cause_cools_for_its_configured_time() -> None:
    cases = [
        (e.Maintenance(), "maintenance", {"maintenance": 7.0}, 7.0),
        (e.UpstreamUnavailable(), "transient", {"transient": 9.0}, 9.0),
        (e.BadKey(), "bad_key", {"bad_key": 11.0}, 11.0),
        (e.RateLimited(retry_after=4.0), "rate_limited", {"rate_limited": 1.0}, 4.0),
    ]
    for error, reason, times, seconds in cases:
        r, clock = router(**times)
        assert r.failed(ALPHA, error)  # the purchase goes on at the next account
        assert r.cooldowns() == [Cooling("alpha:alpha", "alpha", reason, seconds)]
        assert r.candidates([ALPHA, BETA]) == [BETA]
        clock.advance(seconds)
        assert r.cooldowns() == [] and r.candidates([ALPHA, BETA]) == [ALPHA, BETA]


def test_no_funds_lasts_until_a_balance_read_shows_more() -> None:
    r, clock = router(no_funds_recheck=120.0)
    r.failed(ALPHA, e.NoBalance())
    assert r.funds_probes([ALPHA]) == [ALPHA]  # due at once: the baseline
    r.funds_seen(ALPHA, Decimal("0.10"))
    clock.advance(100_000)  # no fixed end
    assert [c.reason for c in r.cooldowns()] == ["no_funds"]
    assert r.candidates([ALPHA, BETA]) == [BETA]
    assert r.funds_probes([ALPHA]) == [ALPHA]
    assert r.funds_probes([ALPHA]) == []  # read at most once per recheck
    clock.advance(119)
    assert r.funds_probes([ALPHA]) == []
    clock.advance(1)
    assert r.funds_probes([ALPHA]) == [ALPHA]
    r.funds_seen(ALPHA, Decimal("0.10"))  # the same money: still out
    assert r.candidates([ALPHA, BETA]) == [BETA]
    r.funds_seen(ALPHA, Decimal("25.00"))  # a top-up
    assert r.cooldowns() == [] and r.candidates([ALPHA, BETA]) == [ALPHA, BETA]


def test_a_stray_5xx_does_not_cool_a_provider_whose_calls_succeed() -> None:
    r, _ = router(transient=30.0)
    for _ in range(3):
        r.succeeded(ALPHA)
    r.failed(ALPHA, e.UpstreamUnavailable())
    assert r.cooldowns() == []
