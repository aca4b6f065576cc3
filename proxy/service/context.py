"""What every use case needs: the ports, the clock, the settings and the shared guards."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..caching import CacheStats
from ..metrics import NullObserver
from ..pacing import Pacer
from ..ports import ActivationStore, Clock, Observer, Provider


@dataclass(frozen=True)
class ServiceSettings:
    cancel_lock_seconds: float = 60.0  # the vendor refuses cancels in the first minute
    poll_interval_seconds: float = 2.0  # at most one upstream status call per activation
    reconcile_interval_seconds: float = 30.0  # the poll interval once webhooks bring codes
    webhooks: bool = False
    offers_ttl_seconds: float = 60.0
    offers_stale_seconds: float = 30.0
    combination_ttl_seconds: float = 300.0  # inside the vendor's own 5-15 minutes
    out_of_stock_ttl_seconds: float = 0.0  # off unless configured
    default_rate_per_second: float = 5.0  # endpoints the vendor sets no limit for
    poll_wait_seconds: float = 1.0  # a status poll waits this long for a slot, else the store

    @property
    def status_interval(self) -> float:
        return self.reconcile_interval_seconds if self.webhooks else self.poll_interval_seconds


@dataclass
class Context:
    provider: Provider
    store: ActivationStore
    clock: Clock
    settings: ServiceSettings = field(default_factory=ServiceSettings)
    pacer: Pacer = field(default_factory=Pacer)
    cache_stats: CacheStats = field(default_factory=CacheStats)
    observer: Observer = field(default_factory=NullObserver)
