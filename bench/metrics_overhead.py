"""What metrics cost: request throughput with metrics on and off, side by side in one run.

    .venv/bin/python bench/metrics_overhead.py [--seconds 8] [--concurrency 32]

Each proxy runs as its own process in front of its own sandbox; the load is getStatus of
an activation whose code is known (answered from the store: the proxy's own cost, which
is where metrics could show) and getBalance (one upstream call each).
"""

from __future__ import annotations

import argparse
import asyncio
import time

import aiohttp

from _harness import control, proxy, sandbox, table

HANDLER = "/stubs/handler_api.php"


async def measure(metrics: bool, seconds: float, concurrency: int, action: str) -> float:
    async with sandbox() as sb, proxy(sb, metrics_enabled=str(metrics).lower(),
                                      pacing_enabled="false") as px, \
            aiohttp.ClientSession() as http:
        key = {"api_key": "sk_sandbox_demo"}
        async with http.get(px + HANDLER, params={**key, "action": "getNumber",
                                                  "service": "wa"}) as r:
            _, activation_id, phone = (await r.text()).split(":")
        await control(http, sb, "POST", "/sms", {"number": phone[1:], "code": "123456"})
        params = {**key, "action": action, "id": activation_id}
        async with http.get(px + HANDLER, params=params) as r:  # learn the code
            await r.read()
        done = 0
        deadline = time.monotonic() + seconds

        async def worker() -> None:
            nonlocal done
            while time.monotonic() < deadline:
                async with http.get(px + HANDLER, params=params) as r:
                    await r.read()
                done += 1

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.monotonic() - started)


async def main(seconds: float, concurrency: int) -> None:
    rows = []
    for action in ("getStatus", "getBalance"):
        # alternate on/off twice and keep each side's best, to damp machine noise
        on = max([await measure(True, seconds, concurrency, action) for _ in range(2)])
        off = max([await measure(False, seconds, concurrency, action) for _ in range(2)])
        rows.append([action, f"{off:.0f}", f"{on:.0f}", f"{100 * (off - on) / off:.1f}%"])
    print(table(f"Throughput with metrics off vs on ({concurrency} concurrent clients, "
                f"{seconds:.0f} s per run, best of 2)",
                ["action", "req/s metrics off", "req/s metrics on", "cost of metrics"], rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=32)
    a = parser.parse_args()
    asyncio.run(main(a.seconds, a.concurrency))
