"""Three `smsproxy serve` processes on one PostgreSQL and one Redis behave as one proxy:
clients spread round-robin, the vendor (a sandbox on the real clock) as the judge.
PostgreSQL is the machine's (a schema of the test's own); Redis is a server the test
starts, so that it can stop it mid-burst."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiohttp.test_utils import TestServer

from proxy.fleet.pacer import HEARTBEAT_SECONDS
from proxy.sandbox import SandboxClock, SandboxConfig, create_app
from proxy.store.postgres import PostgresStore

from ..backends import POSTGRES_URL, pg_schema
from ..redis_server import RedisServer
from .test_durability import ProxyProcess
from .test_routing_example import ROOT

KEY = "sk_sandbox_demo"
HANDLER = "/stubs/handler_api.php"


class Fleet:
    def __init__(
        self, vendor: str, replicas: list[ProxyProcess], schema: str, clock: SandboxClock
    ) -> None:
        self.vendor, self.replicas, self.schema = vendor, replicas, schema
        self.clock = clock  # the vendor's

    async def sa(self, http: httpx.AsyncClient, replica: int, **params: str) -> str:
        url = self.replicas[replica % len(self.replicas)].url
        r = await http.get(url, params={"api_key": KEY, **params})
        return r.text

    async def vendor_stats(self, http: httpx.AsyncClient) -> dict[str, Any]:
        return dict((await http.get(self.vendor + "/_sandbox/stats")).json())

    async def vendor_rentals(self, http: httpx.AsyncClient) -> list[dict[str, Any]]:
        return list((await http.get(self.vendor + "/_sandbox/rentals")).json()["rentals"])

    async def rows(self, sql: str) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(POSTGRES_URL, server_settings={"search_path": self.schema})
        try:
            return list(await conn.fetch(sql))
        finally:
            await conn.close()


@pytest.fixture
async def redis_server() -> AsyncIterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def fleet(tmp_path: Path, redis_server: RedisServer) -> AsyncIterator[Fleet]:
    clock = SandboxClock(frozen=False)
    vendor = TestServer(
        create_app(SandboxConfig(seed=21, cancel_lock_seconds=0), clock), host="127.0.0.1"
    )
    await vendor.start_server()
    vendor_url = str(vendor.make_url("")).rstrip("/")
    prefix = f"fleet-{uuid.uuid4().hex[:8]}"  # one fleet: one prefix
    async with pg_schema() as schema:
        replicas = [
            ProxyProcess(
                vendor_url,
                tmp_path / f"replica-{i}",
                store="postgres",
                postgres_url=POSTGRES_URL,
                postgres_schema=schema,
                coordination="redis",
                redis_url=redis_server.url,
                redis_prefix=prefix,
                replicas="3",
                secret="one-fleet",
                poll_interval_seconds="1",
                pacing_max_wait_seconds="4",
            )
            for i in range(3)
        ]
        try:
            for replica in replicas:
                await replica.start()
            yield Fleet(vendor_url, replicas, schema, clock)
        finally:
            for replica in replicas:
                if replica.proc is not None and replica.proc.returncode is None:
                    await replica.stop()
            await vendor.close()


def busiest_second(stats: dict[str, Any], group: str = "rent") -> int:
    """The most calls of a limit group the vendor counted in any one-second window."""
    times = sorted(c["time"] for c in stats["counted"] if c["group"] == group)
    return max((sum(1 for u in times if t - 1.0 < u <= t) for t in times), default=0)


async def test_three_replicas_are_one_proxy(fleet: Fleet) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        # buy on one replica, read on another, cancel on the third
        _, bought, _ = (await fleet.sa(http, 0, action="getNumber", service="wa")).split(":")
        assert await fleet.sa(http, 1, action="getStatus", id=bought) == "STATUS_WAIT_CODE"
        assert await fleet.sa(http, 2, action="setStatus", id=bought, status="8") == (
            "ACCESS_CANCEL"
        )
        assert await fleet.sa(http, 0, action="getStatus", id=bought) == "STATUS_CANCEL"

        # a polling crowd spread over the three: the vendor is asked about once a second
        _, polled, _ = (await fleet.sa(http, 1, action="getNumber", service="tg")).split(":")
        before = (await fleet.vendor_stats(http))["by_endpoint"].get("rental-status", 0)
        polls = 0
        for _round in range(30):  # the crowd's own pace: 90 polls over about 3 seconds
            answers = await asyncio.gather(
                *(fleet.sa(http, r, action="getStatus", id=polled) for r in range(3))
            )
            assert set(answers) == {"STATUS_WAIT_CODE"}
            polls += 3
            await asyncio.sleep(0.1)
        asked = (await fleet.vendor_stats(http))["by_endpoint"].get("rental-status", 0) - before
        assert asked <= polls // 10, (asked, polls)  # at least a 90 % reduction

        # a burst of 100 purchases round-robin, one replica killed in the middle of it
        burst = [
            asyncio.ensure_future(fleet.sa(http, i, action="getNumber", service="wa"))
            for i in range(100)
        ]
        await asyncio.sleep(1.5)  # the burst is under way (paced: two a second at most)
        await fleet.replicas[2].kill()
        answers = await asyncio.gather(*burst, return_exceptions=True)
        sold = [a for a in answers if isinstance(a, str) and a.startswith("ACCESS_NUMBER:")]
        assert sold, answers
        stats = await fleet.vendor_stats(http)
        assert stats["throttled"] == 0  # no 429, from three replicas together
        assert busiest_second(stats) <= 2

        # nothing bought without its journal entry: every rental at the vendor is stored,
        # or belongs to an entry the killed replica left pending
        rentals = await fleet.vendor_rentals(http)
        stored = await fleet.rows("SELECT upstream_id FROM activations")
        pending = await fleet.rows("SELECT id FROM purchases WHERE state IN ('pending', 'unknown')")
        unstored = {r["id"] for r in rentals} - {r["upstream_id"] for r in stored}
        assert len(unstored) <= len(pending), (unstored, pending)
        for answer in sold:  # every number a client was given is in the shared store
            activation_id = answer.split(":")[1]
            assert await fleet.sa(http, 0, action="getStatus", id=activation_id) in (
                "STATUS_WAIT_CODE",
                "STATUS_CANCEL",
            )


async def test_a_killed_replica_costs_the_survivors_seconds_not_sales(fleet: Fleet) -> None:
    """Replica 2 dies (SIGKILL) holding turns: calls in flight, turns booked ahead.
    Its lease lapses within ALIVE_SECONDS; the survivors sell on meanwhile, within the
    vendor's limit."""
    async with httpx.AsyncClient(timeout=30) as http:
        # the vendor answers a purchase a second after it sold it: calls are in flight
        fault = {"endpoint": "rent-a-number", "answer_delay_ms": 1000}
        assert (await http.post(fleet.vendor + "/_sandbox/faults", json=fault)).status_code == 200
        stop = asyncio.Event()

        async def buyer() -> None:  # a tool buying on the survivors, round-robin
            turn = 0
            while not stop.is_set():
                await fleet.sa(http, turn % 2, action="getNumber", service="wa")
                turn += 1

        doomed = [
            asyncio.ensure_future(fleet.sa(http, 2, action="getNumber", service="wa"))
            for _ in range(6)
        ]
        buyers = [asyncio.create_task(buyer()) for _ in range(4)]
        await asyncio.sleep(1.0)  # the burst is under way: replica 2 holds turns
        killed_at = fleet.clock.now()
        await fleet.replicas[2].kill()
        await asyncio.sleep(8.0)  # the survivors' tools go on buying for 8 s
        stop.set()
        await asyncio.gather(*buyers)
        await asyncio.gather(*doomed, return_exceptions=True)
        stats = await fleet.vendor_stats(http)
        sales = sorted(c["time"] for c in stats["counted"] if c["group"] == "rent")
        after = [t for t in sales if t >= killed_at]
        gaps = [later - sooner for sooner, later in zip([killed_at, *after], after, strict=False)]
        assert len(after) >= 3 and max(gaps, default=99.0) <= 5.0, (gaps, len(after))
        assert stats["throttled"] == 0
        assert busiest_second(stats) <= 2


async def test_stopping_redis_mid_burst_never_passes_the_vendor_limit(
    fleet: Fleet, redis_server: RedisServer
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        burst = [
            asyncio.ensure_future(fleet.sa(http, i, action="getNumber", service="wa"))
            for i in range(60)
        ]
        await asyncio.sleep(1.5)
        redis_server.stop()
        later = [
            asyncio.ensure_future(fleet.sa(http, i, action="getNumber", service="tg"))
            for i in range(30)
        ]
        answers = await asyncio.gather(*burst, *later)
        assert any(a.startswith("ACCESS_NUMBER:") for a in answers)
        assert set(a.split(":")[0] for a in answers) <= {"ACCESS_NUMBER", "NO_NUMBERS"}
        sold_before = len(await fleet.vendor_rentals(http))

        async def sold_alone() -> None:
            """Once the booked slots are behind them, the replicas sell on their shares."""
            tries = 0
            while not (await fleet.sa(http, tries, action="getNumber", service="ig")).startswith(
                "ACCESS_NUMBER:"
            ):
                tries += 1
                await asyncio.sleep(0.2)  # a condition polled, at a client's pace

        await asyncio.wait_for(sold_alone(), 20)
        assert len(await fleet.vendor_rentals(http)) > sold_before
        stats = await fleet.vendor_stats(http)
        assert stats["throttled"] == 0
        assert busiest_second(stats) <= 2
        ready = (await http.get(fleet.replicas[0].base + "/readyz")).json()
        assert ready["coordination"].startswith("degraded: redis unreachable"), ready

        # Redis comes back; no replica paces a call: each says so within a heartbeat
        redis_server.start()
        back = fleet.clock.now()
        for replica in fleet.replicas:
            while True:  # at a client's pace; a heartbeat is HEARTBEAT_SECONDS
                ready = (await http.get(replica.base + "/readyz")).json()
                metrics = (await http.get(replica.base + "/metrics")).text
                if ready["coordination"] == "ok":
                    break
                assert fleet.clock.now() - back < 2 * HEARTBEAT_SECONDS, ready
                await asyncio.sleep(0.1)
            assert "\nsmsproxy_fleet_degraded 0.0\n" in metrics


def restart_postgres() -> None:
    """The machine's PostgreSQL, restarted (a fast shutdown: connections are cut)."""
    versions = sorted(Path("/etc/postgresql").iterdir())
    assert versions, "no PostgreSQL cluster to restart"
    subprocess.run(
        [
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            versions[-1].name,
            "main",
            "restart",
            "-m",
            "fast",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


async def test_restarting_postgres_mid_run_loses_no_acknowledged_activation(
    fleet: Fleet,
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        answers: list[str] = []

        async def clients() -> None:
            for i in range(40):  # a client's pace: a purchase every 0.15 s, round-robin
                answers.append(await fleet.sa(http, i, action="getNumber", service="wa"))
                await asyncio.sleep(0.15)

        running = asyncio.ensure_future(clients())
        await asyncio.sleep(1.5)
        await asyncio.to_thread(restart_postgres)
        await running
        acknowledged = [a.split(":")[1] for a in answers if a.startswith("ACCESS_NUMBER:")]
        refused = [a for a in answers if not a.startswith("ACCESS_NUMBER:")]
        # refused while it was away (ERROR_SQL: nothing is bought without the journal),
        # or out of stock later on
        assert acknowledged and set(refused) <= {"NO_NUMBERS", "ERROR_SQL"}, answers
        stored = {str(r["id"]) for r in await fleet.rows("SELECT id FROM activations")}
        assert set(acknowledged) <= stored  # every number a client was given survived
        for i, activation_id in enumerate(acknowledged):
            assert await fleet.sa(http, i, action="getStatus", id=activation_id) == (
                "STATUS_WAIT_CODE"
            )
        stats = await fleet.vendor_stats(http)
        assert stats["throttled"] == 0


async def test_migrate_brings_the_schema_up_to_date_once(tmp_path: Path) -> None:
    async with pg_schema() as schema:
        env = {
            "SMSPROXY_STORE": "postgres",
            "SMSPROXY_POSTGRES_URL": POSTGRES_URL,
            "SMSPROXY_POSTGRES_SCHEMA": schema,
        }
        first = run_cli(tmp_path, env, "migrate")
        assert (first.returncode, first.stdout) == (
            0,
            "applied 1, 2, 3, 4, 5, 6, 7, 8; the schema is at version 8\n",
        )
        again = run_cli(tmp_path, env, "migrate")
        assert again.stdout == "the schema is at version 8: nothing to apply\n"
        # the store commands beside a fleet work on its PostgreSQL, not a local file
        fleet_config = tmp_path / "fleet.toml"
        fleet_config.write_text(
            f'managed_keys = true\nstore = "postgres"\npostgres_url = "{POSTGRES_URL}"\n'
            f'postgres_schema = "{schema}"\nsecret = "one-fleet"\n\n[[providers]]\n'
            'name = "alpha"\nkind = "getatext"\nbase_url = "http://127.0.0.1:9"\n'
            'key_env = "HOME"\n'
        )
        made = run_cli(
            tmp_path, {}, "keys", "--config", str(fleet_config), "create", "--tenant", "f"
        )
        assert made.returncode == 0, made.stderr
        shared = PostgresStore(POSTGRES_URL, schema=schema)
        try:
            assert [k.tenant for k in await shared.tenants.keys()] == ["f"]
        finally:
            await shared.close()
        assert not (tmp_path / "var" / "smsproxy.db").exists()
    half = run_cli(tmp_path, {"SMSPROXY_REPLICAS": "2"}, "migrate")
    assert (half.returncode, half.stderr) == (
        2,
        'migrate: replicas = 2 needs store = "postgres": each replica\'s sqlite store would '
        "hold only its own activations\n",
    )


def run_cli(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "proxy.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )
