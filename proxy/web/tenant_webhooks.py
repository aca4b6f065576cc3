"""Deliveries to tenants' webhooks over HTTP: one aiohttp session, a short timeout, no
redirects followed (a 3xx is not a delivery)."""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp

TIMEOUT_SECONDS = 5.0
CONNECTIONS = 64


class HttpSender:
    def __init__(self, timeout: float = TIMEOUT_SECONDS) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """The receiver's status; `OSError`, `aiohttp.ClientError` or `TimeoutError` when
        there was none."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, connector=aiohttp.TCPConnector(limit=CONNECTIONS)
            )
        async with self._session.post(
            url, data=body, headers=dict(headers), allow_redirects=False
        ) as answer:
            await answer.read()
            return answer.status

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
