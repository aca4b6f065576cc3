"""What the sandbox received: the evidence tests and benchmarks read back."""

from __future__ import annotations

import hashlib
from collections import Counter, deque
from typing import Any


def fingerprint(key: str) -> str:
    """A short, non-reversible name for an API key (keys are never echoed back)."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


class Stats:
    LOG_SIZE = 1000

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.by_endpoint: Counter[str] = Counter()
        self.by_key: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()
        self.throttled = 0
        self.webhooks_sent = 0
        self.webhooks_failed = 0
        self.log: deque[dict[str, Any]] = deque(maxlen=self.LOG_SIZE)

    def record(self, time: float, endpoint: str, status: int, key: str | None) -> None:
        self.by_endpoint[endpoint] += 1
        self.by_status[status] += 1
        if key:
            self.by_key[fingerprint(key)] += 1
        if status == 429:
            self.throttled += 1
        self.log.append({"time": round(time, 3), "endpoint": endpoint, "status": status})

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": sum(self.by_endpoint.values()),
            "by_endpoint": dict(self.by_endpoint),
            "by_key": dict(self.by_key),
            "by_status": {str(k): v for k, v in self.by_status.items()},
            "throttled": self.throttled,
            "webhooks": {"sent": self.webhooks_sent, "failed": self.webhooks_failed},
            "log": list(self.log),
        }
