"""Does the proxy stay O(1) as the store grows? The same load on stores of 1k, 100k, 1M.

    .venv/bin/python bench/scale.py [--sizes 1000,100000,1000000] [--seconds 8]
                                    [--store sqlite|postgres]

For each size a fresh store is built (activations spread over 1,000 owners, most of
them finished, and one owner with 20 open ones): SQLite through the store API,
PostgreSQL (a schema of its own on SMSPROXY_BENCH_POSTGRES_URL, the machine's server by
default, migrated by the store, then filled with COPY and counted once); then the
proxy serves it as shipped (pacing, metrics and the access log on) while wrk polls
getStatus of an activation whose code is known and a scraper reads `/metrics` and
`/readyz` once a second. The event loop's lag comes from the proxy's own probe
(`smsproxy_event_loop_lag_seconds`). Needs `wrk`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import aiohttp
import asyncpg

from _harness import POSTGRES_URL, pg_schema, proxy, sandbox, table
from overhead import Run, status_script, wrk

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from proxy.domain import Activation, ActivationStatus  # noqa: E402
from proxy.service.identity import Identity  # noqa: E402
from proxy.store.postgres import PostgresStore  # noqa: E402
from proxy.store.rows import COLUMNS, activation_row  # noqa: E402
from proxy.store.sqlite import SqliteStore  # noqa: E402

KEY = "sk_sandbox_demo"
SECRET = "scale-bench"
OWNERS = 1_000
OPEN = 20
FINISHED = (ActivationStatus.COMPLETED, ActivationStatus.CANCELLED, ActivationStatus.EXPIRED)


def rows(size: int, ours: str, now: float) -> Iterator[Activation]:
    for i in range(size - OPEN - 1):
        yield Activation(
            id=0, provider="getatext", upstream_id=10_000_000 + i, owner=f"owner-{i % OWNERS}",
            number=f"212{i % 10_000_000:07d}", service="whatsapp", cost=Decimal("0.55"),
            status=FINISHED[i % 3], created_at=now - 86_400, end_time=now - 85_000,
            checked_at=now - 85_000,
        )
    for i in range(OPEN + 1):
        yield Activation(
            id=0, provider="getatext", upstream_id=i + 1, owner=ours,
            number=f"646555{i:04d}", service="whatsapp", cost=Decimal("0.55"),
            status=ActivationStatus.CODE_RECEIVED if i == OPEN else ActivationStatus.WAITING,
            created_at=now, end_time=now + 1200, code="123456" if i == OPEN else None,
            checked_at=now,
        )


async def build(data: Path, size: int) -> int:
    """The store of `size` activations; the id of the one whose code is known."""
    # each add is committed as the proxy commits it; OFF only skips the OS flush, which
    # a bench that throws the file away does not need
    store = SqliteStore(data / "smsproxy.db", synchronous="OFF")
    ours = Identity(SECRET.encode()).fingerprint(KEY)
    last = 0
    batch: list[Activation] = []
    for activation in rows(size, ours, time.time()):
        batch.append(activation)
        if len(batch) == 1000:
            last = (await asyncio.gather(*(store.activations.add(a) for a in batch)))[-1].id
            batch.clear()
    if batch:
        last = (await asyncio.gather(*(store.activations.add(a) for a in batch)))[-1].id
    await store.close()
    return last


def lag_buckets(metrics: str) -> list[tuple[float, float]]:
    buckets: list[tuple[float, float]] = []
    for line in metrics.splitlines():
        if line.startswith("smsproxy_event_loop_lag_seconds_bucket"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((float(bound), float(line.rsplit(" ", 1)[1])))
    return buckets


def lag_p99(before: str, after: str) -> float:
    """The bucket bound under which 99 % of the probe's samples between two scrapes fell."""
    then = dict(lag_buckets(before))
    delta = [(bound, count - then.get(bound, 0.0)) for bound, count in lag_buckets(after)]
    total = delta[-1][1]
    return next(bound for bound, count in delta if count >= 0.99 * total)


async def build_postgres(schema: str, size: int) -> int:
    """The same activations in a PostgreSQL schema; the id of the one whose code is known."""
    store = PostgresStore(POSTGRES_URL, schema=schema)
    await store.activations.counts()  # created and migrated
    await store.close()
    ours = Identity(SECRET.encode()).fingerprint(KEY)
    conn = await asyncpg.connect(POSTGRES_URL, server_settings={"search_path": schema})
    try:
        # one COPY is one transaction: the counting trigger would update its few rows a
        # million times in it (each update a new version the transaction still sees), so
        # the load skips triggers and the counts are taken once, as migration 7 does
        await conn.execute("SET session_replication_role = replica")
        await conn.copy_records_to_table(
            "activations", columns=list(COLUMNS),
            records=(activation_row(a) for a in rows(size, ours, time.time())),
        )
        await conn.execute("SET session_replication_role = DEFAULT")
        await conn.execute(
            "INSERT INTO state_counts SELECT 'activations', status, 0, COUNT(*) "
            "FROM activations GROUP BY status"
        )
        await conn.execute("ANALYZE activations")
        return int(await conn.fetchval("SELECT MAX(id) FROM activations"))
    finally:
        await conn.close()


async def timed(http: aiohttp.ClientSession, url: str) -> tuple[float, str]:
    t = time.perf_counter()
    async with http.get(url) as r:
        body = await r.text()
    return time.perf_counter() - t, body


async def measure(size: int, seconds: int, connections: int, store: str) -> dict[str, float]:
    async with pg_schema("smsproxy_scale") as schema:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp)
            started = time.monotonic()
            settings: dict[str, str] = {}
            if store == "postgres":
                activation_id = await build_postgres(schema, size)
                settings = {"store": "postgres", "postgres_url": POSTGRES_URL,
                            "postgres_schema": schema}
            else:
                activation_id = await build(data, size)
            built = time.monotonic() - started
            return await serve_and_measure(size, seconds, connections, data, activation_id,
                                           built, settings)


async def serve_and_measure(size: int, seconds: int, connections: int, data: Path,
                            activation_id: int, built: float,
                            settings: dict[str, str]) -> dict[str, float]:
    async with sandbox() as sb, proxy(sb, data_dir=str(data), secret=SECRET,
                                      **settings) as px, \
            aiohttp.ClientSession() as http:
        # idle: what a scrape and a readiness check cost by themselves
        _, start = await timed(http, px + "/metrics")
        idle_scrapes, idle_ready = [], []
        for _ in range(20):
            idle_scrapes.append((await timed(http, px + "/metrics"))[0])
            idle_ready.append((await timed(http, px + "/readyz"))[0])
            await asyncio.sleep(0.25)  # pacing the scrapes, as Prometheus would
        _, idle_end = await timed(http, px + "/metrics")
        # under load: wrk on getStatus, a scrape and a readiness check every second
        scrapes: list[float] = []
        stop = asyncio.Event()

        async def scrape() -> None:
            while not stop.is_set():
                scrapes.append((await timed(http, px + "/metrics"))[0])
                await timed(http, px + "/readyz")
                try:
                    await asyncio.wait_for(stop.wait(), 1.0)
                except TimeoutError:
                    pass

        scraper = asyncio.create_task(scrape())
        run: Run = await wrk(px, status_script(KEY, str(activation_id)), seconds, connections)
        stop.set()
        await scraper
        _, loaded_end = await timed(http, px + "/metrics")
    return {
        "size": size, "built_s": built, "p50": run.p50_ms, "p99": run.p99_ms, "rps": run.rps,
        "metrics_ms": 1000 * statistics.median(idle_scrapes),
        "metrics_max_ms": 1000 * max(idle_scrapes),
        "readyz_ms": 1000 * statistics.median(idle_ready),
        "loaded_metrics_ms": 1000 * statistics.median(scrapes),
        "idle_lag_ms": 1000 * lag_p99(start, idle_end),
        "lag_p99_ms": 1000 * lag_p99(idle_end, loaded_end),
    }


async def main(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        sys.exit("bench/scale.py needs wrk (apt-get install wrk)")
    results = [await measure(int(n), args.seconds, args.connections, args.store)
               for n in args.sizes.split(",")]
    print(table(
        f"getStatus from state under wrk while /metrics and /readyz are read every second "
        f"({args.store})",
        ["activations", "built in", "req/s", "p50 ms", "p99 ms", "/metrics idle ms (median, max)",
         "/readyz idle ms", "/metrics under load ms", "loop lag p99 idle, loaded"],
        [[f"{r['size']:,.0f}", f"{r['built_s']:.0f} s", f"{r['rps']:,.0f}", f"{r['p50']:.2f}",
          f"{r['p99']:.2f}", f"{r['metrics_ms']:.1f}, {r['metrics_max_ms']:.1f}",
          f"{r['readyz_ms']:.1f}", f"{r['loaded_metrics_ms']:.1f}",
          f"≤ {r['idle_lag_ms']:.1f}, ≤ {r['lag_p99_ms']:.1f} ms"] for r in results],
    ))
    small, big = results[0], results[-1]
    print()
    print(f"machine: {os.cpu_count()} cores; wrk -t1 -c{args.connections} -d{args.seconds}s")
    print(f"{big['size']:,.0f} vs {small['size']:,.0f} activations: getStatus p50 "
          f"{big['p50'] / small['p50']:.2f}x, p99 {big['p99'] / small['p99']:.2f}x (goal <= 1.2x); "
          f"/metrics {big['metrics_max_ms']:.1f} ms at most idle, /readyz {big['readyz_ms']:.1f} ms "
          f"(goal < 10 ms); loop lag p99 <= {big['idle_lag_ms']:.1f} ms idle, "
          f"<= {big['lag_p99_ms']:.1f} ms under load (goal < 5 ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    asyncio.run(main(parser.parse_args()))
