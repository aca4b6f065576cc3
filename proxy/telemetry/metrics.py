"""One Prometheus registry for smsproxy, fed by cheap hooks and read-at-scrape collectors.

Labels come from closed sets only (dialects, actions, error classes, endpoints, groups,
caches, statuses, catalogue services); keys, numbers, ids and free text never become
labels. Counters that live in the core's own stats objects (caches, pacing, webhooks) are
read when Prometheus scrapes, so the request path pays nothing for them.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from proxy import __version__, errors
from proxy.domain import ActivationStatus, LongRentalState, PurchaseState
from proxy.local.caching import CacheStats
from proxy.local.pacing import PacingStats
from proxy.ports import store_operations
from proxy.router import CAUSES as COOLDOWN_CAUSES
from proxy.telemetry.exposition import Exposition
from proxy.telemetry.key_metrics import KeyMetrics
from proxy.telemetry.request_tally import RequestTally
from proxy.telemetry.routing_metrics import RoutingMetrics
from proxy.telemetry.tenant_metrics import TenantMetrics

log = logging.getLogger("smsproxy.metrics")
disable_created_metrics()  # type: ignore[no-untyped-call]  # no panel reads *_created
VERSION = __version__

# what a request's result is labelled: ok, the name of any concrete domain error (the
# tree's own list, so a new error is never folded into `internal`), the generic one, or
# the dialect's own refusals and failures
RESULTS = (
    "ok",
    *sorted(c.__name__ for c in (*errors.concrete_errors(), errors.DomainError)),
    "bad_request",
    "internal",
)
UPSTREAM_OUTCOMES = ("2xx", "4xx", "429", "5xx", "timeout", "connection_error", "malformed")
CACHE_RESULTS = ("hit", "miss", "stale", "negative_hit", "coalesced")
CACHES = ("offers", "balance", "status", "combinations", "out_of_stock")
DEFAULT_GROUP = "default"  # the proxy's own group for calls a vendor sets no limit for
PURCHASE_STATES = tuple(s.value for s in PurchaseState)
LONG_EVENTS = ("rented", "renewed", "cancelled", "finished")
ROUTES = ("first", "failover")  # sold by the first provider tried, or after a refusal
STORE_OPERATIONS = store_operations()  # from the store ports: a new call has its label
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
WAIT_BUCKETS = (0.0, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60)
LAG_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)
STORE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1)

# how many upstream calls the current client request caused (the source label)
upstream_calls: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "smsproxy_upstream_calls", default=None
)


def closed_label(value: str, allowed: tuple[str, ...], other: str) -> str:
    """Labels come from closed sets: anything unforeseen is folded into `other`."""
    return value if value in allowed else other


class _StatsCollector(Collector):
    """Counters kept by the core's stats objects, exported when scraped."""

    def __init__(self, metrics: Metrics) -> None:
        self._m = metrics

    def collect(self) -> Iterable[Metric]:
        cache = CounterMetricFamily(
            "smsproxy_cache_lookups", "Cache lookups by result", labels=["cache", "result"]
        )
        coalesced = CounterMetricFamily(
            "smsproxy_coalesced_calls",
            "Calls that shared another call's upstream request",
            labels=["cache"],
        )
        counts = self._m.cache_stats.counts if self._m.cache_stats else {}
        for name in CACHES:
            for result in CACHE_RESULTS:
                if result == "coalesced":
                    coalesced.add_metric([name], counts.get((name, result), 0))
                else:
                    cache.add_metric([name, result], counts.get((name, result), 0))
        yield cache
        yield coalesced
        failed = CounterMetricFamily(
            "smsproxy_background_failures",
            "Work run in the background (shared reads, refreshes, follow-ups) that failed",
            labels=["task"],
        )
        failures = self._m.cache_stats.failures if self._m.cache_stats else {}
        for name in sorted({"background", *CACHES, *failures}):
            failed.add_metric([name], failures.get(name, 0))
        yield failed
        rejections = CounterMetricFamily(
            "smsproxy_pacing_rejections",
            "Calls refused because their slot was too far away",
            labels=["group"],
        )
        penalties = CounterMetricFamily(
            "smsproxy_pacing_penalties",
            "429 answers that pushed a group's next slot out",
            labels=["group"],
        )
        stats = self._m.pacing_stats or PacingStats()
        for group in sorted(self._m.limit_groups):
            rejections.add_metric([group], stats.rejections.get(group, 0))
            penalties.add_metric([group], stats.penalties.get(group, 0))
        yield rejections
        yield penalties
        hooks = CounterMetricFamily(
            "smsproxy_webhooks_received", "Vendor webhooks received, by outcome", labels=["outcome"]
        )
        for outcome, count in sorted(self._m.webhook_outcomes().items()):
            hooks.add_metric([outcome], count)
        yield hooks


class Metrics:
    def __init__(self, dialects: Sequence[str]) -> None:
        """`dialects`: every dialect's label, from the dialects' registry."""
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.cache_stats: CacheStats | None = None
        self.pacing_stats: PacingStats | None = None
        self._webhook_outcomes: Any = None
        self.build_info = Gauge("smsproxy_build_info", "Build information", ["version"], registry=r)
        self.build_info.labels(VERSION).set(1)
        self.requests = RequestTally(
            r,
            name="smsproxy_client_requests",
            documentation="Client requests answered",
            duration_name="smsproxy_client_request_duration_seconds",
            duration_documentation="Client request duration",
            buckets=LATENCY_BUCKETS,
            dialects=tuple(dialects),
            results=RESULTS,
        )
        self.in_flight = Gauge(
            "smsproxy_client_requests_in_flight", "Client requests being served", registry=r
        )
        self.serving = 0  # a plain count on the hot path, read when scraped
        self.in_flight.set_function(lambda: self.serving)
        self.upstream = Counter(
            "smsproxy_upstream_requests",
            "Upstream attempts",
            ["provider", "endpoint", "outcome"],
            registry=r,
        )
        self.upstream_duration = Histogram(
            "smsproxy_upstream_request_duration_seconds",
            "Upstream request duration",
            ["provider", "endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.pacing_wait = Histogram(
            "smsproxy_pacing_wait_seconds",
            "Time a call waited for its pacing slot",
            ["group"],
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.activations = Gauge(
            "smsproxy_activations", "Activations in the store by status", ["status"], registry=r
        )
        self.rentals = Counter(
            "smsproxy_rentals", "Numbers rented", ["provider", "service"], registry=r
        )
        self.cost = Counter(
            "smsproxy_rental_cost_dollars",
            "Money spent on rentals",
            ["provider", "service"],
            registry=r,
        )
        self.store_duration = Histogram(
            "smsproxy_store_operation_duration_seconds",
            "Activation store operation latency",
            ["operation"],
            buckets=STORE_BUCKETS,
            registry=r,
        )
        self.loop_lag = Histogram(
            "smsproxy_event_loop_lag_seconds",
            "How late the event loop ran a timer (a probe four times a second)",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.purchases = Counter(
            "smsproxy_purchases",
            "Purchases by how they ended (unknown: sent, never answered; adopted: found later)",
            ["outcome"],
            registry=r,
        )
        self.provider_purchases = Counter(
            "smsproxy_provider_purchases",
            "Purchases by the provider that sold them and how it was chosen",
            ["provider", "route"],
            registry=r,
        )
        self.failovers = Counter(
            "smsproxy_provider_failovers",
            "Purchases a provider refused and the router took elsewhere, by the refusal",
            ["provider", "reason"],
            registry=r,
        )
        self.cooldown = Gauge(
            "smsproxy_provider_cooldown_seconds",
            "Seconds until a provider that failed may be tried again (0: ready)",
            ["provider"],
            registry=r,
        )
        self.cooling_for = Gauge(
            "smsproxy_provider_cooling",
            "1 while a provider cools down for this reason (a cause of routing.md's table)",
            ["provider", "reason"],
            registry=r,
        )
        self._cooling: Any = None
        self._reasons: Any = None
        self._providers: list[str] = []
        self.journal = Gauge(
            "smsproxy_purchase_journal_entries",
            "Entries of the purchase journal by state (unknown: may have been sold, unmatched)",
            ["state"],
            registry=r,
        )
        self._store_children: dict[str, Any] = {}
        self._upstream_children: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self._paced_children: dict[str, Any] = {}
        self._exposition = Exposition()
        self.last_upstream_answer: float | None = None
        self.last_upstream_failure: float | None = None
        self.limit_groups: set[str] = {DEFAULT_GROUP}  # and each provider's, when wired
        r.register(_StatsCollector(self))
        self.tenants = TenantMetrics(r)
        self.keys = KeyMetrics(r)
        self.routing = RoutingMetrics(r)
        self.replicas = Gauge(
            "smsproxy_fleet_replicas",
            "Replicas this one saw alive at its last heartbeat (1 without Redis)",
            registry=r,
        )
        self.degraded = Gauge(
            "smsproxy_fleet_degraded",
            "1 while Redis is away and this replica paces alone on its share of each limit",
            registry=r,
        )
        self.long_rentals = Gauge(
            "smsproxy_long_rentals",
            "Long rentals in the store by state (active: the number is held)",
            ["state"],
            registry=r,
        )
        self.long_events = Counter(
            "smsproxy_long_rental_events",
            "Long rentals rented, renewed, cancelled or let go (finished)",
            ["provider", "event"],
            registry=r,
        )
        self.long_spend = Counter(
            "smsproxy_long_rental_spend_dollars",
            "Money spent on long rentals and their renewals",
            ["provider"],
            registry=r,
        )
        for held in LongRentalState:
            self.long_rentals.labels(held.value).set(0)
        self.replicas.set(1)
        self.degraded.set(0)
        self.pacing_wait.labels(DEFAULT_GROUP)
        for status in ActivationStatus:
            self.activations.labels(status.value).set(0)
        for op in STORE_OPERATIONS:
            self.store_duration.labels(op)
        for state in PURCHASE_STATES:
            self.purchases.labels(state)
            self.journal.labels(state).set(0)

    def attach(
        self, cache_stats: CacheStats, pacing_stats: PacingStats, webhook_outcomes: Any
    ) -> None:
        self.cache_stats, self.pacing_stats = cache_stats, pacing_stats
        self._webhook_outcomes = webhook_outcomes

    def webhook_outcomes(self) -> dict[str, int]:
        return dict(self._webhook_outcomes or {})

    def known_series(
        self,
        provider: str,
        endpoints: Iterable[str],
        services: Iterable[str],
        groups: Iterable[str] = (),
    ) -> None:
        """Export zero for series known in advance, so dashboards show them from start."""
        for group in groups:
            self.limit_groups.add(group)
            self.pacing_wait.labels(group)
        for route in ROUTES:
            self.provider_purchases.labels(provider, route)
        self.failovers.labels(provider, "NoNumbers")
        for event in LONG_EVENTS:
            self.long_events.labels(provider, event)
        self.long_spend.labels(provider)
        self.cooldown.labels(provider).set(0)
        for reason in COOLDOWN_CAUSES:
            self.cooling_for.labels(provider, reason).set(0)
        self._providers.append(provider)
        for endpoint in endpoints:
            self.upstream_duration.labels(provider, endpoint)
            for outcome in UPSTREAM_OUTCOMES:
                self.upstream.labels(provider, endpoint, outcome)
        for service in services:
            self.rentals.labels(provider, service)
            self.cost.labels(provider, service)

    # -- hooks (never raise into a request path) ---------------------------------------
    def upstream_call(self, provider: str, endpoint: str, outcome: str, seconds: float) -> None:
        try:
            key = (provider, endpoint, outcome)
            children = self._upstream_children.get(key)
            if children is None:  # labels() costs more than the sample: look it up once
                children = (
                    self.upstream.labels(provider, endpoint, outcome),
                    self.upstream_duration.labels(provider, endpoint),
                )
                self._upstream_children[key] = children
            children[0].inc()
            children[1].observe(seconds)
            if outcome in ("2xx", "4xx", "429"):
                self.last_upstream_answer = time.monotonic()
            else:
                self.last_upstream_failure = time.monotonic()
            calls = upstream_calls.get()
            if calls is not None:
                calls[0] += 1
        except Exception:  # metrics must never break a request
            log.exception("metrics hook failed")

    def rented(self, provider: str, service: str, cost: Decimal) -> None:
        try:
            self.rentals.labels(provider, service).inc()
            self.cost.labels(provider, service).inc(float(cost))
        except Exception:
            log.exception("metrics hook failed")

    def store_op(self, operation: str, seconds: float) -> None:
        child = self._store_children.get(operation)
        if child is None:
            child = self._store_children[operation] = self.store_duration.labels(operation)
        child.observe(seconds)

    def routed(self, provider: str, route: str) -> None:
        try:
            self.provider_purchases.labels(provider, closed_label(route, ROUTES, "first")).inc()
        except Exception:
            log.exception("metrics hook failed")

    def failed_over(self, provider: str, reason: str) -> None:
        try:
            self.failovers.labels(provider, closed_label(reason, RESULTS, "internal")).inc()
        except Exception:
            log.exception("metrics hook failed")

    def tenant_charged(self, tenant: str, amount: Decimal) -> None:
        self.tenants.charged(tenant, amount)

    def tenant_refunded(self, tenant: str, amount: Decimal) -> None:
        self.tenants.refunded(tenant, amount)

    def tenant_refused(self, tenant: str, reason: str) -> None:
        self.tenants.refused(tenant, reason)

    def webhook_delivery(self, outcome: str) -> None:
        self.tenants.delivery(outcome)

    def key_checked(self, outcome: str) -> None:
        self.keys.checks.labels(outcome).inc()

    def request_limited(self, reason: str) -> None:
        self.keys.limited.labels(reason).inc()

    def show_refused_keys(self, remembered: int) -> None:
        self.keys.refused.set(remembered)

    def show_fleet(self, alive: int, degraded: bool) -> None:
        self.replicas.set(alive)
        self.degraded.set(1 if degraded else 0)

    def tenants_known(self, names: Sequence[str]) -> None:
        self.tenants.know(names)

    def show_long_rentals(self, counts: dict[str, int]) -> None:
        for state in LongRentalState:
            self.long_rentals.labels(state.value).set(counts.get(state.value, 0))

    def long_rental(self, provider: str, event: str, amount: Decimal) -> None:
        try:
            self.long_events.labels(provider, closed_label(event, LONG_EVENTS, "other")).inc()
            if amount:
                self.long_spend.labels(provider).inc(float(amount))
        except Exception:
            log.exception("metrics hook failed")

    def watch_cooldowns(self, cooling: Any, reasons: Any = None) -> None:
        """`cooling()` -> {provider: seconds left}; `reasons()` -> {(provider, reason)}
        cooling now; both read when scraped."""
        self._cooling, self._reasons = cooling, reasons

    def purchase_settled(self, provider: str, state: str) -> None:
        try:
            self.purchases.labels(closed_label(state, PURCHASE_STATES, "unknown")).inc()
        except Exception:
            log.exception("metrics hook failed")

    def paced(self, group: str, seconds: float) -> None:
        child = self._paced_children.get(group)
        if child is None:  # labels() costs more than the sample: look it up once
            child = self._paced_children[group] = self.pacing_wait.labels(group)
        child.observe(seconds)

    def render(
        self, activation_counts: dict[str, int], purchase_counts: dict[str, int] | None = None
    ) -> bytes:
        for status in ActivationStatus:
            self.activations.labels(status.value).set(activation_counts.get(status.value, 0))
        self.routing.refresh()
        for state in PURCHASE_STATES:
            self.journal.labels(state).set((purchase_counts or {}).get(state, 0))
        if self._cooling is not None:
            cooling = self._cooling()
            for provider in self._providers:
                self.cooldown.labels(provider).set(cooling.get(provider, 0.0))
        if self._reasons is not None:
            now_cooling = self._reasons()
            for provider in self._providers:
                for reason in COOLDOWN_CAUSES:
                    self.cooling_for.labels(provider, reason).set(
                        1 if (provider, reason) in now_cooling else 0
                    )
        return self._exposition.render(self.registry)
