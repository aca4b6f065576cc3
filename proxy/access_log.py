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
from concurrent.futures import ThreadPoolExecutor
from typing import TextIO

FLUSH_SECONDS = 0.25
MAX_BATCH = 512
NAME = "smsproxy.access"


class AccessLog:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream  # None: the process's stderr when a batch is written
        self._lines: list[str] = []
        self._timer: asyncio.TimerHandle | None = None
        self._writer: ThreadPoolExecutor | None = None
        self._second = -1
        self._stamp = ""
        self._logger = logging.getLogger(NAME)

    def add(self, message: str) -> None:
        if not self._logger.isEnabledFor(logging.INFO):
            return
        self._lines.append(f"{self._prefix()} {message}\n")
        self._queued()

    def request(
        self,
        request_id: str,
        note: dict[str, str],
        status: int,
        seconds: float,
        upstream: int,
    ) -> None:
        """A client request's line, formatted in one step (the hot path of every request)."""
        if not self._logger.isEnabledFor(logging.INFO):
            return
        self._lines.append(
            f"{self._prefix()} request_id={request_id} dialect={note['dialect']} "
            f"action={note['action']} result={note['result']} status={status} "
            f"duration_ms={seconds * 1000:.2f} upstream_calls={upstream}\n"
        )
        self._queued()

    def _prefix(self) -> str:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
        return f"{self._stamp},{int((now - second) * 1000):03d} INFO {NAME}"

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
