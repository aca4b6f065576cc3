"""A probe of the event loop: how late a timer fires is how long something held the loop.

Four times a second the probe asks to wake after 250 ms and records how much later than
that it woke (`smsproxy_event_loop_lag_seconds`). Anything that blocks the loop (a
synchronous query, a big JSON body, a full GC) shows here before it shows anywhere else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

PERIOD_SECONDS = 0.25


async def probe(record: Callable[[float], None]) -> None:
    loop = asyncio.get_running_loop()
    while True:
        asked = loop.time() + PERIOD_SECONDS
        await asyncio.sleep(PERIOD_SECONDS)
        record(max(0.0, loop.time() - asked))
