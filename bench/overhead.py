"""What the proxy costs next to the floor: side by side in one run, wrk as the load.

    .venv/bin/python bench/overhead.py [--seconds 5] [--rounds 3] [--connections 32]
                                       [--only upstream|state]

1. A call that goes upstream: SMS-Activate getBalance with many keys (pacing off, since
   the vendor sets no limit on it), the proxy against a minimal aiohttp forwarder with
   one shared session (bench/_reference.py), both in front of the same sandbox.
2. A call answered from state: getStatus of an activation whose code is known, the proxy
   (pacing, metrics and the access log on, as shipped) against an aiohttp hello world.

CPU per request is the server process's own (user + system) time over the requests wrk
completed; rounds alternate the two sides and each side keeps its best round, since noise
on a shared machine only ever slows a run. Needs `wrk` (Debian package `wrk`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from _harness import Server, control, free_port, proxy, sandbox, serving, table

HANDLER = "/stubs/handler_api.php"
KEYS = 200
HERE = Path(__file__).resolve().parent


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_us: float  # server CPU per request


@asynccontextmanager
async def reference(forward: str | None = None) -> AsyncIterator[Server]:
    port = free_port()
    args = [str(HERE / "_reference.py"), "--port", str(port)]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, *(["--forward", forward] if forward else []),
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    await asyncio.wait_for(proc.stdout.readline(), 30)
    async with serving(proc, port) as server:
        yield server


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([0-9.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


async def wrk(server: Server, script: str, seconds: float, connections: int) -> Run:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    cpu = server.cpu_seconds()
    proc = await asyncio.create_subprocess_exec(
        "wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency", "-s", f.name, server,
        stdout=asyncio.subprocess.PIPE,
    )
    out = (await proc.communicate())[0].decode()
    cpu = server.cpu_seconds() - cpu
    os.unlink(f.name)
    found = re.search(r"(\d+) requests in", out)
    if found is None:
        raise RuntimeError(f"wrk said:\n{out}")
    done = int(found.group(1))
    if "Non-2xx" in out:
        raise RuntimeError(f"errors under load:\n{out}")
    return Run(
        rps=float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        p99_ms=_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        cpu_us=1e6 * cpu / max(done, 1),
    )


def balance_script(keys: list[str]) -> str:
    listed = ",".join(f'"{k}"' for k in keys)
    return f"""
keys = {{{listed}}}
request = function()
  local k = keys[math.random(#keys)]
  return wrk.format("GET", "{HANDLER}?action=getBalance&api_key=" .. k)
end
"""


def status_script(key: str, activation_id: str) -> str:
    return f'wrk.path = "{HANDLER}?action=getStatus&api_key={key}&id={activation_id}"\n'


def best(runs: list[Run]) -> Run:
    return Run(
        rps=max(r.rps for r in runs),
        p50_ms=min(r.p50_ms for r in runs),
        p99_ms=min(r.p99_ms for r in runs),
        cpu_us=min(r.cpu_us for r in runs),
    )


async def upstream_case(args: argparse.Namespace) -> tuple[Run, Run]:
    keys = [f"sk_bench_{i:04d}" for i in range(KEYS)]
    async with sandbox() as sb, aiohttp.ClientSession() as http:
        for key in keys:
            await control(http, sb, "POST", "/accounts", {"api_key": key, "balance": 50})
        script = balance_script(keys)
        async with reference(forward=sb) as ref, proxy(sb, pacing_enabled="false") as px:
            ours, theirs = [], []
            for _ in range(args.rounds):
                theirs.append(await wrk(ref, script, args.seconds, args.connections))
                ours.append(await wrk(px, script, args.seconds, args.connections))
    return best(ours), best(theirs)


async def state_case(args: argparse.Namespace) -> tuple[Run, Run]:
    key = "sk_sandbox_demo"
    async with sandbox() as sb, proxy(sb) as px, reference() as hello, \
            aiohttp.ClientSession() as http:
        params = {"api_key": key, "action": "getNumber", "service": "wa"}
        async with http.get(px + HANDLER, params=params) as r:
            _, activation_id, phone = (await r.text()).split(":")
        await control(http, sb, "POST", "/sms", {"number": phone[1:], "code": "123456"})
        params = {"api_key": key, "action": "getStatus", "id": activation_id}
        for _ in range(100):  # the next poll that is due reads the code; then it is known
            async with http.get(px + HANDLER, params=params) as r:
                if (await r.text()) == "STATUS_OK:123456":
                    break
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError("the code never arrived")
        script = status_script(key, activation_id)
        ours, theirs = [], []
        for _ in range(args.rounds):
            theirs.append(await wrk(hello, script, args.seconds, args.connections))
            ours.append(await wrk(px, script, args.seconds, args.connections))
    return best(ours), best(theirs)


def row(name: str, run: Run) -> list[object]:
    return [name, f"{run.rps:,.0f}", f"{run.p50_ms:.2f}", f"{run.p99_ms:.2f}",
            f"{run.cpu_us:,.0f}"]


def upstream_goal(ours: Run, ref: Run) -> str:
    return (f"goal 1: upstream CPU/request {ours.cpu_us / ref.cpu_us:.2f}x the forwarder "
            f"(goal <= 1.5x), p50 {ours.p50_ms / ref.p50_ms:.2f}x (goal <= 1.3x)")


def state_goal(ours: Run, ref: Run) -> str:
    return (f"goal 2: from state {ours.rps / ref.rps:.2f}x hello world's req/s "
            f"(goal >= 0.6x), p50 {ours.p50_ms / ref.p50_ms:.2f}x (goal <= 1.5x)")


CASES = {  # name: (measure, title, reference, goal)
    "upstream": (upstream_case, "getBalance, upstream, 200 keys, pacing off",
                 "minimal aiohttp forwarder", upstream_goal),
    "state": (state_case, "getStatus answered from state", "aiohttp hello world", state_goal),
}


async def main(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        sys.exit("bench/overhead.py needs wrk (apt-get install wrk)")
    header = ["server", "req/s", "p50 ms", "p99 ms", "CPU µs/req"]
    goals = []
    for name, (measure, title, reference, goal) in CASES.items():
        if args.only in (None, name):
            ours, ref = await measure(args)
            print(table(title, header, [row(reference, ref), row("smsproxy", ours)]))
            print()
            goals.append(goal(ours, ref))
    print(f"machine: {os.cpu_count()} cores; wrk -t1 -c{args.connections} "
          f"-d{args.seconds}s, best of {args.rounds} alternating rounds")
    print("\n".join(goals))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", choices=sorted(CASES))
    asyncio.run(main(parser.parse_args()))
