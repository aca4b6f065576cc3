"""The import rules of docs/architecture.md, checked on every module's own import
statements (TYPE_CHECKING and function-local ones included): one table of what each
package may import, and no import circle anywhere."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
EVERYTHING = ("proxy", "adapters")
VOCABULARY = ("proxy.domain", "proxy.errors", "proxy.__version__")  # and the version
CORE = (*VOCABULARY, "proxy.ports")

# package (the longest matching prefix rules) -> (project imports allowed, third parties
# allowed); a package may always import itself and the standard library
RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "proxy.__init__": ((), ()),
    "adapters.__init__": ((), ()),
    "proxy.domain": ((), ()),
    "proxy.errors": ((), ()),
    "proxy.ports": (VOCABULARY, ()),
    "proxy.inputs": ((), ()),
    "proxy.config": (VOCABULARY, ()),
    "proxy.router": (CORE, ()),
    "proxy.local": (CORE, ("cachetools",)),
    "proxy.fleet": ((*CORE, "proxy.local", "proxy.router"), ("redis",)),
    "proxy.store": ((*CORE, "proxy.local.recent"), ("asyncpg",)),
    # the use cases: caches and pacing through ports (Redis implements them too)...
    "proxy.service": (
        (*CORE, "proxy.router", "proxy.inputs", "proxy.local.recent", "proxy.local.tasks"),
        ("cachetools",),
    ),
    # ...only the service's composition picks the in-process defaults
    "proxy.service.__init__": (
        (*CORE, "proxy.router", "proxy.local", "proxy.telemetry.null_observer"),
        (),
    ),
    "proxy.service.context": (
        (*CORE, "proxy.router", "proxy.local", "proxy.telemetry.null_observer"),
        (),
    ),
    "proxy.telemetry": (
        (*CORE, "proxy.router", "proxy.local.caching", "proxy.local.pacing"),
        ("prometheus_client",),
    ),
    "proxy.web": (
        (*CORE, "proxy.config", "proxy.inputs", "proxy.service", "proxy.telemetry"),
        ("aiohttp", "multidict"),
    ),
    "proxy.cli": (EVERYTHING, ("aiohttp", "asyncpg", "uvloop")),
    "proxy.app": (EVERYTHING, ("aiohttp", "redis")),  # the composition root
    "proxy.sandbox": ((), ("aiohttp", "multidict")),  # plays the vendor, shares nothing
    "adapters.dialects": (
        (*VOCABULARY, "proxy.service", "proxy.inputs", "proxy.web.app_keys"),
        ("aiohttp.web", "multidict", "cachetools"),
    ),
    # a vendor package is an HTTP client: aiohttp's client, never its server side
    "adapters.upstreams": (CORE, ("aiohttp.client", "aiohttp.ClientSession", "aiohttp")),
}
FORBIDDEN_THIRD = {"adapters.upstreams": ("aiohttp.web",)}


def modules() -> list[tuple[str, Path]]:
    found = []
    for package in EVERYTHING:
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


def under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def rule_for(name: str, is_package: bool = False) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    key = f"{name}.__init__" if is_package else name
    matches = [p for p in RULES if under(key, p)]
    assert matches, f"{name} is in no package of the table: add a row"
    prefix = max(matches, key=len)
    return (prefix, *RULES[prefix])


def violations(name: str, found: set[str], is_package: bool = False) -> list[str]:
    prefix, project, third = rule_for(name, is_package)
    own = prefix.removesuffix(".__init__")
    bad = []
    for m in found:
        top = m.split(".")[0]
        if top in STDLIB:
            continue
        if top in EVERYTHING:
            if not under(m, own) and not any(under(m, p) for p in project):
                bad.append(m)
        elif not any(under(m, t) for t in third) or any(
            under(m, f) for f in FORBIDDEN_THIRD.get(own, ())
        ):
            bad.append(m)
    return bad


MODULES = modules()


@pytest.mark.parametrize(("name", "path"), MODULES, ids=[n for n, _ in MODULES])
def test_module_keeps_the_import_rules(name: str, path: Path) -> None:
    assert violations(name, imports(name, path), path.name == "__init__.py") == []


def test_the_checker_catches_a_violation() -> None:
    assert violations("adapters.dialects.x", {"adapters.upstreams.getatext"})
    assert violations("adapters.upstreams.x", {"proxy.service"})
    assert violations("adapters.upstreams.x", {"aiohttp.web.Response"})
    assert violations("proxy.domain", {"aiohttp"})
    assert violations("proxy.service.rent", {"httpx"})
    assert violations("proxy.sandbox.routes", {"proxy.service"})
    assert violations("proxy.service.rent", {"proxy.telemetry.metrics.Metrics"})
    assert violations("proxy.service.catalog", {"proxy.local.caching.TtlCache"})
    assert not violations("proxy.service", {"proxy.local.caching.TtlCache"}, is_package=True)
    assert violations("proxy.store.sqlite", {"proxy.service"})


def graph() -> dict[str, set[str]]:
    names = {name for name, _ in MODULES}

    def resolve(m: str) -> str | None:
        parts = m.split(".")
        while parts and ".".join(parts) not in names:
            parts.pop()
        return ".".join(parts) or None

    edges: dict[str, set[str]] = {}
    for name, path in MODULES:
        targets = {resolve(m) for m in imports(name, path)}
        edges[name] = {t for t in targets if t is not None and t != name}
    return edges


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_circle() -> None:
    assert circles(graph()) == []


def test_the_circle_finder_finds_one() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
