"""What routing by delivered codes sees: each provider's share of recent purchases of a
service that received their code (service/code_rates.py), read when scraped."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from prometheus_client import CollectorRegistry, Gauge

CodeRatesView = Callable[[], Mapping[tuple[str, str], float]]


class RoutingMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.code_rate = Gauge(
            "smsproxy_provider_code_rate",
            "Share of a provider's recent purchases of a service that received their code "
            "(exponentially weighted; what routing = value divides prices by)",
            ["provider", "service"],
            registry=registry,
        )
        self._view: CodeRatesView | None = None

    def watch(self, view: CodeRatesView) -> None:
        self._view = view

    def refresh(self) -> None:
        """Series for the pairs seen (bounded where the rates are kept)."""
        if self._view is None:
            return
        for (provider, service), rate in self._view().items():
            self.code_rate.labels(provider, service).set(round(rate, 4))
