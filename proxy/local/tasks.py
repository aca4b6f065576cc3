"""Work started in the background, whose outcome nobody may be left to await (a client
that gave up on a shared read, a refresh behind an answer, a publish to Redis): its
failure is consumed (never "Task exception was never retrieved"), counted by the name of
the work and logged in one line. A domain error is the vendor's or the store's, already
answered to whoever waited; anything else is a bug and keeps its traceback."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from proxy.errors import DomainError

log = logging.getLogger("smsproxy.tasks")


def watched(
    task: asyncio.Future[Any],
    name: str,
    failures: Counter[str] | None = None,
    awaited: Callable[[], bool] | None = None,
) -> asyncio.Future[Any]:
    """`task`, its failure consumed, and counted under `name` and logged unless
    `awaited()` says a caller is still waiting for it (that caller answers it)."""

    def done(finished: asyncio.Future[Any]) -> None:
        if finished.cancelled():
            return
        error = finished.exception()
        if error is None or (awaited is not None and awaited()):
            return
        if failures is not None:
            failures[name] += 1
        if isinstance(error, DomainError):
            log.warning("%s failed: %s", name, type(error).__name__)
        else:
            log.error("%s failed", name, exc_info=error)

    task.add_done_callback(done)
    return task
