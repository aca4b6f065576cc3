"""Work the proxy runs in the background never fails unobserved: a shared read whose
callers all gave up still has its failure consumed, counted and logged in one line."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest

from .fakes import world

CLIENT_KEY = "client-key-passed-through"


async def test_a_shared_read_nobody_awaits_any_more_fails_observed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    w = world()
    w.vendor.holding = asyncio.Event()
    clients = w.service.clients
    tenant = await clients.tenant(CLIENT_KEY)
    caplog.set_level(logging.WARNING)
    reading = asyncio.ensure_future(clients.balance(tenant))
    await w.vendor.held.wait()  # the vendor has the read and is slow
    reading.cancel()  # the client gives up
    with pytest.raises(asyncio.CancelledError):
        await reading
    w.vendor.holding.set()  # the vendor answers at last: a 502
    for _ in range(100):  # a condition polled by yielding: the shared read has ended
        if w.service.cache_stats.failures["balance"]:
            break
        await asyncio.sleep(0)
    gc.collect()  # an unretrieved exception is reported when its task is collected
    assert w.service.cache_stats.failures["balance"] == 1
    lines = [(r.name, r.levelname, r.getMessage(), r.exc_info) for r in caplog.records]
    assert lines == [("smsproxy.tasks", "WARNING", "balance failed: UpstreamUnavailable", None)]
    assert w.vendor.count("balance") == 1
