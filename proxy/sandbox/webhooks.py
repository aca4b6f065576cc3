"""Webhook delivery: fire and forget, never allowed to break the sandbox."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from .stats import Stats

log = logging.getLogger("smsproxy.sandbox.webhooks")


class WebhookSender:
    def __init__(self, stats: Stats, timeout: float) -> None:
        self._stats = stats
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def fire(self, url: str, payload: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._post(url, payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, url: str, payload: dict[str, Any]) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.post(url, json=payload) as response:
                await response.read()
                ok = response.status < 400
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("webhook delivery failed: %s", type(exc).__name__)
            ok = False
        if ok:
            self._stats.webhooks_sent += 1
        else:
            self._stats.webhooks_failed += 1

    async def drain(self) -> int:
        """Wait for every delivery under way; returns how many there were."""
        pending = list(self._tasks)
        await asyncio.gather(*pending, return_exceptions=True)
        return len(pending)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
