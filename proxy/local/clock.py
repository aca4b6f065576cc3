"""Clocks: the wall clock for serving, a manual one for tests and simulations."""

from __future__ import annotations

import time


class SystemClock:
    def now(self) -> float:
        return time.time()


class ManualClock:
    def __init__(self, start: float = 1_767_614_400.0) -> None:  # 2026-01-05 12:00 UTC
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds
