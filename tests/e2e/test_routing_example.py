"""examples/routing.toml runs as shipped: three embedded sandboxes behind one endpoint;
`smsproxy check-config` explains it, and explains what is wrong in a broken one."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from .banner_lines import bought, read_banner, run, to_try
from .test_durability import free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "routing.toml"


def localised(tmp_path: Path) -> tuple[Path, list[int]]:
    """The example with free ports and absolute key paths, run from a scratch folder."""
    ports = [free_port() for _ in range(3)]
    text = EXAMPLE.read_text().replace("examples/keys/", f"{ROOT}/examples/keys/")
    for old, new in zip((9301, 9302, 9303), ports, strict=True):
        text = text.replace(f"127.0.0.1:{old}", f"127.0.0.1:{new}")
    path = tmp_path / "routing.toml"
    path.write_text(text)
    return path, ports


def smsproxy(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "proxy.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_check_config_explains_the_example(tmp_path: Path) -> None:
    path, _ = localised(tmp_path)
    done = smsproxy("check-config", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout.splitlines()[1:]
        == [
            f"  provider alpha: getatext at http://127.0.0.1:{p}, priority 1"
            for p in [path.read_text().split("127.0.0.1:")[1].split('"')[0]]
        ]
        + done.stdout.splitlines()[2:]
    )
    assert "tenant 0: alpha, beta, gamma" in done.stdout
    assert "sk_" not in done.stdout  # keys are read, never shown


def test_check_config_says_what_is_wrong(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(
        '[[providers]]\nname = "x"\nkind = "handler-api"\nbase_url = "http://h/"\n'
        'key_env = "NOT_SET_ANYWHERE"\n[[tenants]]\nkey_env = "ALSO_NOT_SET"\n'
    )
    done = smsproxy("check-config", str(broken), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == f"{broken}: provider x: a handler-api provider needs a flavour"


async def test_the_example_serves_out_of_the_box(tmp_path: Path) -> None:
    path, ports = localised(tmp_path)
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "proxy.cli",
        "serve",
        "--config",
        str(path),
        "--port",
        str(port),
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "SMSPROXY_POLL_INTERVAL_SECONDS": "0"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    try:
        banner = await read_banner(proc.stdout)
        text = "\n".join(banner)
        assert f"gamma: handler-api (getatext-legacy) at http://127.0.0.1:{ports[2]}" in text
        assert f"as in the file {ROOT}/examples/keys/client.key" in text  # where, not what
        key = (ROOT / "examples" / "keys" / "client.key").read_text().strip()
        lines = to_try(banner)
        rent_line, status_line = lines[0], lines[-1]
        listings = [ln for ln in lines if "/_sandbox/rentals" in ln]
        sms_lines = [ln for ln in lines if "/_sandbox/sms" in ln]
        assert len(sms_lines) == 3 and len(listings) == 3  # every embedded sandbox
        got = await bought(rent_line, {"key": key})
        values = {**got, "key": key}
        alpha_rentals = json.loads(await run(listings[0], values))["rentals"]
        assert ["1" + r["number"] for r in alpha_rentals] == [got["number"]]  # alpha sold it
        assert '"delivered"' in await run(sms_lines[0], values)
        assert await run(status_line, values) == "STATUS_OK:123456"
        async with httpx.AsyncClient(timeout=10) as http:
            url = f"http://127.0.0.1:{port}/stubs/handler_api.php"
            refused = await http.get(
                url, params={"api_key": "sk_sandbox_demo", "action": "getBalance"}
            )
            assert refused.text == "BAD_KEY"  # provider keys are not client keys
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 20)
