"""Instructions per request, counted under callgrind: the deterministic view of
bench/overhead.py's "from state" case, for telling a 2 % change from the machine's noise.

    .venv/bin/python bench/instructions.py [--requests 2000]

The aiohttp hello world and the proxy (as shipped) each run under
`valgrind --tool=callgrind`; after a warm-up the counters are zeroed, one keep-alive
connection sends getStatus of an activation whose code is known `--requests` times, and
the counters are read. Every thread of the server is counted (the access-log writer
too); the kernel is not. Needs valgrind (Debian package `valgrind`); a run takes about
a minute, most of it the two servers starting under callgrind.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from _harness import control, free_port, sandbox
from overhead import HANDLER

HERE = Path(__file__).resolve().parent
KEY = "sk_sandbox_demo"


def send(port: int, path: str, count: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(count):
        connection.request("GET", path)
        connection.getresponse().read()
    connection.close()


async def started(args: list[str], port: int, out: str) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, *args],
        cwd=HERE.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(600):  # imports under callgrind take a while
        try:
            send(port, "/healthz", 1)
            return server
        except OSError:
            await asyncio.sleep(0.5)
    server.kill()
    raise RuntimeError(f"{args[0]} did not start under callgrind")


async def known_code(http: aiohttp.ClientSession, sb: str, base: str) -> str:
    """A getStatus path whose answer comes from the proxy's state."""
    params = {"api_key": KEY, "action": "getNumber", "service": "wa"}
    async with http.get(base + HANDLER, params=params) as r:
        _, activation_id, phone = (await r.text()).split(":")
    await control(http, sb, "POST", "/sms", {"number": phone[1:], "code": "123456"})
    status = {"api_key": KEY, "action": "getStatus", "id": activation_id}
    for _ in range(300):
        async with http.get(base + HANDLER, params=status) as r:
            if await r.text() == "STATUS_OK:123456":
                return f"{HANDLER}?action=getStatus&api_key={KEY}&id={activation_id}"
        await asyncio.sleep(0.2)
    raise RuntimeError("the code never arrived")


async def measure(
    args: list[str], port: int, path_of: Callable[[str], Awaitable[str]], requests: int
) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "callgrind.out")
        server = await started(args, port, out)
        try:
            path = await path_of(f"http://127.0.0.1:{port}")
            send(port, path, 300)  # warm-up: caches, specialised bytecode
            subprocess.run(["callgrind_control", "-z", str(server.pid)], check=True,
                           capture_output=True)
            send(port, path, requests)
            subprocess.run(["callgrind_control", "-d", str(server.pid)], check=True,
                           capture_output=True)
            dump = max(glob.glob(out + "*"), key=os.path.getmtime)
            total = re.search(r"^(?:summary|totals):\s+(\d+)", Path(dump).read_text(), re.M)
            assert total is not None, dump
            return int(total.group(1)) / requests
        finally:
            server.terminate()
            server.wait()


async def main(args: argparse.Namespace) -> None:
    if shutil.which("valgrind") is None:
        sys.exit("bench/instructions.py needs valgrind (apt-get install valgrind)")
    async with sandbox() as sb, aiohttp.ClientSession() as http:
        hello_port, proxy_port = free_port(), free_port()

        async def hello_path(_base: str) -> str:
            return f"{HANDLER}?action=getStatus&api_key={KEY}&id=1"

        async def proxy_path(base: str) -> str:
            return await known_code(http, sb, base)

        with tempfile.TemporaryDirectory() as data:
            hello = await measure([str(HERE / "_reference.py"), "--port", str(hello_port)],
                                  hello_port, hello_path, args.requests)
            ours = await measure(["-m", "proxy.cli", "serve", "--upstream", sb, "--port",
                                  str(proxy_port), "--data-dir", data],
                                 proxy_port, proxy_path, args.requests)
    print(f"getStatus answered from state, {args.requests} requests on one connection")
    print(f"aiohttp hello world: {hello:,.0f} instructions/request")
    print(f"smsproxy:            {ours:,.0f} instructions/request")
    print(f"ratio: {ours / hello:.2f}x the hello world's instructions per request")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    asyncio.run(main(parser.parse_args()))
