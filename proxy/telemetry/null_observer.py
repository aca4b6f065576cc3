"""The observer the core uses when nothing measures it: every hook does nothing.

The core depends on `ports.Observer` only; `proxy.telemetry.metrics` is one implementation, wired
in by the composition root.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal


class NullObserver:
    """The observer when metrics are off: every hook is a no-op."""

    def upstream_call(self, provider: str, endpoint: str, outcome: str, seconds: float) -> None:
        return None

    def rented(self, provider: str, service: str, cost: Decimal) -> None:
        return None

    def store_op(self, operation: str, seconds: float) -> None:
        return None

    def purchase_settled(self, provider: str, state: str) -> None:
        return None

    def routed(self, provider: str, route: str) -> None:
        return None

    def failed_over(self, provider: str, reason: str) -> None:
        return None

    def tenant_charged(self, tenant: str, amount: Decimal) -> None:
        return None

    def tenant_refunded(self, tenant: str, amount: Decimal) -> None:
        return None

    def tenant_refused(self, tenant: str, reason: str) -> None:
        return None

    def key_checked(self, outcome: str) -> None:
        return None

    def request_limited(self, reason: str) -> None:
        return None

    def webhook_delivery(self, outcome: str) -> None:
        return None

    def tenants_known(self, names: Sequence[str]) -> None:
        return None

    def long_rental(self, provider: str, event: str, amount: Decimal) -> None:
        return None
