"""Limits decided once for a fleet: three replicas (in this process, real HTTP servers)
on one PostgreSQL schema and the machine's Redis, one sandbox vendor, keys issued over
the admin API of one replica. A tenant's rate holds over all three; a revoked key is
refused by every replica within a second (pushed: the replicas do not poll for it)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from aiohttp.test_utils import TestServer

from proxy import config
from proxy.app import build_app
from proxy.config.routing import ProviderConfig
from proxy.sandbox import SandboxClock, SandboxConfig, create_app

from ..backends import POSTGRES_URL, pg_schema

REDIS_URL = "redis://127.0.0.1:6379/0"
ADMIN = {"X-Admin-Token": "adm_fleet_limits"}
VENDOR_KEY = "sk_sandbox_demo"
HANDLER = "/stubs/handler_api.php"
PUSHED_WITHIN = 1.0  # seconds: the bound for a revocation on every replica


@dataclass
class Replicas:
    bases: list[str]
    vendor: str
    http: httpx.AsyncClient

    async def key(self, **policy: Any) -> dict[str, Any]:
        made = await self.http.post(self.bases[0] + "/admin/keys", json=policy, headers=ADMIN)
        assert made.status_code == 201, made.text
        return dict(made.json())

    async def sa(self, replica: int, key: str, **params: str) -> str:
        base = self.bases[replica % len(self.bases)]
        r = await self.http.get(base + HANDLER, params={"api_key": key, **params})
        return r.text


@asynccontextmanager
async def replicas(tmp_path: Path, count: int = 3) -> AsyncIterator[Replicas]:
    vendor = TestServer(
        create_app(SandboxConfig(seed=31), SandboxClock(frozen=False)), host="127.0.0.1"
    )
    await vendor.start_server()
    vendor_url = str(vendor.make_url("")).rstrip("/")
    servers: list[TestServer] = []
    async with pg_schema() as schema:
        values = {
            "secret": "fleet-limits",
            "managed_keys": True,
            "admin_token": ADMIN["X-Admin-Token"],
            "store": "postgres",
            "postgres_url": POSTGRES_URL,
            "postgres_schema": schema,
            "coordination": "redis",
            "redis_url": REDIS_URL,
            "redis_prefix": f"limits-{uuid.uuid4().hex[:8]}",
            "replicas": count,
            "providers": (ProviderConfig("alpha", "getatext", vendor_url, "VENDOR"),),
        }
        try:
            for i in range(count):
                settings = config.load(env={}, data_dir=tmp_path / f"replica-{i}", **values)
                server = TestServer(build_app(settings, None, {"VENDOR": VENDOR_KEY}))
                await server.start_server()
                servers.append(server)
            async with httpx.AsyncClient(timeout=20) as http:
                bases = [str(s.make_url("")).rstrip("/") for s in servers]
                yield Replicas(bases, vendor_url, http)
        finally:
            for server in servers:
                await server.close()
            await vendor.close()


async def until(check: Callable[[], Awaitable[bool]], limit: float = 10.0) -> float:
    """Seconds until `check()` holds, asked again as soon as it answers."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < limit, "never happened"
    return time.monotonic() - started


async def known_everywhere(fleet: Replicas, key: str) -> bool:
    """Every replica takes the key."""
    answers = [await fleet.sa(i, key, action="getBalance") for i in range(3)]
    return "BAD_KEY" not in answers


async def test_a_tenants_rate_holds_over_three_replicas(tmp_path: Path) -> None:
    async with replicas(tmp_path) as fleet:
        key = (await fleet.key(tenant="paced", rate_per_second=1))["key"]
        # a later key known everywhere: so is this one (keys are read all at once), and
        # its bucket is still full
        probe = (await fleet.key(tenant="probe"))["key"]
        await until(lambda: known_everywhere(fleet, probe))
        answers = await asyncio.gather(
            *(fleet.sa(i, key, action="getNumber", service="wa") for i in range(9))
        )
        sold = [a for a in answers if a.startswith("ACCESS_NUMBER:")]
        assert len(sold) == 1, answers  # one purchase in that second, not one per replica
        assert sorted(set(answers) - set(sold)) == ["NO_NUMBERS"]  # SMS-Activate's try again
        rentals = (await fleet.http.get(fleet.vendor + "/_sandbox/rentals")).json()["rentals"]
        assert len(rentals) == 1


async def test_a_revoked_key_is_refused_by_every_replica_within_a_second(
    tmp_path: Path,
) -> None:
    async with replicas(tmp_path) as fleet:
        made = await fleet.key(tenant="leaving")
        key = made["key"]

        async def everywhere(answer: str) -> bool:
            answers = [await fleet.sa(i, key, action="getBalance") for i in range(3)]
            return answers == [answer] * 3

        # a new key reaches every replica the same way
        await until(lambda: everywhere("ACCESS_BALANCE:0.00"), PUSHED_WITHIN)
        revoked = await fleet.http.delete(
            fleet.bases[0] + f"/admin/keys/{made['id']}", headers=ADMIN
        )
        assert revoked.status_code == 200, revoked.text
        assert await until(lambda: everywhere("BAD_KEY"), PUSHED_WITHIN) < PUSHED_WITHIN
