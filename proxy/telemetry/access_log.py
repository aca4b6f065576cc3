"""Access lines, one per client request, written in batches by a thread of their own.

A line through `logging` costs a record, a formatter and a handler per request, which
measured as a third of a request answered from state (bench/overhead.py). Here a line is
one f-string appended to a list; every quarter second (or every 512 lines) the batch is
written with one call, in a worker thread, so the event loop never waits on stderr.
Every line is kept (no sampling). Lines look like the other log lines
(`time LEVEL logger message`), and they are written only while the `smsproxy.access`
logger is enabled for INFO.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TextIO

from proxy.telemetry.records import RequestRecord

FLUSH_SECONDS = 0.25
MAX_BATCH = 512
NAME = "smsproxy.access"
# one %-format, not an f-string: 15 % less per line (%03d truncates the milliseconds)
REQUEST_LINE = (
    f"%s,%03d INFO {NAME} request_id=%s dialect=%s action=%s result=%s status=%d "
    "duration_ms=%.2f upstream_calls=%d\n"
)


class AccessLog:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream  # None: the process's stderr when a batch is written
        self._lines: list[str] = []
        self._timer: asyncio.TimerHandle | None = None
        self._writer: ThreadPoolExecutor | None = None
        self._second = -1
        self._stamp = ""
        self._logger = logging.getLogger(NAME)

    def add(self, message: str, at: float | None = None) -> None:
        """A line stamped `at` (a `time.time()`), or now."""
        if not self._logger.isEnabledFor(logging.INFO):
            return
        self._lines.append(f"{self._prefix(time.time() if at is None else at)} {message}\n")
        self._queued()

    def requests(self, served: Iterable[RequestRecord], wall_offset: float) -> None:
        """Client requests' lines, each stamped with its own end (perf_counter plus
        `wall_offset`), formatted in one loop (proxy/telemetry/served.py batches them)."""
        if not self._logger.isEnabledFor(logging.INFO):
            return
        append = self._lines.append
        for request_id, note, status, started, ended, upstream in served:
            at = ended + wall_offset
            second = int(at)
            if second != self._second:  # _prefix, inlined: this loop runs per request
                self._restamp(second)
            append(
                REQUEST_LINE
                % (
                    self._stamp,
                    (at - second) * 1000,
                    request_id,
                    note["dialect"],
                    note["action"],
                    note["result"],
                    status,
                    (ended - started) * 1000,
                    upstream,
                )
            )
        self._queued()

    def _prefix(self, now: float) -> str:
        second = int(now)
        if second != self._second:
            self._restamp(second)
        return f"{self._stamp},{int((now - second) * 1000):03d} INFO {NAME}"

    def _restamp(self, second: int) -> None:
        self._second = second
        self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))

    def _queued(self) -> None:
        if len(self._lines) >= MAX_BATCH:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._lines:
            return
        batch = "".join(self._lines)
        self._lines.clear()
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="access-log")
        self._writer.submit(self._write, batch)

    def _write(self, batch: str) -> None:
        stream = self._stream or sys.stderr
        try:
            stream.write(batch)
            stream.flush()
        except (OSError, ValueError):  # stderr closed or gone: nothing else to tell it to
            pass

    def close(self) -> None:
        """Write what is pending and wait for it."""
        self.flush()
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
