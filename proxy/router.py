"""Which provider account a purchase goes to, and what a refusal there means.

Accounts are tried in their priority order; an account cooling down is skipped unless it
is the last one left. What happens after a refusal is a table from the domain error's
class, so every vendor's refusals mean the same here:

* the offer is not there (no numbers, service unknown or unavailable, price above the
  client's maximum, a rental cap): the next account, at once;
* the account cannot serve now (maintenance, unreachable, 429): the next account, and
  this one cools down for a while (a 429's Retry-After when it gives one); a 5xx or an
  unreachable vendor cools it only when at least half its calls of the last minute failed,
  so one stray error does not send its traffic away;
* the account is broken (bad key, no funds): the next account, and a long cooldown that
  an operator sees in the log; an account without funds is skipped until a balance read
  shows its balance rose (a top-up), read at most once per `no_funds_recheck` seconds;
* the purchase may have happened (outcome unknown): stop. A number is never bought
  elsewhere while one may have been bought here.
"""

from __future__ import annotations

import logging
import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from proxy import errors as e
from proxy.domain import UpstreamAccount

log = logging.getLogger("smsproxy.router")


@dataclass(frozen=True)
class Cooldowns:
    """How long each cause keeps an account out, in seconds (settings of their own)."""

    maintenance: float = 60.0
    transient: float = 30.0  # a 5xx or no answer, once most recent calls failed
    rate_limited: float = 1.0  # at least: a 429's Retry-After when it says longer
    bad_key: float = 3600.0
    no_funds_recheck: float = 60.0  # no funds: until a balance read shows more, this often

    def seconds(self, cause: str) -> float:
        if cause == NO_FUNDS:
            return float("inf")  # ends when a balance read shows a top-up
        return float(getattr(self, cause))


NO_FUNDS = "no_funds"
CAUSES = ("maintenance", "transient", "rate_limited", "bad_key", NO_FUNDS, "shared")


@dataclass(frozen=True)
class Step:
    go_on: bool  # try the next account
    cause: str | None = None  # why the account cools down (Cooldowns names the time)
    loud: bool = False  # an operator must act (a key or the funds)
    by_ratio: bool = False  # cool only when most recent calls failed (errors come and go)


@dataclass(frozen=True)
class Cooling:
    """One account's cooldown as an operator sees it."""

    account: str
    provider: str
    reason: str
    seconds_left: float  # inf: until its balance rises


RATIO_WINDOW_SECONDS = 60.0
RATIO_SAMPLES = 50
FAILURE_RATIO = 0.5  # at least half of the recent calls failed: the provider is failing


@dataclass
class _Unfunded:
    probed_at: float  # the last balance read asked for
    baseline: Decimal | None = None  # the balance after the refusal, once read


STOP = Step(go_on=False)
NEXT = Step(go_on=True)

FAILOVER: tuple[tuple[type[e.DomainError], Step], ...] = (
    (e.OutcomeUnknown, STOP),  # PurchaseInDoubt too
    (e.DuplicateOrder, STOP),
    (e.TenantCap, STOP),  # the tenant's own cap: the same at every provider
    (e.ServiceNotAllowed, STOP),  # the tenant's own policy, likewise
    (e.CountryNotAllowed, STOP),
    (e.OverBudget, STOP),  # the tenant's money, not the vendor account's
    (e.Maintenance, Step(True, "maintenance")),
    (e.RateLimited, Step(True, "rate_limited")),
    (e.UpstreamUnavailable, Step(True, "transient", by_ratio=True)),
    (e.UpstreamRejected, Step(True, "transient", by_ratio=True)),
    (e.AuthError, Step(True, "bad_key", loud=True)),
    (e.NoBalance, Step(True, NO_FUNDS, loud=True)),
    (e.OrderRejected, NEXT),  # no numbers, unknown service, max price, rental cap, ...
)


def step_for(error: e.DomainError) -> Step:
    for cls, step in FAILOVER:
        if isinstance(error, cls):
            return step
    return STOP  # an error this table does not know is not a reason to buy elsewhere


class Router:
    def __init__(
        self,
        now: Callable[[], float],
        rng: random.Random | None = None,
        cooldowns: Cooldowns | None = None,
    ) -> None:
        self._now = now
        self._rng = rng or random.Random()
        self._times = cooldowns or Cooldowns()
        self._cool_until: dict[str, float] = {}  # account name -> when it may serve again
        self._reasons: dict[str, str] = {}  # account name -> why it cools down
        self._outcomes: dict[str, deque[tuple[float, bool]]] = {}  # recent (time, ok)
        self._unfunded: dict[str, _Unfunded] = {}  # account name -> its balance watch
        # told of every cooldown set or lifted (the fleet shares them: proxy/fleet)
        self.listener: Callable[[str, float | None], None] | None = None

    def candidates(self, accounts: Sequence[UpstreamAccount]) -> list[UpstreamAccount]:
        """The accounts in priority order, those cooling down left out, unless all are:
        then the one whose cooldown ends first (never none)."""
        ordered = sorted(accounts, key=lambda a: a.priority)
        now = self._now()
        ready = [a for a in ordered if self._cool_until.get(a.name, 0.0) <= now]
        if ready:
            return ready
        return [min(ordered, key=lambda a: self._cool_until.get(a.name, 0.0))] if ordered else []

    def weighted(self, accounts: Sequence[UpstreamAccount]) -> list[UpstreamAccount]:
        """A random order in which each account comes first in proportion to its weight
        (the rest follow the same way): the fallbacks stay, the load is shared."""
        left, order = list(accounts), []
        while left:
            pick = self._rng.choices(range(len(left)), weights=[a.weight for a in left])[0]
            order.append(left.pop(pick))
        return order

    def failed(self, account: UpstreamAccount, error: e.DomainError) -> bool:
        """Record a refusal; True when the purchase may go on at the next account."""
        step = step_for(error)
        failing = self._record(account, ok=False) >= FAILURE_RATIO
        if step.cause is None or (step.by_ratio and not failing):
            return step.go_on
        seconds = self._times.seconds(step.cause)
        if isinstance(error, e.RateLimited):
            seconds = max(seconds, error.retry_after)
        if step.cause == NO_FUNDS:
            # due at once: the first read after the refusal is the baseline
            recheck = self._times.no_funds_recheck
            self._unfunded[account.name] = _Unfunded(self._now() - recheck)
        if seconds > 0:
            self._cool(account.name, self._now() + seconds, step.cause)
            report = log.error if step.loud else log.warning
            span = "until its balance rises" if seconds == float("inf") else f"for {seconds:.0f} s"
            report("provider %s cools down %s: %s", account.provider, span, type(error).__name__)
        return step.go_on

    def _cool(self, name: str, until: float, reason: str) -> None:
        self._cool_until[name], self._reasons[name] = until, reason
        if self.listener is not None:
            self.listener(name, until)

    def succeeded(self, account: UpstreamAccount) -> None:
        self._reasons.pop(account.name, None)
        if self._cool_until.pop(account.name, None) is not None and self.listener is not None:
            self.listener(account.name, None)
        self._unfunded.pop(account.name, None)
        self._record(account, ok=True)

    def adopt(self, name: str, until: float) -> None:
        """A cooldown another replica set: the later end wins."""
        if until > self._cool_until.get(name, 0.0):
            self._cool_until[name] = until
            self._reasons.setdefault(name, "shared")

    def release(self, name: str) -> None:
        """Another replica saw the account serve again: it serves here too."""
        self._cool_until.pop(name, None)
        self._reasons.pop(name, None)

    def now(self) -> float:
        return self._now()

    def funds_seen(self, account: UpstreamAccount, balance: Decimal) -> None:
        """A balance read of the account. The first one after a no-funds refusal is the
        baseline; one above it means someone topped the account up: it serves again."""
        watch = self._unfunded.get(account.name)
        if watch is None:
            return
        if watch.baseline is None or balance <= watch.baseline:
            watch.baseline = balance if watch.baseline is None else min(watch.baseline, balance)
            return
        del self._unfunded[account.name]
        self._reasons.pop(account.name, None)
        if self._cool_until.pop(account.name, None) is not None and self.listener is not None:
            self.listener(account.name, None)
        log.warning("provider %s: balance rose to %s, it serves again", account.provider, balance)

    def funds_probes(self, accounts: Sequence[UpstreamAccount]) -> list[UpstreamAccount]:
        """The accounts without funds whose balance is due to be read again (each read
        is then counted as done, so one purchase asks for it, not every one)."""
        now, due = self._now(), []
        for account in accounts:
            watch = self._unfunded.get(account.name)
            if watch is not None and now - watch.probed_at >= self._times.no_funds_recheck:
                watch.probed_at = now
                due.append(account)
        return due

    def _record(self, account: UpstreamAccount, *, ok: bool) -> float:
        """Note an outcome; the share of failures among the account's recent calls."""
        now = self._now()
        recent = self._outcomes.setdefault(account.name, deque(maxlen=RATIO_SAMPLES))
        recent.append((now, ok))
        while recent and recent[0][0] < now - RATIO_WINDOW_SECONDS:
            recent.popleft()
        return sum(1 for _, good in recent if not good) / len(recent)

    def cooldowns(self) -> list[Cooling]:
        """Every account cooling down now: why, and for how long yet."""
        now = self._now()
        return [
            Cooling(name, name.split(":", 1)[0], self._reasons.get(name, "shared"), until - now)
            for name, until in sorted(self._cool_until.items())
            if until > now
        ]

    def cooling(self) -> dict[str, float]:
        """Seconds left per provider (its longest-cooling account)."""
        now = self._now()
        left: dict[str, float] = {}
        for name, until in self._cool_until.items():
            provider = name.split(":", 1)[0]
            left[provider] = max(left.get(provider, 0.0), until - now)
        return {p: s for p, s in left.items() if s > 0}
