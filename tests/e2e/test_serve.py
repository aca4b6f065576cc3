"""`smsproxy serve` with no configuration: a sandbox-backed proxy and a banner that works."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import httpx

from .test_durability import free_port


async def test_serve_without_configuration_is_a_working_demo(tmp_path: Path) -> None:
    port, sandbox_port = free_port(), free_port()
    env = {
        **os.environ,
        "SMSPROXY_PORT": str(port),
        "SMSPROXY_SANDBOX_PORT": str(sandbox_port),
        "SMSPROXY_POLL_INTERVAL_SECONDS": "0",
    }
    env.pop("SMSPROXY_UPSTREAM_URL", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "proxy.cli",
        "serve",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    try:
        banner = []
        while sum(ln.startswith("  curl") for ln in banner) < 3:
            line = await asyncio.wait_for(proc.stdout.readline(), 20)
            assert line, "serve exited early"
            banner.append(line.decode().rstrip("\n"))
        text = "\n".join(banner)
        assert "SANDBOX MODE" in text
        assert f"http://127.0.0.1:{port}" in text
        rent_line, sms_line, status_line = [ln for ln in banner if ln.startswith("  curl")]
        rent_url = re.search(r"'(http[^']+)'", rent_line).group(1)  # type: ignore[union-attr]
        assert f"http://127.0.0.1:{sandbox_port}/_sandbox/sms" in sms_line
        async with httpx.AsyncClient(timeout=10) as http:
            answer = (await http.get(rent_url)).text
            token, activation_id, phone = answer.split(":")
            assert token == "ACCESS_NUMBER"
            delivered = await http.post(
                f"http://127.0.0.1:{sandbox_port}/_sandbox/sms",
                json={"number": phone[1:], "code": "123456"},
            )
            assert delivered.status_code == 200
            status_url = re.search(r"'(http[^']+)'", status_line).group(1)  # type: ignore[union-attr]
            status = await http.get(status_url.replace("<id>", activation_id))
            assert status.text == "STATUS_OK:123456"
        assert (tmp_path / "var" / "smsproxy.db").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 20)
