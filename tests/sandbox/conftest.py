"""A real sandbox on a loopback port, with a frozen clock, and a client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer

from proxy.sandbox import SandboxClock, SandboxConfig, create_app

DEMO = "sk_sandbox_demo"


class Sandbox:
    def __init__(
        self, base: str, http: httpx.AsyncClient, clock: SandboxClock, api: str | None = None
    ) -> None:
        self.base = base  # the sandbox: its control API lives here
        self.api = api or base  # where vendor calls go (a proxy in front of it, say)
        self.http = http
        self.clock = clock

    async def call(
        self, method: str, path: str, body: Any = None, key: str | None = DEMO, **kw: Any
    ) -> httpx.Response:
        headers = {"Auth": key} if key is not None else {}
        return await self.http.request(
            method, self.api + "/api/v1" + path, json=body, headers=headers, **kw
        )

    async def post(
        self, path: str, body: Any = None, key: str | None = DEMO, **kw: Any
    ) -> httpx.Response:
        return await self.call("POST", path, body, key, **kw)

    async def get(self, path: str, key: str | None = DEMO, **kw: Any) -> httpx.Response:
        return await self.call("GET", path, None, key, **kw)

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        r = await self.http.request(method, self.base + "/_sandbox" + path, json=body)
        assert r.status_code == 200, r.text
        return r.json()

    async def legacy(self, **params: str) -> httpx.Response:
        params.setdefault("api_key", DEMO)
        return await self.http.get(self.base + "/stubs/handler_api.php", params=params)

    async def rent(self, key: str = DEMO, **body: Any) -> dict[str, Any]:
        body.setdefault("service", "whatsapp")
        r = await self.post("/rent-a-number", body, key)
        assert r.status_code == 201, r.text
        await self.tick(1)  # leave the 2 req/s window so the next rent is not throttled
        data: dict[str, Any] = r.json()
        return data

    async def sms(self, rental_id: int, code: str = "123456", **extra: Any) -> Any:
        return await self.control("POST", "/sms", {"rental_id": rental_id, "code": code, **extra})

    async def tick(self, seconds: float) -> None:
        await self.control("POST", "/clock", {"advance_seconds": seconds})

    async def account(self, **fields: Any) -> None:
        await self.control("POST", "/accounts", fields)

    async def balance(self, key: str = DEMO) -> str:
        return str((await self.get("/balance", key)).json()["balance"])


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    clock = SandboxClock(frozen=True)
    server = TestServer(create_app(SandboxConfig(seed=7), clock), host="127.0.0.1")
    await server.start_server()
    async with httpx.AsyncClient(timeout=10) as http:
        yield Sandbox(str(server.make_url("")).rstrip("/"), http, clock)
    await server.close()
