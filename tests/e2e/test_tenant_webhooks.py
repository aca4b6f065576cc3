"""Codes out to a tenant's own webhook: a real aiohttp receiver, the proxy restarted
while the receiver is down, every code delivered once and signed."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web
from aiohttp.test_utils import TestServer

from proxy import config
from proxy.app import build_app
from proxy.config.routing import ProviderConfig
from proxy.local.clock import ManualClock
from proxy.sandbox import SandboxClock, SandboxConfig, create_app

from .test_budgets import ADMIN, VENDOR_KEY, until


class Receiver:
    """A tool's webhook endpoint: answers 200 when up, 503 when down; keeps what came."""

    def __init__(self) -> None:
        self.up = True
        self.got: list[tuple[dict[str, str], bytes]] = []
        app = web.Application()
        app.router.add_post("/hook", self.hook)
        self.server = TestServer(app, host="127.0.0.1")

    async def hook(self, request: web.Request) -> web.Response:
        if not self.up:
            return web.Response(status=503)
        self.got.append((dict(request.headers), await request.read()))
        return web.Response(text="ok")

    @property
    def url(self) -> str:
        return str(self.server.make_url("/hook"))


def signed(secret: str, headers: dict[str, str], body: bytes) -> bool:
    parts = dict(p.split("=", 1) for p in headers["X-Smsproxy-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])


async def test_a_tenant_gets_each_code_once_signed_across_a_restart(tmp_path: Path) -> None:
    receiver = Receiver()
    await receiver.server.start_server()
    sandbox_clock = SandboxClock(frozen=True)
    vendor = TestServer(create_app(SandboxConfig(seed=5), sandbox_clock), host="127.0.0.1")
    await vendor.start_server()
    vendor_url = str(vendor.make_url("")).rstrip("/")
    clock = ManualClock(sandbox_clock.now())
    settings = config.load(
        env={},
        data_dir=tmp_path / "data",
        secret="hooks-out",
        managed_keys=True,
        admin_token=ADMIN["X-Admin-Token"],
        pacing_enabled=False,
        providers=(ProviderConfig("alpha", "getatext", vendor_url, "VENDOR"),),
    )

    async def start() -> TestServer:
        proxy = TestServer(build_app(settings, clock, {"VENDOR": VENDOR_KEY}), host="127.0.0.1")
        await proxy.start_server()
        return proxy

    async def vendor_call(path: str, body: Any) -> None:
        r = await http.post(vendor_url + "/_sandbox" + path, json=body)
        assert r.status_code == 200, r.text

    proxy = await start()
    try:
        async with httpx.AsyncClient(timeout=20) as http:
            base = str(proxy.make_url("")).rstrip("/")
            made = await http.post(
                base + "/admin/keys",
                json={"tenant": "hooked", "webhook_url": receiver.url},
                headers=ADMIN,
            )
            assert made.status_code == 201, made.text
            key, secret = made.json()["key"], made.json()["webhook_secret"]

            async def sa(**params: str) -> str:
                r = await http.get(
                    base + "/stubs/handler_api.php", params={"api_key": key, **params}
                )
                return r.text

            _, first, phone = (await sa(action="getNumber", service="wa")).split(":")
            await vendor_call("/clock", {"advance_seconds": 3})
            clock.advance(3)  # past the vendor's rate window and the proxy's poll interval
            await vendor_call("/sms", {"number": phone[1:], "code": "11111"})
            assert await sa(action="getStatus", id=first) == "STATUS_OK:11111"

            async def delivered(count: int) -> bool:
                return len(receiver.got) >= count

            await until(lambda: delivered(1))
            headers, body = receiver.got[0]
            assert signed(secret, headers, body)
            assert json.loads(body) == {
                "activationId": int(first),
                "service": "wa",
                "text": "11111",
                "code": "11111",
                "country": 187,
                "receivedAt": json.loads(body)["receivedAt"],
            }
            assert await sa(action="getStatus", id=first) == "STATUS_OK:11111"  # no repeat

            receiver.up = False  # the tool's endpoint goes down for a while
            _, second, phone = (await sa(action="getNumber", service="wa")).split(":")
            await vendor_call("/clock", {"advance_seconds": 3})
            clock.advance(3)
            await vendor_call("/sms", {"number": phone[1:], "code": "22222"})
            assert await sa(action="getStatus", id=second) == "STATUS_OK:22222"
            await proxy.close()  # and the proxy restarts meanwhile
            proxy = await start()
            base = str(proxy.make_url("")).rstrip("/")
            receiver.up = True
            clock.advance(60)  # past the retry's backoff

            await until(lambda: delivered(2))
            headers, body = receiver.got[1]
            assert signed(secret, headers, body)
            assert json.loads(body)["activationId"] == int(second)
            assert json.loads(body)["code"] == "22222"
            clock.advance(3600)
            assert await sa(action="getStatus", id=second) == "STATUS_OK:22222"
            metrics = (await http.get(base + "/metrics")).text
            assert "smsproxy_tenant_webhooks_pending 0.0" in metrics
            assert [json.loads(b)["code"] for _, b in receiver.got] == ["11111", "22222"]
            ids = [h["X-Smsproxy-Delivery"] for h, _ in receiver.got]
            assert len(set(ids)) == 2
    finally:
        await proxy.close()
        await vendor.close()
        await receiver.server.close()
