"""Shared bench plumbing: the sandbox and the proxy as real processes on free ports."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

POSTGRES_URL = os.environ.get(
    "SMSPROXY_BENCH_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/postgres"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _start(args: list[str], ready: bytes, env: dict[str, str]) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "proxy.cli", *args, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    while True:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        if not line:
            raise RuntimeError(f"{args[0]} exited before it was ready")
        if line.startswith(ready):
            break
    # keep draining stdout so the child never blocks on a full pipe
    asyncio.get_running_loop().create_task(proc.stdout.read())
    return proc


@asynccontextmanager
async def pg_schema(prefix: str = "smsproxy_bench") -> AsyncIterator[str]:
    """A fresh schema name on POSTGRES_URL; dropped with everything in it at the end."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        conn = await asyncpg.connect(POSTGRES_URL)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        finally:
            await conn.close()


@asynccontextmanager
async def sandbox(seed: int = 1) -> AsyncIterator[str]:
    port = free_port()
    proc = await _start(["sandbox", "--port", str(port), "--seed", str(seed)],
                        b"Getatext sandbox", {})
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        await proc.wait()


class Server(str):
    """A base URL that also knows its process (for CPU accounting)."""

    pid: int = 0

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@asynccontextmanager
async def proxy(upstream: str, data_dir: str | None = None,
                **settings: Any) -> AsyncIterator[Server]:
    port = free_port()
    env = {f"SMSPROXY_{k.upper()}": str(v) for k, v in settings.items()}
    with tempfile.TemporaryDirectory() as scratch:
        data = data_dir or scratch
        proc = await _start(["serve", "--upstream", upstream, "--port", str(port),
                             "--data-dir", data], b"smsproxy ", env)
        async with serving(proc, port) as server:
            yield server


@asynccontextmanager
async def serving(proc: asyncio.subprocess.Process, port: int) -> AsyncIterator[Server]:
    """A started server process as its base URL; stopped at the end."""
    server = Server(f"http://127.0.0.1:{port}")
    server.pid = proc.pid
    try:
        yield server
    finally:
        proc.terminate()
        await proc.wait()


async def control(http: aiohttp.ClientSession, base: str, method: str, path: str,
                  body: Any = None) -> Any:
    async with http.request(method, f"{base}/_sandbox{path}", json=body) as r:
        r.raise_for_status()
        return await r.json()


def table(title: str, header: list[str], rows: list[list[Any]]) -> str:
    cells = [header, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [f"### {title}", "",
             "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
              for row in cells[1:]]
    return "\n".join(lines)
