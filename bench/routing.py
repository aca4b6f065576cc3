"""Failover cost: with provider A in maintenance, what a purchase that ends at B costs,
side by side with a proxy that sends the same purchase straight to B.

Two Getatext sandboxes (A, B) and two proxies, all separate processes on loopback:
"failover" routes alpha (A, in maintenance) then beta (B); "straight" knows only beta.
Purchases alternate between the proxies (B's 2/s limit is shared). The first failover
purchase meets A's maintenance; afterwards A cools down and the router should not
spend time on it. Prints p50/p95 per side and the added time.

    .venv/bin/python bench/routing.py [--purchases 40]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from _harness import _start, control, free_port, sandbox

DEMO = "sk_sandbox_demo"
CLIENT = "sk_client_bench"
GAP_SECONDS = 0.6  # B sells at most two a second: alternate sides stay under it


def config(folder: Path, providers: list[tuple[str, str]]) -> Path:
    (folder / "vendor.key").write_text(DEMO)
    (folder / "client.key").write_text(CLIENT)
    rows = [
        f'[[providers]]\nname = "{name}"\nkind = "getatext"\nbase_url = "{url}"\n'
        f'key_file = "{folder}/vendor.key"\npriority = {i}\n'
        for i, (name, url) in enumerate(providers, start=1)
    ]
    path = folder / "routing.toml"
    path.write_text("\n".join(rows) + f'\n[[tenants]]\nkey_file = "{folder}/client.key"\n')
    return path


@asynccontextmanager
async def routing_proxy(providers: list[tuple[str, str]]) -> AsyncIterator[str]:
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        path = config(Path(data), providers)
        env = {"SMSPROXY_PACING_ENABLED": "false", "SMSPROXY_DATA_DIR": data}
        proc = await _start(
            ["serve", "--config", str(path), "--port", str(port)], b"smsproxy ", env
        )
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            await proc.wait()


async def buy(http: aiohttp.ClientSession, base: str) -> float:
    started = time.perf_counter()
    params = {"api_key": CLIENT, "action": "getNumber", "service": "wa"}
    async with http.get(base + "/stubs/handler_api.php", params=params) as r:
        answer = await r.text()
    elapsed = time.perf_counter() - started
    if not answer.startswith("ACCESS_NUMBER:"):
        raise RuntimeError(f"purchase refused: {answer}")
    return elapsed


def ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(purchases: int) -> None:
    async with sandbox(seed=1) as a, sandbox(seed=2) as b, aiohttp.ClientSession() as http:
        await control(http, a, "POST", "/maintenance", {"on": True})
        await control(
            http, b, "POST", "/accounts",
            {"api_key": DEMO, "balance": 10_000, "max_active_rentals": 10_000},
        )
        stock = [{"api_name": "whatsapp", "price": 0.55, "stock": 100_000}]
        await control(http, b, "PUT", "/services", stock)
        pair = [("alpha", a), ("beta", b)]
        async with routing_proxy(pair) as failover, routing_proxy([("beta", b)]) as straight:
            first = await buy(http, failover)  # meets A's maintenance, A cools down
            await asyncio.sleep(GAP_SECONDS)
            times: dict[str, list[float]] = {"failover": [], "straight": []}
            for _ in range(purchases):
                for side, base in (("straight", straight), ("failover", failover)):
                    times[side].append(await buy(http, base))
                    await asyncio.sleep(GAP_SECONDS)
            attempts_at_a = (await control(http, a, "GET", "/stats"))["by_endpoint"]
    added = statistics.median(times["failover"]) - statistics.median(times["straight"])
    print(f"\nPurchases per side: {purchases} (after the first failover one)\n")
    print("| route                        | p50 ms | p95 ms |")
    print("|------------------------------|--------|--------|")
    print(f"| straight at B                | {ms(times['straight'], 0.5):6.1f} "
          f"| {ms(times['straight'], 0.95):6.1f} |")
    print(f"| A in maintenance, then B     | {ms(times['failover'], 0.5):6.1f} "
          f"| {ms(times['failover'], 0.95):6.1f} |")
    print(f"\nfirst failover purchase (A tried): {first * 1000:.1f} ms")
    print(f"added p50 after the first failure: {added * 1000:.1f} ms")
    print(f"purchases A saw: {attempts_at_a.get('rent-a-number', 0)} (1 = cooldown held)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--purchases", type=int, default=40)
    asyncio.run(main(parser.parse_args().purchases))
