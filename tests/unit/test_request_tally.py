"""The client-request metrics counted by hand read exactly as prometheus_client's own
Counter and Histogram would, fed the same samples: the same text, byte for byte."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from adapters.dialects import NAMES as DIALECTS
from proxy.telemetry.metrics import LATENCY_BUCKETS, RESULTS
from proxy.telemetry.request_tally import RequestTally

SAMPLES = [
    # dialect, action, result, source, seconds: bounds hit exactly, between, past the last
    ("sms-activate", "getStatus", "ok", "proxy", 0.0009),
    ("sms-activate", "getStatus", "ok", "proxy", 0.001),
    ("sms-activate", "getStatus", "ok", "proxy", 0.0010001),
    ("sms-activate", "getStatus", "NotFound", "upstream", 2.5),
    ("sms-activate", "getNumber", "NoNumbers", "upstream", 31.0),
    ("5sim", "check", "ok", "proxy", 0.0),
    ("5sim", "check", "ok", "upstream", 0.3),
    ("v1", "balance", "ok", "upstream", 10.0),
    ("sms-activate", "getStatus", "ok", "proxy", 0.049),
]


def prometheus_clients_own(samples: list[tuple[str, str, str, str, float]]) -> bytes:
    registry = CollectorRegistry(auto_describe=True)
    counter = Counter(
        "smsproxy_client_requests",
        "Client requests answered",
        ["dialect", "action", "result", "source"],
        registry=registry,
    )
    histogram = Histogram(
        "smsproxy_client_request_duration_seconds",
        "Client request duration",
        ["dialect", "action"],
        buckets=LATENCY_BUCKETS,
        registry=registry,
    )
    for dialect, action, result, source, seconds in samples:
        counter.labels(dialect, action, result, source).inc()
        histogram.labels(dialect, action).observe(seconds)
    return generate_latest(registry)


TALLY = {
    "name": "smsproxy_client_requests",
    "documentation": "Client requests answered",
    "duration_name": "smsproxy_client_request_duration_seconds",
    "duration_documentation": "Client request duration",
    "buckets": LATENCY_BUCKETS,
    "dialects": DIALECTS,
    "results": RESULTS,
}


def tallied(samples: list[tuple[str, str, str, str, float]]) -> bytes:
    registry = CollectorRegistry(auto_describe=True)
    tally = RequestTally(registry, **TALLY)  # type: ignore[arg-type]
    tally.add_served(
        ("", {"dialect": d, "action": a, "result": r}, 200, 0.0, s, int(src == "upstream"))
        for d, a, r, src, s in samples
    )
    return generate_latest(registry)


@pytest.mark.parametrize("count", [0, 1, 4, len(SAMPLES)])
def test_the_text_is_prometheus_clients_own(count: int) -> None:
    ours = tallied(SAMPLES[:count])
    assert ours == prometheus_clients_own(SAMPLES[:count])
    assert ours.count(b"_bucket{") == 15 * len({s[:2] for s in SAMPLES[:count]})


def test_a_second_registration_of_the_names_is_refused() -> None:
    registry = CollectorRegistry(auto_describe=True)
    RequestTally(registry, **TALLY)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        RequestTally(registry, **TALLY)  # type: ignore[arg-type]
