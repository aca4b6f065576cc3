"""Per-tenant series: spend, purchases, refunds, refusals and budget left, labelled by
issued tenant names from a bounded set (the first `MAX_TENANT_LABELS` known, then
`other`), and the tenants' webhook deliveries. Keys never become labels."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal

from prometheus_client import CollectorRegistry, Counter, Gauge

log = logging.getLogger("smsproxy.metrics")
MAX_TENANT_LABELS = 100
OTHER = "other"
REFUSALS = ("budget", "rate", "max_active", "service", "country", "price")
DELIVERIES = ("sent", "retried", "failed", "dropped")
PERIODS = ("day", "month")


class TenantMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self._known: set[str] = set()
        self.purchases = Counter(
            "smsproxy_tenant_purchases", "Numbers bought by issued tenants", ["tenant"], registry=r
        )
        self.spend = Counter(
            "smsproxy_tenant_spend_dollars",
            "Money charged to issued tenants (before refunds)",
            ["tenant"],
            registry=r,
        )
        self.refunds = Counter(
            "smsproxy_tenant_refunds_dollars",
            "Money given back to issued tenants (rentals ended without a code)",
            ["tenant"],
            registry=r,
        )
        self.refusals = Counter(
            "smsproxy_tenant_refusals",
            "Requests a tenant's own limit refused, by the limit",
            ["tenant", "reason"],
            registry=r,
        )
        self.budget_left = Gauge(
            "smsproxy_tenant_budget_remaining_dollars",
            "What a budgeted tenant may still spend in the period (holds deducted)",
            ["tenant", "period"],
            registry=r,
        )
        self.deliveries = Counter(
            "smsproxy_tenant_webhooks",
            "Deliveries of codes to tenants' webhooks, by outcome",
            ["outcome"],
            registry=r,
        )
        self.pending = Gauge(
            "smsproxy_tenant_webhooks_pending",
            "Codes waiting in the outbox for a tenant's webhook",
            registry=r,
        )
        for outcome in DELIVERIES:
            self.deliveries.labels(outcome)

    def know(self, tenants: Iterable[str]) -> None:
        """Issued tenants become labels, up to the bound; series start at zero."""
        for name in sorted(set(tenants) - self._known):
            if len(self._known) >= MAX_TENANT_LABELS:
                break
            self._known.add(name)
            self.purchases.labels(name)
            self.spend.labels(name)
            self.refunds.labels(name)
            self.refusals.labels(name, "budget")

    def label(self, tenant: str) -> str:
        return tenant if tenant in self._known else OTHER

    def charged(self, tenant: str, amount: Decimal) -> None:
        try:
            self.purchases.labels(self.label(tenant)).inc()
            self.spend.labels(self.label(tenant)).inc(float(amount))
        except Exception:
            log.exception("metrics hook failed")

    def refunded(self, tenant: str, amount: Decimal) -> None:
        try:
            self.refunds.labels(self.label(tenant)).inc(float(amount))
        except Exception:
            log.exception("metrics hook failed")

    def refused(self, tenant: str, reason: str) -> None:
        try:
            label = reason if reason in REFUSALS else "budget"
            self.refusals.labels(self.label(tenant), label).inc()
        except Exception:
            log.exception("metrics hook failed")

    def delivery(self, outcome: str) -> None:
        try:
            self.deliveries.labels(outcome if outcome in DELIVERIES else "failed").inc()
        except Exception:
            log.exception("metrics hook failed")

    def show(self, budgets: Mapping[str, Mapping[str, Decimal]], pending: int) -> None:
        """At scrape: each labelled tenant's budget left per period, the outbox's size."""
        for tenant, periods in budgets.items():
            if tenant in self._known:
                for period, left in periods.items():
                    self.budget_left.labels(tenant, period).set(float(left))
        self.pending.set(pending)
