"""What floods of made-up keys cost the proxy: memory and open descriptors left behind,
and a known key's latency while a flood goes on.

    .venv/bin/python bench/key_flood.py [--keys 5000] [--floods 3] [--concurrency 50]
                                        [--seconds 5]

The proxy as shipped (passed-through keys, key checks at their bounded pace, refused
keys remembered, per-source limits) in front of a sandbox, both as processes; each flood
is `--keys` getBalance requests with keys never seen before, `--concurrency` at a time,
from one source (wrk-like: the proxy's first-hand view of a hostile tool). After each
flood the proxy's RSS and open descriptors are read from /proc; after the last, the
descriptors again once the client pool's idle connections have closed. The reference is
the proxy itself before the first flood, and the first flood (caches filling up): what
the later floods add is what a flood costs for as long as the process lives.

Then the known (demo) key's getStatus, one at a time from this process, unloaded and
while wrk (another process) floods getBalance with a new key per request: p50 and p99 of
each, side by side. Needs `wrk` for that part.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path

import aiohttp
from _harness import proxy, sandbox, table

HANDLER = "/stubs/handler_api.php"
IDLE_SECONDS = 20.0  # past aiohttp's keep-alive (15 s): the vendor pool's idle sockets go


FLOOD_SCRIPT = f"""
counter = 0
request = function()
  counter = counter + 1
  local key = "sk_wrk_" .. math.random(1, 1e9) .. "_" .. counter
  return wrk.format("GET", "{HANDLER}?action=getBalance&api_key=" .. key)
end
"""


async def timed_status(http: aiohttp.ClientSession, url: str, seconds: float) -> list[float]:
    took, ends = [], time.monotonic() + seconds
    while time.monotonic() < ends:
        started = time.perf_counter()
        async with http.get(url) as r:
            assert (await r.text()) == "STATUS_WAIT_CODE"
        took.append(1000 * (time.perf_counter() - started))
    return sorted(took)


def pct(took: list[float], q: float) -> float:
    return took[min(len(took) - 1, int(len(took) * q))]


async def under_flood(base: str, status_url: str, seconds: float,
                      connections: int) -> tuple[list[float], list[float], int]:
    """The known key's getStatus latencies unloaded, then under wrk's flood; wrk's
    request count."""
    async with aiohttp.ClientSession() as http:
        unloaded = await timed_status(http, status_url, seconds)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(FLOOD_SCRIPT)
        wrk = await asyncio.create_subprocess_exec(
            "wrk", "-t1", f"-c{connections}", f"-d{int(seconds) + 1}s", "-s", f.name, base,
            stdout=asyncio.subprocess.PIPE,
        )
        await asyncio.sleep(0.5)  # the flood is under way
        loaded = await timed_status(http, status_url, seconds)
        out = (await wrk.communicate())[0].decode()
        os.unlink(f.name)
    done = int(out.split(" requests in")[0].rsplit(None, 1)[-1])
    return unloaded, loaded, done


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def flood(http: aiohttp.ClientSession, base: str, start: int, keys: int,
                concurrency: int) -> dict[str, int]:
    answers: dict[str, int] = {}
    for first in range(start, start + keys, concurrency):
        batch = range(first, min(first + concurrency, start + keys))

        async def one(i: int) -> str:
            params = {"api_key": f"sk_flood_{i:07d}", "action": "getBalance"}
            async with http.get(base + HANDLER, params=params) as r:
                return await r.text()

        for answer in await asyncio.gather(*(one(i) for i in batch)):
            answers[answer] = answers.get(answer, 0) + 1
    return answers


async def main(args: argparse.Namespace) -> None:
    rows = []
    async with sandbox() as sb, proxy(sb) as px:
        async with aiohttp.ClientSession() as http:
            async with http.get(px + HANDLER, params={"api_key": "sk_sandbox_demo",
                                                        "action": "getBalance"}) as r:
                assert (await r.text()).startswith("ACCESS_BALANCE:")
            rows.append(["before", f"{rss_mib(px.pid):.1f}", "", str(descriptors(px.pid)), ""])
            previous = rss_mib(px.pid)
            for n in range(args.floods):
                answers = await flood(http, px, n * args.keys, args.keys, args.concurrency)
                now = rss_mib(px.pid)
                said = ", ".join(f"{k} {v:,}" for k, v in sorted(answers.items()))
                rows.append([f"after flood {n + 1} ({args.keys:,} keys)", f"{now:.1f}",
                             f"{now - previous:+.2f}", str(descriptors(px.pid)), said])
                previous = now
        await asyncio.sleep(IDLE_SECONDS)  # the benchmark's clients gone; pools idle out
        rows.append([f"{IDLE_SECONDS:.0f} s later", f"{rss_mib(px.pid):.1f}", "",
                     str(descriptors(px.pid)), ""])
        latency = None
        if shutil.which("wrk") is not None:
            async with aiohttp.ClientSession() as http:
                params = {"api_key": "sk_sandbox_demo", "action": "getNumber", "service": "wa"}
                async with http.get(px + HANDLER, params=params) as r:
                    activation_id = (await r.text()).split(":")[1]
            query = f"api_key=sk_sandbox_demo&action=getStatus&id={activation_id}"
            status_url = f"{px}{HANDLER}?{query}"
            latency = await under_flood(px, status_url, args.seconds, args.concurrency)
    print(table("made-up keys' getBalance from one source",
                ["when", "RSS MiB", "RSS change MiB", "open descriptors", "answers"], rows))
    print()
    print(f"goal: the third flood grows RSS by < 1 MiB ({rows[3][2]} MiB); descriptors "
          f"back to {rows[0][3]} once idle ({rows[-1][3]})")
    if latency is not None:
        unloaded, loaded, flooded = latency
        print()
        print(table("the known key's getStatus, one at a time, while wrk floods new keys",
                    ["", "requests", "p50 ms", "p99 ms"],
                    [["unloaded", f"{len(unloaded):,}", f"{pct(unloaded, 0.5):.2f}",
                      f"{pct(unloaded, 0.99):.2f}"],
                     [f"under the flood (wrk -c{args.concurrency}: {flooded:,} new keys)",
                      f"{len(loaded):,}", f"{pct(loaded, 0.5):.2f}", f"{pct(loaded, 0.99):.2f}"]]))
        print()
        print(f"goal: p99 under the flood {pct(loaded, 0.99) / pct(unloaded, 0.99):.2f}x "
              f"unloaded (goal <= 2x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=5000)
    parser.add_argument("--floods", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    asyncio.run(main(parser.parse_args()))
