"""`smsproxy serve` with no configuration: a sandbox-backed proxy and a banner that works."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
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


def test_a_data_dir_that_cannot_be_written_is_said_in_one_line(tmp_path: Path) -> None:
    """In a container, a volume mounted with another owner: a line, exit 2, no traceback
    (as root here, a path under a file stands in for a directory one may not write)."""
    (tmp_path / "a-file").write_text("")
    blocked = tmp_path / "a-file" / "var"
    done = subprocess.run(
        [sys.executable, "-m", "proxy.cli", "serve", "--data-dir", str(blocked)],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("SMSPROXY_")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr == (
        f"smsproxy: data_dir {blocked} is not writable by uid {os.getuid()} (Not a directory): "
        "mount a volume that user can write, or point SMSPROXY_DATA_DIR elsewhere\n"
    )


def test_a_sandbox_listening_everywhere_is_reached_on_loopback() -> None:
    from proxy import config
    from proxy.app import upstream_url

    for host in ("0.0.0.0", "::"):
        settings = config.load(env={"SMSPROXY_SANDBOX_HOST": host, "SMSPROXY_SANDBOX_PORT": "9399"})
        assert upstream_url(settings) == "http://127.0.0.1:9399"
    assert upstream_url(config.load(env={"SMSPROXY_SANDBOX_HOST": "10.1.2.3"})).startswith(
        "http://10.1.2.3:"
    )
