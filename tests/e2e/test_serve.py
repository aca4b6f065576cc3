"""`smsproxy serve` with no configuration: a sandbox-backed proxy and a banner that works."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from aiohttp.test_utils import TestServer

from proxy import config
from proxy.cli.banner import banner
from proxy.config.routing import ProviderConfig
from proxy.sandbox import SandboxConfig, create_app

from .banner_lines import bought, read_banner, run, to_try
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
        banner = await read_banner(proc.stdout)
        text = "\n".join(banner)
        assert "SANDBOX MODE" in text
        assert f"http://127.0.0.1:{port}" in text
        rent_line, sms_line, status_line = to_try(banner)
        assert f"http://127.0.0.1:{sandbox_port}/_sandbox/sms" in sms_line
        got = await bought(rent_line)
        assert len(got["number"]) == 11  # pasted as printed: the calling code and all
        assert '"delivered"' in await run(sms_line, got)
        assert await run(status_line, got) == "STATUS_OK:123456"
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


async def test_the_banner_follows_the_upstream_it_was_given(tmp_path: Path) -> None:
    """`serve --upstream URL`: the SMS line posts to that sandbox, not the embedded one
    (none runs), and the lines work as printed."""
    sandbox = TestServer(create_app(SandboxConfig(seed=5)), host="127.0.0.1")
    await sandbox.start_server()
    upstream = str(sandbox.make_url("")).rstrip("/")
    port = free_port()
    env = {**os.environ, "SMSPROXY_PORT": str(port), "SMSPROXY_POLL_INTERVAL_SECONDS": "0"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "proxy.cli",
        "serve",
        "--upstream",
        upstream,
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    try:
        banner = await read_banner(proc.stdout)
        assert f"Upstream: {upstream}" in banner and "SANDBOX MODE" not in "\n".join(banner)
        rent_line, sms_line, status_line = to_try(banner)
        assert f"{upstream}/_sandbox/sms" in sms_line
        got = await bought(rent_line)
        assert '"delivered"' in await run(sms_line, got)
        assert await run(status_line, got) == "STATUS_OK:123456"
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 20)
        await sandbox.close()


def test_the_banner_says_how_to_get_a_key_and_where_state_lives() -> None:
    """Managed keys: the command that issues a first key (no made-up key); a fleet: its
    store and coordination, as check-config says them (no URL)."""
    provider = ProviderConfig("alpha", "getatext", "http://127.0.0.1:9301", "K", sandbox=True)
    managed = config.load(env={}, managed_keys=True, providers=(provider,), data_dir=Path("v"))
    text = banner(managed, "examples/tenants.toml")
    assert "  .venv/bin/smsproxy keys --config examples/tenants.toml create --tenant demo" in text
    assert "sk_client_demo" not in text and "api_key=<key>" in text
    fleet = config.load(
        env={},
        store="postgres",
        postgres_url="postgresql://u:secret@db/smsproxy",
        coordination="redis",
        redis_url="redis://cache:6379/0",
        replicas=2,
        secret="fleet",
    )
    state = next(line for line in banner(fleet).splitlines() if line.startswith("State: "))
    assert state == (
        "State: state in PostgreSQL; coordinated in Redis (prefix smsproxy), 2 replica(s)"
    )
    assert "secret" not in banner(fleet)
