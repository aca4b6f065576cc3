"""The metrics page is byte for byte what prometheus_client's own writer gives, on the
proxy's full registry (every family, pre-created series, traffic, tenants) and on label
values that need escaping."""

from __future__ import annotations

from decimal import Decimal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, generate_latest

from adapters.dialects import NAMES
from adapters.dialects.codes import Vocabulary
from adapters.upstreams.getatext.limits import ENDPOINTS
from proxy.telemetry.exposition import Exposition
from proxy.telemetry.metrics import Metrics


def busy_metrics() -> Metrics:
    metrics = Metrics(NAMES)
    names = sorted(set(Vocabulary().to_api.values()))
    metrics.known_series("getatext", ENDPOINTS, names, ["default", "rent"])
    metrics.tenants_known(["acme", "globex"])
    for dialect, action in (("sms-activate", "getStatus"), ("5sim", "check"), ("v1", "balance")):
        for result, seconds, upstream in (("ok", 0.0031, 0), ("NotFound", 1.7, 1)):
            note = {"dialect": dialect, "action": action, "result": result}
            metrics.requests.add_served([("id", note, 200, 0.0, seconds, upstream)])
    metrics.upstream_call("getatext", "rental-status", "2xx", 0.042)
    metrics.upstream_call("getatext", "rental-status", "timeout", 30.0)
    metrics.rented("getatext", "whatsapp", Decimal("0.55"))
    metrics.tenant_charged("acme", Decimal("1.10"))
    metrics.long_rental("getatext", "renewed", Decimal("10.99"))
    metrics.store_op("get", 0.0004)
    metrics.show_long_rentals({"active": 3, "cancelled": 1})
    return metrics


def test_the_proxys_page_matches_prometheus_clients_own() -> None:
    metrics = busy_metrics()
    ours = Exposition().render(metrics.registry)
    assert ours == generate_latest(metrics.registry)
    assert ours.count(b"\n") > 600  # the full page, not an empty registry


def test_escaping_infinities_and_every_family_type_match() -> None:
    registry = CollectorRegistry(auto_describe=True)
    odd = Counter("odd_events", "help with \\ and\nnewline", ["who", "what"], registry=registry)
    odd.labels('quote " here', "back\\slash\nnew line").inc(3)
    odd.labels("plain", "ünïcödé").inc(0.1)
    gauge = Gauge("odd_level", "a gauge", registry=registry)
    gauge.set(float("inf"))
    negative = Gauge("odd_negative_zero", "minus zero", registry=registry)
    negative.set(-0.0)
    Histogram("odd_seconds", "a histogram", ["kind"], registry=registry).labels("x").observe(2.5)
    Info("odd_build", "an info", registry=registry).info({"version": "1.2"})
    exposition = Exposition()
    first = exposition.render(registry)
    assert first == generate_latest(registry)
    odd.labels('quote " here', "back\\slash\nnew line").inc()
    assert exposition.render(registry) == generate_latest(registry)  # from the kept label sets
