"""The import rules of ARCHITECTURE.md, checked on every module's own import statements."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
AIOHTTP_IN_CORE = {
    "proxy.app",
    "proxy.observed",
    "proxy.keys",
    "proxy.webhooks",
    "proxy.cli",
    "proxy.endpoints",  # operational HTTP endpoints (admin, health, metrics)
    "proxy.admin_keys",  # the admin HTTP API for issued keys
    "proxy.admin_usage",  # the admin HTTP API for the ledger
    "proxy.webhook_sender",  # deliveries to tenants' webhooks: aiohttp's client
    "proxy.server",  # the HTTP server that never quotes an unreadable request
}
COMPOSITION_ROOT = {"proxy.app", "proxy.cli"}


def modules() -> list[tuple[str, Path]]:
    found = []
    for package in ("proxy", "adapters"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found.append((".".join(parts), path))
    return found


def imports(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    result: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            result.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            result.update(f"{module}.{alias.name}" for alias in node.names)
    return result


def within(name: str, packages: set[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def violations(name: str, found: set[str]) -> list[str]:
    bad: list[str] = []

    def top(m: str) -> str:
        return m.split(".")[0]

    if name in ("proxy.domain", "proxy.errors"):
        bad += [m for m in found if top(m) not in STDLIB]
    elif name.startswith("proxy.sandbox"):
        bad += [
            m
            for m in found
            if top(m) in ("adapters", "httpx")
            or (top(m) == "proxy" and not m.startswith("proxy.sandbox"))
        ]
    elif name.startswith("proxy"):
        if name.startswith("proxy.service"):  # it measures through the Observer port only
            bad += [m for m in found if m.startswith("proxy.telemetry.metrics")]
        if name.startswith("proxy.service.") and name != "proxy.service.context":
            # the use cases reach caches and pacing through ports (Redis implements them
            # too); only the service's composition picks the in-process defaults
            bad += [m for m in found if m.startswith(("proxy.local.caching", "proxy.local.pacing"))]
        if not within(name, COMPOSITION_ROOT):
            bad += [m for m in found if top(m) == "adapters"]
        if not within(name, AIOHTTP_IN_CORE):
            bad += [m for m in found if top(m) == "aiohttp"]
        bad += [m for m in found if top(m) == "httpx"]
    elif name.startswith("adapters.dialects"):
        bad += [m for m in found if m.startswith("adapters.upstreams") or top(m) == "httpx"]
        bad += [
            m
            for m in found
            if top(m) == "proxy"
            and m.split(".")[1] not in ("domain", "errors", "service", "keys", "inputs")
        ]
    elif name.startswith("adapters.upstreams"):
        # a vendor package is an HTTP client: aiohttp's client, never its server side
        bad += [m for m in found if m.startswith(("adapters.dialects", "aiohttp.web"))]
        bad += [m for m in found if top(m) == "httpx"]
        bad += [
            m
            for m in found
            if top(m) == "proxy" and m.split(".")[1] not in ("domain", "errors", "ports")
        ]
    return bad


@pytest.mark.parametrize(("name", "path"), modules(), ids=[n for n, _ in modules()])
def test_module_keeps_the_import_rules(name: str, path: Path) -> None:
    assert violations(name, imports(name, path)) == []


def test_the_checker_catches_a_violation() -> None:
    assert violations("adapters.dialects.x", {"adapters.upstreams.getatext"})
    assert violations("adapters.upstreams.x", {"proxy.service"})
    assert violations("proxy.domain", {"aiohttp"})
    assert violations("proxy.service.rent", {"httpx"})
    assert violations("proxy.sandbox.routes", {"proxy.service"})
    assert violations("proxy.service.rent", {"proxy.telemetry.metrics.Metrics"})
    assert violations("proxy.service.catalog", {"proxy.local.caching.TtlCache"})
