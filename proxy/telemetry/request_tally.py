"""The client-request metrics, counted in plain lists and exported as prometheus_client's
own Counter and Histogram would be: the same names, samples and text, byte for byte.

Every client request adds one sample to each. Through prometheus_client that costs a
`labels()`-cached child, a lock per value and a Python loop over the buckets, which
measured as 12 % of a request answered from state (bench/overhead.py, counted in
instructions under callgrind); here it is a dict lookup, a C bisection and two list
additions. Only the event loop adds (proxy/telemetry/served.py folds on it, and `/metrics` folds
before it renders); a render in its thread copies each list whole, so a fold that
interleaves can at most leave one sample's duration out of the sum until the next scrape.
tests/unit/test_request_tally.py compares the text with prometheus_client's.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence

from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import CollectorRegistry
from prometheus_client.utils import floatToGoString

from proxy.telemetry.records import RequestRecord

MAX_RAW_LABELS = 10_000
COUNTED = ("dialect", "action", "result", "source")
TIMED = ("dialect", "action")


class RequestTally:
    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        name: str,
        documentation: str,
        duration_name: str,
        duration_documentation: str,
        buckets: Sequence[float],
        dialects: Iterable[str],
        results: Iterable[str],
    ) -> None:
        self._name, self._doc = name, documentation
        self._duration_name, self._duration_doc = duration_name, duration_documentation
        self._bounds = tuple(float(b) for b in buckets)
        self._dialects, self._results = frozenset(dialects), frozenset(results)
        self._les = [floatToGoString(b) for b in self._bounds] + ["+Inf"]  # type: ignore[no-untyped-call]
        self._counts: dict[tuple[str, str, str, str], list[float]] = {}
        self._slots: dict[tuple[str, str, str, bool], tuple[list[float], list[float]]] = {}
        # per (dialect, action): one count per bucket (not cumulative), the +Inf one, the sum
        self._durations: dict[tuple[str, str], list[float]] = {}
        registry.register(self)

    def add_served(self, served: Iterable[RequestRecord]) -> None:
        """Served requests in one loop (proxy/telemetry/served.py folds a batch at once)."""
        slots, bounds = self._slots, self._bounds
        for _, note, _, started, ended, upstream in served:
            raw = (note["dialect"], note["action"], note["result"], upstream > 0)
            slot = slots.get(raw)
            if slot is None:
                slot = self._slot(raw)
            count, timed = slot
            count[0] += 1.0
            seconds = ended - started
            timed[bisect_left(bounds, seconds)] += 1.0  # le: the first bound >= seconds
            timed[-1] += seconds

    def _slot(self, raw: tuple[str, str, str, bool]) -> tuple[list[float], list[float]]:
        """Where a label set's samples go; labels outside their closed sets are folded
        into `other` and `internal` (each raw set is looked at once, then remembered)."""
        dialect, action, result, upstream = raw
        if dialect not in self._dialects:
            dialect = "other"
        if result not in self._results:
            result = "internal"
        key = (dialect, action, result, "upstream" if upstream else "proxy")
        count = self._counts.setdefault(key, [0.0])
        timed = self._durations.setdefault((dialect, action), [0.0] * (len(self._bounds) + 2))
        if len(self._slots) < MAX_RAW_LABELS:  # raw labels are not bounded: their sets are
            self._slots[raw] = (count, timed)
        return count, timed

    def describe(self) -> list[Metric]:
        return [
            CounterMetricFamily(self._name, self._doc, labels=COUNTED),
            HistogramMetricFamily(self._duration_name, self._duration_doc, labels=TIMED),
        ]

    def collect(self) -> Iterator[Metric]:
        counter = CounterMetricFamily(self._name, self._doc, labels=COUNTED)
        for key, count in list(self._counts.items()):
            counter.add_metric(key, count[0])
        yield counter
        histogram = HistogramMetricFamily(self._duration_name, self._duration_doc, labels=TIMED)
        for labels, timed in list(self._durations.items()):
            cumulative, buckets = 0.0, []
            for le, n in zip(self._les, timed[:-1], strict=True):
                cumulative += n
                buckets.append((le, cumulative))
            histogram.add_metric(labels, buckets, timed[-1])
        yield histogram
