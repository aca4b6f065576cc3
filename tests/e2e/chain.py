"""Two proxies in a chain: proxy A routes to a vendor kind, proxy B (a second smsproxy in
front of its own sandbox) speaks that vendor's dialect: a faithful stand-in for each
vendor whose protocol smsproxy serves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from aiohttp.test_utils import TestServer

from proxy import config
from proxy.config.routing import ProviderConfig, TenantConfig
from proxy.local.clock import ManualClock
from proxy.sandbox import SandboxClock

CLIENT = "client-key-handler"
DEMO = "sk_sandbox_demo"
ENV = {"VENDOR_KEY": DEMO, "CLIENT_KEY": CLIENT}


@dataclass
class Chain:
    proxy: str
    vendor: str  # the sandbox at the end of the chain
    http: httpx.AsyncClient
    flavour: str = ""
    inner: str = ""  # the SMS-Activate server's handler, when there is one
    clock: ManualClock | None = None  # the proxy's
    others: tuple[ManualClock | SandboxClock, ...] = ()  # B's and the sandbox's

    def advance(self, seconds: float) -> None:
        """Every clock of the chain moves on together."""
        for clock in (self.clock, *self.others):
            if clock is not None:
                clock.advance(seconds)

    async def ask(self, **params: str) -> str:
        url = self.proxy + "/stubs/handler_api.php"
        return (await self.http.get(url, params={"api_key": CLIENT, **params})).text

    async def metric(self, series: str) -> float:
        text = (await self.http.get(self.proxy + "/metrics")).text
        found = [ln for ln in text.splitlines() if ln.startswith(series + " ")]
        return float(found[0].split()[-1]) if found else 0.0

    async def sms(self, number: str, code: str) -> None:
        r = await self.http.post(
            self.vendor + "/_sandbox/sms", json={"number": number, "code": code}
        )
        assert r.status_code == 200, r.text

    async def rentals(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (
            await self.http.get(self.vendor + "/_sandbox/rentals")
        ).json()["rentals"]
        return rows


def settings(
    data: Path, *providers: ProviderConfig, client_env: str = "CLIENT_KEY", **extra: Any
) -> config.Settings:
    return config.load(
        env={},
        data_dir=data,
        secret="handler",
        pacing_enabled=False,
        poll_interval_seconds=0.0,
        providers=providers,
        tenants=(TenantConfig(key_env=client_env),),
        **extra,
    )


def vendor_stand_in(sandbox_url: str, tmp_path: Path) -> config.Settings:
    """A second smsproxy in front of a sandbox: it speaks every vendor dialect it serves."""
    return config.load(
        env={},
        upstream_url=sandbox_url,
        data_dir=tmp_path / "inner",
        secret="inner",
        pacing_enabled=False,
        poll_interval_seconds=0.0,
    )


async def serve(app: Any) -> TestServer:
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server
