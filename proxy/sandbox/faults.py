"""Injected failures: what a flaky vendor does to its callers.

Errors, latency and jitter strike before the vendor counts or acts (nothing happened);
an answer delay, timeouts, resets
and malformed bodies strike after it acted, so the caller cannot know the outcome —
exactly the case a proxy must never retry blindly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

FAULT_FIELDS = (
    "error_rate",
    "latency_ms",
    "jitter_ms",
    "answer_delay_ms",
    "timeout_rate",
    "reset_rate",
    "malformed_rate",
)


@dataclass(frozen=True)
class FaultRule:
    error_rate: float = 0.0
    error_status: int = 500
    latency_ms: float = 0.0  # on the way in: before the vendor counts or acts
    jitter_ms: float = 0.0  # a further 0..jitter_ms on the way in, drawn per request
    answer_delay_ms: float = 0.0  # on the way out: after the vendor acted
    timeout_rate: float = 0.0
    timeout_seconds: float = 30.0
    reset_rate: float = 0.0
    malformed_rate: float = 0.0

    @classmethod
    def parse(cls, body: dict[str, Any]) -> tuple[str, FaultRule]:
        """Validate a control-API body; raises ValueError with a readable reason."""
        endpoint = body.get("endpoint", "*")
        if not isinstance(endpoint, str) or not endpoint:
            raise ValueError("endpoint must be a non-empty string")
        values: dict[str, Any] = {}
        for name in (*FAULT_FIELDS, "timeout_seconds"):
            if name in body:
                value = body[name]
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError(f"{name} must be a number")
                if name.endswith("_rate") and not 0 <= value <= 1:
                    raise ValueError(f"{name} must be between 0 and 1")
                if value < 0:
                    raise ValueError(f"{name} must not be negative")
                values[name] = float(value)
        if "error_status" in body:
            status = body["error_status"]
            if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status < 600:
                raise ValueError("error_status must be an HTTP error status (400-599)")
            values["error_status"] = status
        return endpoint, cls(**values)


class Faults:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self.rules: dict[str, FaultRule] = {}

    def rule_for(self, endpoint: str) -> FaultRule | None:
        return self.rules.get(endpoint) or self.rules.get("*")

    def inbound_seconds(self, rule: FaultRule) -> float:
        jitter = self._rng.uniform(0, rule.jitter_ms) if rule.jitter_ms else 0.0
        return (rule.latency_ms + jitter) / 1000

    def strikes(self, rate: float) -> bool:
        return rate >= 1.0 or (rate > 0 and self._rng.random() < rate)

    def clear(self) -> None:
        self.rules.clear()
