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


async def measure(metrics: bool, seconds: float, concurrency: int,
                  action: str) -> tuple[float, float]:
    """(requests per second, proxy CPU microseconds per request)."""
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

        cpu, started = px.cpu_seconds(), time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed, cpu = time.monotonic() - started, px.cpu_seconds() - cpu
        return done / elapsed, 1e6 * cpu / max(done, 1)


async def main(seconds: float, concurrency: int) -> None:
    rows = []
    for action in ("getStatus", "getBalance"):
        on: list[tuple[float, float]] = []
        off: list[tuple[float, float]] = []
        for _ in range(3):  # alternate, keep each side's best: machine noise hits both
            on.append(await measure(True, seconds, concurrency, action))
            off.append(await measure(False, seconds, concurrency, action))
        rate_on, rate_off = max(r for r, _ in on), max(r for r, _ in off)
        cpu_on, cpu_off = min(c for _, c in on), min(c for _, c in off)
        rows.append([action, f"{rate_off:.0f}", f"{rate_on:.0f}",
                     f"{100 * (rate_off - rate_on) / rate_off:.1f}%",
                     f"{cpu_off:.0f}", f"{cpu_on:.0f}",
                     f"{100 * (cpu_on - cpu_off) / cpu_off:.1f}%"])
    print(table(f"Metrics off vs on ({concurrency} concurrent clients, {seconds:.0f} s per "
                f"run, best of 3 alternating runs per side)",
                ["action", "req/s off", "req/s on", "throughput cost",
                 "proxy CPU µs/req off", "proxy CPU µs/req on", "CPU cost"], rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=32)
    a = parser.parse_args()
    asyncio.run(main(a.seconds, a.concurrency))
