"""The sandbox's clock: wall time plus an offset that the control API can advance.

A frozen clock starts at a fixed instant and moves only when told to, so tests and
seeded demos see the same timestamps on every run.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

FROZEN_START = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC).timestamp()


class SandboxClock:
    def __init__(self, *, frozen: bool = False, start: float | None = None) -> None:
        self._frozen = frozen
        self._base = start if start is not None else (FROZEN_START if frozen else None)
        self._offset = 0.0

    def now(self) -> float:
        base = self._base if self._frozen and self._base is not None else time.time()
        return base + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds

    @property
    def frozen(self) -> bool:
        return self._frozen


def fmt_datetime(ts: float) -> str:
    """The vendor's `end_time` format: `YYYY-MM-DD HH:MM:SS`, in UTC (see docs/sandbox.md)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def fmt_date(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def fmt_iso(ts: float) -> str:
    """Message times (`received_at`): RFC 3339 with an explicit offset."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")
