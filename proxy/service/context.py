"""What every use case needs: the ports, the clock, the settings and the shared guards."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from proxy.domain import Activation, UpstreamAccount
from proxy.local.caching import CacheStats
from proxy.local.pacing import Pacer as LocalPacer
from proxy.local.rates import TenantRates
from proxy.local.tasks import watched
from proxy.ports import Caches, Clock, Observer, Pacer, Provider, RateLimits, Store
from proxy.router import Cooldowns
from proxy.telemetry.null_observer import NullObserver


@dataclass(frozen=True)
class ServiceSettings:
    cancel_lock_seconds: float | None = None  # None: each vendor's own rule
    poll_interval_seconds: float = 2.0  # at most one upstream status call per activation
    long_poll_seconds: float = 10.0  # at most one upstream read per long rental
    reconcile_interval_seconds: float = 30.0  # the poll interval once webhooks bring codes
    # webhooks on: each upstream account has its own webhook URL token derived from it
    webhook_secret: str | None = field(default=None, repr=False)
    offers_ttl_seconds: float = 60.0
    offers_stale_seconds: float = 30.0
    combination_ttl_seconds: float = 300.0  # inside the vendor's own 5-15 minutes
    out_of_stock_ttl_seconds: float = 0.0  # off unless configured
    default_rate_per_second: float = 5.0  # endpoints the vendor sets no limit for
    poll_wait_seconds: float = 1.0  # a status poll waits this long for a slot, else the store
    # a retry of a purchase whose outcome is unknown is refused this long (the vendor's
    # rental time: by then a rental nobody found has ended, and without an SMS is refunded)
    unknown_purchase_hold_seconds: float = 1200.0
    routing: str = "priority"  # priority | cheapest | weighted | value: how purchases pick
    # a provider's price times its rate is in the routing currency; a provider absent
    # from the map prices in it already, one mapped to None has no known rate
    price_rates: Mapping[str, Decimal | None] = field(default_factory=dict)
    value_explore: float = 0.1  # value: the share of purchases that try another provider
    routing_seed: int | None = None
    price_tie_band: float = 0.01  # cheapest: prices this close count as equal (then priority)
    cooldowns: Cooldowns = field(default_factory=Cooldowns)  # by cause
    # a passed-through key never seen to work reaches the vendor at this pace, fleet-wide,
    # waiting this long at most for its turn (else the client's "try again")
    unknown_key_checks_per_second: float = 2.0
    client_rate_per_second: float = 5.0  # per source, for keys not yet known to be good
    client_burst: int = 20
    client_limited_delay_seconds: float = 1.0  # how long a source over its rate waits
    unknown_key_check_wait_seconds: float = 2.0

    @property
    def webhooks(self) -> bool:
        return bool(self.webhook_secret)

    @property
    def status_interval(self) -> float:
        return self.reconcile_interval_seconds if self.webhooks else self.poll_interval_seconds


# listings (of activations, of long rentals) wait this long for the vendor, then answer
# from the store: a slow or absent vendor never holds a listing up (bench/listings.py)
LISTING_WAIT = 0.03

Followup = Callable[[Activation, Activation], Awaitable[None]]
Source = Callable[[], str]  # a request's source address, worked out when asked
# the source of the request being served, set where it names its caller and read where a
# key check would start (a context variable: each request's task has its own)
REQUEST_SOURCE: ContextVar[Source | None] = ContextVar("request_source", default=None)


class KeyGate(Protocol):
    """Which accounts' keys must wait for a key-check slot, told of the vendor's verdict."""

    def unverified(self, account: UpstreamAccount) -> bool: ...

    def verified(self, account: UpstreamAccount) -> None: ...

    def refused(self, account: UpstreamAccount) -> None: ...

    def refused_count(self) -> int:
        """Keys remembered as refused (answered without a vendor call)."""
        ...


class _OpenGate:
    def unverified(self, account: UpstreamAccount) -> bool:
        return False

    def verified(self, account: UpstreamAccount) -> None:
        return None

    def refused(self, account: UpstreamAccount) -> None:
        return None

    def refused_count(self) -> int:
        return 0


OPEN_GATE: KeyGate = _OpenGate()


@dataclass
class Context:
    providers: Mapping[str, Provider]  # by name
    store: Store
    clock: Clock
    caches: Caches
    settings: ServiceSettings = field(default_factory=ServiceSettings)
    pacer: Pacer = field(default_factory=LocalPacer)
    cache_stats: CacheStats = field(default_factory=CacheStats)
    observer: Observer = field(default_factory=NullObserver)
    background: set[asyncio.Task[None]] = field(default_factory=set)
    # what follows from an activation's change (a refund, a code for a tenant's webhook)
    followups: tuple[Followup, ...] = ()
    # what the vendor said of each account's key (identity: checks, verified, refused)
    keys: KeyGate = field(default_factory=lambda: OPEN_GATE)
    # issued tenants' request rates: in process unless the fleet decides them
    rates: RateLimits = field(default_factory=lambda: TenantRates(time.monotonic))

    async def save(self, before: Activation, after: Activation) -> None:
        """Store a changed activation, then what follows from the change."""
        await self.store.activations.put(after)
        for follow in self.followups:
            await follow(before, after)

    def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Work an answer must not wait for; kept referenced until done, errors logged."""
        task = asyncio.get_running_loop().create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        watched(task, "background", self.cache_stats.failures)
        return task

    async def drain(self) -> None:
        """At shutdown: background work only refreshes what is durable already."""
        for task in list(self.background):
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)

