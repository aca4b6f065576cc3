"""Nothing answered is lost: kill -9 the proxy, restart it on the same data, ask again."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiohttp.test_utils import TestServer

from proxy.sandbox import SandboxConfig, create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ProxyProcess:
    """`smsproxy serve` as its own process; `upstream=None` runs its embedded sandbox."""

    def __init__(self, upstream: str | None, data_dir: Path, **settings: str) -> None:
        self.upstream, self.data_dir = upstream, data_dir
        self.port = free_port()
        self.sandbox_port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/stubs/handler_api.php"
        self.settings = settings
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        env = {
            **os.environ,
            "SMSPROXY_POLL_INTERVAL_SECONDS": "0",
            "SMSPROXY_CANCEL_LOCK_SECONDS": "0",
            "SMSPROXY_SECRET": "durable",
            "SMSPROXY_SANDBOX_PORT": str(self.sandbox_port),
            **{f"SMSPROXY_{k.upper()}": v for k, v in self.settings.items()},
        }
        env.pop("SMSPROXY_UPSTREAM_URL", None)
        upstream = ["--upstream", self.upstream] if self.upstream else []
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "proxy.cli",
            "serve",
            *upstream,
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
        )
        assert self.proc.stdout is not None
        # the banner is printed once the listener is up: that line is the readiness signal
        while True:
            line = await asyncio.wait_for(self.proc.stdout.readline(), 20)
            assert line, "the proxy exited before it was ready"
            if line.startswith(b"smsproxy "):
                break

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        assert self.proc.returncode == -signal.SIGKILL
        await self._drained()

    async def _drained(self) -> None:
        """Its output read to the end: the pipe, and the process's transport, close now
        rather than when the collector finds them after the test's loop is gone."""
        assert self.proc is not None and self.proc.stdout is not None
        await self.proc.stdout.read()

    async def stop(self) -> None:
        """The way an operator stops it: SIGINT, and a clean exit."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(self.proc.wait(), 20)
        await self._drained()


@pytest.fixture
async def vendor() -> AsyncIterator[str]:
    server = TestServer(create_app(SandboxConfig(seed=5, cancel_lock_seconds=0)), host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


async def test_activations_survive_sigkill(vendor: str, tmp_path: Path) -> None:
    proxy = ProxyProcess(vendor, tmp_path / "data")
    await proxy.start()
    key = {"api_key": "sk_sandbox_demo"}
    async with httpx.AsyncClient(timeout=10) as http:

        async def ask(**params: str) -> str:
            r = await http.get(proxy.url, params={**key, **params})
            return r.text

        ids: dict[str, str] = {}
        for name, service in (
            ("waiting", "tg"),
            ("coded", "wa"),
            ("cancelled", "ig"),
            ("coded_unread", "go"),
        ):
            _, ids[name], phone = (await ask(action="getNumber", service=service)).split(":")
            ids[name + "_number"] = phone[1:]
            await http.post(vendor + "/_sandbox/clock", json={"advance_seconds": 1})
        await http.post(
            vendor + "/_sandbox/sms", json={"number": ids["coded_number"], "code": "135790"}
        )
        assert await ask(action="getStatus", id=ids["coded"]) == "STATUS_OK:135790"
        assert await ask(action="setStatus", id=ids["cancelled"], status="8") == "ACCESS_CANCEL"
        await proxy.kill()
        # an SMS arrives while the proxy is down
        await http.post(
            vendor + "/_sandbox/sms", json={"number": ids["coded_unread_number"], "code": "864200"}
        )

        await proxy.start()
        try:
            assert await ask(action="getStatus", id=ids["waiting"]) == "STATUS_WAIT_CODE"
            assert await ask(action="getStatus", id=ids["coded"]) == "STATUS_OK:135790"
            assert await ask(action="getStatus", id=ids["cancelled"]) == "STATUS_CANCEL"
            assert await ask(action="getStatus", id=ids["coded_unread"]) == "STATUS_OK:864200"
            _, new_id, _ = (await ask(action="getNumber", service="fb")).split(":")
            assert int(new_id) > max(
                int(ids[n]) for n in ("waiting", "coded", "cancelled", "coded_unread")
            )
        finally:
            await proxy.kill()
