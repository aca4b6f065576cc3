"""The shipped dashboard shows data: a real Prometheus scrapes a proxy under a scripted
load, then every PromQL expression of the dashboard must return at least one series."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer

from proxy import config
from proxy.app import build_app
from proxy.config.routing import ProviderConfig
from proxy.sandbox import SandboxClock, SandboxConfig, create_app

from ..test_dashboard import expressions
from .conftest import hook_path
from .test_durability import free_port

HANDLER = "/stubs/handler_api.php"
SECRET = "prom-hook"
ADMIN_TOKEN = "prom-admin"


@pytest.fixture
async def loaded_proxy(tmp_path: Path) -> AsyncIterator[list[str]]:
    """Two proxies under load: one passing keys through, one issuing them (tenants)."""
    sandbox = TestServer(
        create_app(SandboxConfig(seed=9, cancel_lock_seconds=0), SandboxClock(frozen=False)),
        host="127.0.0.1",
    )
    await sandbox.start_server()
    sb = str(sandbox.make_url("")).rstrip("/")
    app = build_app(
        config.load(
            env={},
            upstream_url=sb,
            data_dir=tmp_path / "var",
            secret="p",
            cancel_lock_seconds=0,
            webhook_secret=SECRET,
            poll_interval_seconds=0.2,
        )
    )
    proxy = TestServer(app, host="127.0.0.1")
    await proxy.start_server()
    base = str(proxy.make_url("")).rstrip("/")
    managed = TestServer(
        build_app(
            config.load(
                env={},
                data_dir=tmp_path / "managed",
                secret="m",
                managed_keys=True,
                admin_token=ADMIN_TOKEN,
                providers=(ProviderConfig("alpha", "getatext", sb, "VENDOR"),),
            ),
            env={"VENDOR": "sk_sandbox_demo"},
        ),
        host="127.0.0.1",
    )
    await managed.start_server()
    tenants = str(managed.make_url("")).rstrip("/")
    async with httpx.AsyncClient(timeout=30) as http:
        await scripted_load(http, base, sb)
        await tenant_load(http, tenants)
    yield [base, tenants]
    await managed.close()
    await proxy.close()
    await sandbox.close()


async def scripted_load(http: httpx.AsyncClient, base: str, sb: str) -> None:
    async def sa(**params: str) -> str:
        r = await http.get(base + HANDLER, params={"api_key": "sk_sandbox_demo", **params})
        return r.text

    await http.post(
        sb + "/_sandbox/accounts",
        json={
            "api_key": "sk_sandbox_demo",
            "webhook_url": base + hook_path(SECRET, fingerprint_secret="p"),
        },
    )
    # a paced burst of purchases
    bought = await asyncio.gather(*(sa(action="getNumber", service=s) for s in ("wa", "tg", "ig")))
    ids = [b.split(":")[1] for b in bought]
    # polls, coalesced; an unknown id (an error class); cache hits on prices
    await asyncio.gather(*(sa(action="getStatus", id=ids[1]) for _ in range(5)))
    assert await sa(action="getStatus", id="999") == "NO_ACTIVATION"
    for _ in range(3):
        await sa(action="getPrices", service="wa")
    # a code by webhook, a cancel, a finish
    await http.post(
        sb + "/_sandbox/sms", json={"number": bought[0].split(":")[2][1:], "code": "123456"}
    )
    await http.post(sb + "/_sandbox/webhooks/drain")
    assert await sa(action="getStatus", id=ids[0]) == "STATUS_OK:123456"
    assert await sa(action="setStatus", id=ids[0], status="6") == "ACCESS_ACTIVATION"
    assert await sa(action="setStatus", id=ids[2], status="8") == "ACCESS_CANCEL"
    # a failed multi-service combination, then its negative hit
    await http.put(
        sb + "/_sandbox/services",
        json=[
            {"api_name": "whatsapp", "price": 0.5, "stock": 5},
            {"api_name": "telegram", "price": 0.5, "stock": 0},
        ],
    )
    for _ in range(2):
        assert await sa(action="getMultiServiceNumber", multiService="wa,tg") == "NO_NUMBERS"
    await sa(action="getBalance")


async def tenant_load(http: httpx.AsyncClient, base: str) -> None:
    """An issued key with a budget for one number: one bought, one refused."""
    made = await http.post(
        base + "/admin/keys",
        json={"tenant": "fleet", "daily_budget": "0.60", "webhook_url": "http://127.0.0.1:9/"},
        headers={"X-Admin-Token": ADMIN_TOKEN},
    )
    key = made.json()["key"]
    for expected in ("ACCESS_NUMBER:", "NO_BALANCE"):
        r = await http.get(
            base + HANDLER, params={"api_key": key, "action": "getNumber", "service": "wa"}
        )
        assert r.text.startswith(expected), r.text


def prometheus_binary() -> str:
    found = shutil.which("prometheus")
    assert found, "prometheus is not installed; .ci/run installs Debian's package"
    return found


@pytest.fixture
async def prometheus(loaded_proxy: list[str], tmp_path: Path) -> AsyncIterator[str]:
    port = free_port()
    targets = [base.removeprefix("http://") for base in loaded_proxy]
    cfg = tmp_path / "prometheus.yml"
    cfg.write_text(
        json.dumps(
            {  # JSON is YAML
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "scrape_configs": [
                    {"job_name": "smsproxy", "static_configs": [{"targets": targets}]}
                ],
            }
        )
    )
    proc = subprocess.Popen(
        [
            prometheus_binary(),
            f"--config.file={cfg}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(20)


async def query(http: httpx.AsyncClient, prom: str, expr: str) -> list[Any]:
    r = await http.get(prom + "/api/v1/query", params={"query": expr})
    body = r.json()
    assert body.get("status") == "success", (expr, body)
    result: list[Any] = body["data"]["result"]
    return result


async def test_every_dashboard_expression_returns_series(prometheus: str) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        # Prometheus scrapes on its own schedule: wait (bounded) until it has three samples
        for _ in range(120):
            try:
                samples = await query(http, prometheus, "count_over_time(smsproxy_build_info[5m])")
            except (httpx.TransportError, AssertionError, ValueError):  # still starting
                samples = []
            if len(samples) == 2 and all(float(s["value"][1]) >= 3 for s in samples):
                break
            await asyncio.sleep(0.5)
        else:
            pytest.fail("Prometheus never scraped the proxy three times")
        failures = []
        for expr in expressions():
            concrete = (
                expr.replace("$__rate_interval", "1m")
                .replace("$instance", ".*")
                .replace("$provider", ".*")
            )
            if not await query(http, prometheus, concrete):
                failures.append(expr)
        assert not failures, "dashboard expressions without data:\n" + "\n".join(failures)
