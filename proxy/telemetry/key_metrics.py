"""What callers the proxy cannot name cost: key checks made at the vendor, refused keys
remembered (answered without a vendor call), requests limited before any vendor call."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

CHECK_OUTCOMES = ("accepted", "refused", "undecided")  # undecided: no verdict (a 5xx, …)
LIMIT_REASONS = ("source", "key_check_wait")  # a source's rate; no key-check slot in time


class KeyMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.checks = Counter(
            "smsproxy_key_checks",
            "Calls that checked a key never seen at the vendor, by its verdict",
            ["outcome"],
            registry=registry,
        )
        self.refused = Gauge(
            "smsproxy_refused_keys_remembered",
            "Keys the vendor refused, answered as bad without a vendor call for their TTL",
            registry=registry,
        )
        self.limited = Counter(
            "smsproxy_requests_limited",
            "Requests refused before any vendor call: their source's rate (keys the proxy "
            "cannot name yet), or no key-check slot within the wait",
            ["reason"],
            registry=registry,
        )
        for outcome in CHECK_OUTCOMES:
            self.checks.labels(outcome)
        for reason in LIMIT_REASONS:
            self.limited.labels(reason)
        self.refused.set(0)
