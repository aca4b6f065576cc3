"""The docs work as typed: every marked shell block of README.md, docs/routing.md's
worked example, docs/tenants.md's walk-through and docs/fleet.md's recipe runs in order
against a fresh data dir, and prints what the docs show (doc_sessions.py)."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from .doc_sessions import ROOT, Session, run_suite
from .test_durability import free_port

# suite -> (the files it reads, the ports it uses)
SUITES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "readme": (("README.md",), ("8080", "9300")),
    "routing": (("docs/routing.md",), ("8080", "9301", "9302", "9303")),
    "tenants": (("docs/tenants.md",), ("8080", "9301")),
    "fleet": (("docs/fleet.md",), ("8081", "8082", "9300")),
}


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_the_docs_work_as_typed(tmp_path: Path, suite: str) -> None:
    files, ports = SUITES[suite]
    moved = {port: str(free_port()) for port in ports}
    moved["smsproxy_demo"] = f"smsproxy_docs_{uuid.uuid4().hex[:10]}"
    session = Session(tmp_path, moved)
    try:
        ran = list(run_suite([ROOT / f for f in files], suite, session))
        assert len(ran) >= 3, f"{suite}: too few marked steps: {ran}"
    finally:
        session.close()
        forget(moved["smsproxy_demo"])


def forget(name: str) -> None:
    """What the fleet recipe kept under its unique name: its database, its Redis keys."""
    subprocess.run(["dropdb", "-h", "127.0.0.1", "--if-exists", name], check=False)
    found = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "--scan", "--pattern", f"{name}*"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    if found:
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "del", *found], check=False)
