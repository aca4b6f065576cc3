"""`smsproxy serve` answers a start-up mistake in one line naming what to change, with
exit code 2 and no traceback (the text `check-config` gives), before anything listens."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from .test_routing_example import smsproxy

MISTAKES = {  # a configuration file -> the line `serve` answers it with
    "unknown field": (
        '[[providers]]\nname = "a"\nkind = "getatext"\nbase_url = "http://127.0.0.1:1"\n'
        'key_env = "K"\npriorty = 1\n',
        "provider a: unknown fields priorty (did you mean priority?)",
    ),
    "unknown setting": ("prot = 8080\n", "unknown settings: prot (did you mean port?)"),
    "bad routing": (
        'routing = "fastest"\n',
        "routing must be one of priority, cheapest, weighted, value",
    ),
    "TOML syntax": ("port = \n", "Invalid value (at line 1, column 8)"),
    "bad kind": (
        '[[providers]]\nname = "a"\nkind = "handler_api"\nbase_url = "http://127.0.0.1:1"\n'
        'key_env = "K"\n[[tenants]]\nkey_env = "K"\n',
        "provider a: unknown kind handler_api (did you mean handler-api?); kinds are",
    ),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_configuration_mistake_is_one_line(tmp_path: Path, mistake: str) -> None:
    text, said = MISTAKES[mistake]
    path = tmp_path / "smsproxy.toml"
    path.write_text(text)
    done = smsproxy("serve", "--config", str(path), "--data-dir", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith(f"smsproxy: {path}: ") and said in lines[0], lines[0]


def test_a_busy_port_names_the_setting_that_moves_it(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = smsproxy(
            "serve",
            "--port",
            str(port),
            "--upstream",
            "http://127.0.0.1:1",
            "--data-dir",
            str(tmp_path),
            cwd=tmp_path,
        )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"the proxy's port {port} moves with --port or SMSPROXY_PORT" in lines[0]


def test_a_bad_kind_is_said_before_a_busy_sandbox_port(tmp_path: Path) -> None:
    """The configuration is checked before anything listens: with a wrong kind and the
    embedded sandbox's port taken, the kind is what is said (not the bind error)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = tmp_path / "smsproxy.toml"
        path.write_text(
            f'[[providers]]\nname = "a"\nkind = "handler_api"\n'
            f'base_url = "http://127.0.0.1:{port}"\nkey_env = "K"\nsandbox = true\n'
            '[[tenants]]\nkey_env = "K"\n'
        )
        done = smsproxy("serve", "--config", str(path), "--data-dir", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "provider a: unknown kind handler_api (did you mean handler-api?)" in lines[0]
