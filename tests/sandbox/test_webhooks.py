"""Webhooks: the documented body reaches a real receiver; failures never hurt the sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from .conftest import Sandbox


class Receiver:
    def __init__(self) -> None:
        self.bodies: asyncio.Queue[Any] = asyncio.Queue()
        self.status = 200
        self.url = ""


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()

    async def hook(request: web.Request) -> web.Response:
        await rec.bodies.put(await request.json())
        return web.Response(status=rec.status)

    app = web.Application()
    app.router.add_post("/hook", hook)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    rec.url = str(server.make_url("/hook"))
    yield rec
    await server.close()


async def test_webhook_body_on_sms(sandbox: Sandbox, receiver: Receiver) -> None:
    await sandbox.account(api_key="sk_sandbox_demo", webhook_url=receiver.url)
    rental = await sandbox.rent()
    await sandbox.sms(rental["id"], "654321")
    body = await asyncio.wait_for(receiver.bodies.get(), 5)
    assert body == {
        "id": rental["id"],
        "code": 654321,
        "received_at": "2026-01-05 12:00:01",
        "end_time": rental["end_time"],
        "number": rental["number"],
        "service_name": "Whatsapp",
        "status": "active",
        "cost": "0.55",
    }
    assert list(body) == [
        "id",
        "code",
        "received_at",
        "end_time",  # getatext-api.txt's webhook example carries it
        "number",
        "service_name",
        "status",
        "cost",
    ]


async def test_failing_webhooks_are_counted_not_fatal(sandbox: Sandbox, receiver: Receiver) -> None:
    receiver.status = 500
    await sandbox.account(api_key="sk_sandbox_demo", webhook_url=receiver.url)
    rental = await sandbox.rent()
    await sandbox.sms(rental["id"], "111111")
    await sandbox.control("POST", "/webhooks/drain")
    # an unreachable URL: connection refused
    await sandbox.account(api_key="sk_sandbox_demo", webhook_url="http://127.0.0.1:9/none")
    other = await sandbox.rent(service="telegram")
    await sandbox.sms(other["id"], "222222")
    await sandbox.control("POST", "/webhooks/drain")
    stats = await sandbox.control("GET", "/stats")
    assert stats["webhooks"] == {"sent": 0, "failed": 2}
    assert (await sandbox.post("/rental-status", {"id": other["id"]})).json()["code"] == "222222"


async def test_no_webhook_without_url(sandbox: Sandbox) -> None:
    rental = await sandbox.rent()
    await sandbox.sms(rental["id"])
    assert (await sandbox.control("POST", "/webhooks/drain")) == {"drained": 0}
