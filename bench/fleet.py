"""A fleet replica next to the single proxy it multiplies: side by side in one run.

    .venv/bin/python bench/fleet.py [--seconds 5] [--rounds 3] [--connections 32]

getStatus of a waiting activation (the bulk of a fleet's traffic: tools poll), as
shipped (pacing, metrics, the access log on), one sandbox behind every mode:

1. the single proxy on SQLite;
2. one fleet replica on PostgreSQL and Redis;
3. two replicas, each polled by its own wrk (half the connections each): the load a
   round-robin client spreads over them.

CPU per request is the processes' own user + system time over the requests wrk
completed: the proxies', PostgreSQL's (every backend of the server) and Redis's. Rounds
alternate the modes; each keeps its best round (noise only ever slows a run). Needs
`wrk`, PostgreSQL and Redis on loopback (SMSPROXY_BENCH_POSTGRES_URL,
SMSPROXY_BENCH_REDIS_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import uuid
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from _harness import POSTGRES_URL, Server, pg_schema, proxy, sandbox, table
from overhead import HANDLER, Run, status_script, wrk

KEY = "sk_sandbox_demo"
REDIS_URL = os.environ.get("SMSPROXY_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pids_named(name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def cpu_of_named(name: str) -> Callable[[], float]:
    """CPU seconds of every process so named (PostgreSQL forks a backend per client)."""
    return lambda: sum(_cpu_of(pid) for pid in _pids_named(name))


@dataclass
class Mode:
    rps: float
    p50_ms: float
    p99_ms: float
    proxy_us: float
    postgres_us: float
    redis_us: float


async def measure(servers: list[Server], script: str, seconds: int, connections: int) -> Mode:
    """wrk on each server at once (connections split between them)."""
    postgres, redis = cpu_of_named("postgres"), cpu_of_named("redis-server")
    pg0, redis0 = postgres(), redis()
    proxies0 = [s.cpu_seconds() for s in servers]
    share = max(1, connections // len(servers))
    runs: list[Run] = await asyncio.gather(*(wrk(s, script, seconds, share) for s in servers))
    done = sum(r.rps for r in runs) * seconds
    proxy_cpu = sum(s.cpu_seconds() - c for s, c in zip(servers, proxies0, strict=True))

    def per_request(cpu: float) -> float:
        return 1e6 * cpu / max(done, 1.0)

    return Mode(
        rps=sum(r.rps for r in runs),
        p50_ms=max(r.p50_ms for r in runs),
        p99_ms=max(r.p99_ms for r in runs),
        proxy_us=per_request(proxy_cpu),
        postgres_us=per_request(postgres() - pg0),
        redis_us=per_request(redis() - redis0),
    )


def best(modes: list[Mode]) -> Mode:
    return Mode(
        rps=max(m.rps for m in modes),
        p50_ms=min(m.p50_ms for m in modes),
        p99_ms=min(m.p99_ms for m in modes),
        proxy_us=min(m.proxy_us for m in modes),
        postgres_us=min(m.postgres_us for m in modes),
        redis_us=min(m.redis_us for m in modes),
    )


async def buy(http: aiohttp.ClientSession, base: str) -> str:
    """A waiting activation's id (no code will come: every poll finds it waiting)."""
    params = {"api_key": KEY, "action": "getNumber", "service": "wa"}
    async with http.get(base + HANDLER, params=params) as r:
        text = await r.text()
    if not text.startswith("ACCESS_NUMBER:"):
        raise RuntimeError(f"getNumber answered {text}")
    return text.split(":")[1]


async def run(args: argparse.Namespace) -> dict[str, Mode]:
    results: dict[str, list[Mode]] = {"single": [], "one": [], "two": []}
    async with AsyncExitStack() as stack:
        sb = await stack.enter_async_context(sandbox())
        http = await stack.enter_async_context(aiohttp.ClientSession())
        single = await stack.enter_async_context(proxy(sb))
        schema = await stack.enter_async_context(pg_schema())
        fleet = {
            "store": "postgres",
            "postgres_url": POSTGRES_URL,
            "postgres_schema": schema,
            "coordination": "redis",
            "redis_url": REDIS_URL,
            "redis_prefix": f"bench-{uuid.uuid4().hex[:8]}",
            "replicas": "2",
            "secret": "bench-fleet",
        }
        first = await stack.enter_async_context(proxy(sb, **fleet))
        second = await stack.enter_async_context(proxy(sb, **fleet))
        single_script = status_script(KEY, await buy(http, single))
        fleet_script = status_script(KEY, await buy(http, first))
        for _ in range(args.rounds):
            for name, servers, script in (
                ("single", [single], single_script),
                ("one", [first], fleet_script),
                ("two", [first, second], fleet_script),
            ):
                results[name].append(
                    await measure(servers, script, args.seconds, args.connections)
                )
    return {name: best(modes) for name, modes in results.items()}


def row(name: str, m: Mode) -> list[object]:
    return [name, f"{m.rps:,.0f}", f"{m.p50_ms:.2f}", f"{m.p99_ms:.2f}", f"{m.proxy_us:,.0f}",
            f"{m.postgres_us:,.0f}", f"{m.redis_us:,.0f}"]


async def main(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        sys.exit("bench/fleet.py needs wrk (apt-get install wrk)")
    modes = await run(args)
    header = ["mode", "req/s", "p50 ms", "p99 ms", "proxy CPU µs/req", "PostgreSQL CPU µs/req",
              "Redis CPU µs/req"]
    print(table("getStatus of a waiting activation", header, [
        row("single proxy (SQLite)", modes["single"]),
        row("one fleet replica (PostgreSQL + Redis)", modes["one"]),
        row("two fleet replicas (PostgreSQL + Redis)", modes["two"]),
    ]))
    single, one, two = modes["single"], modes["one"], modes["two"]
    print()
    print(f"machine: {os.cpu_count()} cores; wrk -t1 -c{args.connections} -d{args.seconds}s "
          f"(split between replicas), best of {args.rounds} alternating rounds")
    print(f"goal: one replica {one.rps / single.rps:.2f}x the single proxy's req/s "
          f"(goal >= 0.8x), p50 {one.p50_ms / single.p50_ms:.2f}x (goal <= 1.3x)")
    print(f"goal: two replicas {two.rps / one.rps:.2f}x one replica (goal >= 1.5x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    asyncio.run(main(parser.parse_args()))
