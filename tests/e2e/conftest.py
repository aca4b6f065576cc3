"""Proxy and sandbox as real HTTP servers on loopback, with clocks the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer

from proxy import config
from proxy.app import build_app
from proxy.local.clock import ManualClock
from proxy.sandbox import SandboxClock, SandboxConfig, create_app
from proxy.service.identity import key_webhook_path

DEMO = "sk_sandbox_demo"


def hook_path(webhook_secret: str, key: str = DEMO, fingerprint_secret: str = "test") -> str:
    """The webhook path of a passed-through key (start_world's fingerprint secret)."""
    return key_webhook_path(webhook_secret, fingerprint_secret.encode(), key)


class World:
    def __init__(
        self,
        proxy: str,
        sandbox: str,
        http: httpx.AsyncClient,
        clock: ManualClock,
        sandbox_clock: SandboxClock,
    ) -> None:
        self.proxy = proxy
        self.sandbox = sandbox
        self.http = http
        self.clock = clock
        self.sandbox_clock = sandbox_clock

    async def sa(
        self, path: str = "/stubs/handler_api.php", key: str | None = DEMO, **params: str
    ) -> httpx.Response:
        if key is not None:
            params["api_key"] = key
        r = await self.http.get(self.proxy + path, params=params)
        assert r.status_code == 200
        return r

    async def text(self, key: str | None = DEMO, **params: str) -> str:
        r = await self.sa(key=key, **params)
        assert r.headers["Content-Type"].startswith("text/"), r.headers["Content-Type"]
        assert r.text == r.text.strip()
        return r.text

    async def gat(self, key: str | None = DEMO, **params: str) -> str:
        r = await self.sa("/getatext/stubs/handler_api.php", key=key, **params)
        return r.text

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        r = await self.http.request(method, self.sandbox + "/_sandbox" + path, json=body)
        assert r.status_code == 200, r.text
        return r.json()

    async def tick(self, seconds: float) -> None:
        """Move both clocks: the vendor's and the proxy's."""
        self.clock.advance(seconds)
        await self.control("POST", "/clock", {"advance_seconds": seconds})

    async def sms(self, number: str, code: str) -> None:
        await self.control("POST", "/sms", {"number": number, "code": code})

    async def rent(self, service: str = "wa") -> tuple[str, str]:
        """getNumber through the proxy; returns (id, 10-digit number)."""
        answer = await self.text(action="getNumber", service=service, country="187")
        token, activation_id, phone = answer.split(":")
        assert token == "ACCESS_NUMBER", answer
        await self.tick(1)  # leave the vendor's 2 req/s window
        return activation_id, phone[1:]

    async def stats(self) -> Any:
        return await self.control("GET", "/stats")


async def start_world(tmp_path: Path, **settings: Any) -> AsyncIterator[World]:
    sandbox_clock = SandboxClock(frozen=True)
    sandbox = TestServer(create_app(SandboxConfig(seed=7), sandbox_clock), host="127.0.0.1")
    await sandbox.start_server()
    sandbox_url = str(sandbox.make_url("")).rstrip("/")
    clock = ManualClock(sandbox_clock.now())
    values = {
        "upstream_url": sandbox_url,
        "data_dir": tmp_path / "var",
        "secret": "test",
        "poll_interval_seconds": 1.0,
        "pacing_enabled": False,  # pacing has its own tests; the rest need no real waits
        **settings,
    }
    app = build_app(config.load(env={}, **values), clock=clock)
    proxy = TestServer(app, host="127.0.0.1")
    await proxy.start_server()
    async with httpx.AsyncClient(timeout=10) as http:
        yield World(str(proxy.make_url("")).rstrip("/"), sandbox_url, http, clock, sandbox_clock)
    await proxy.close()
    await sandbox.close()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for w in start_world(tmp_path):
        yield w
