"""The house's measures, read from the source: few flat modules in `proxy/`, no product
module past 500 lines, no class with more than 30 public methods, no port wider than 20."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = sorted(p for package in ("proxy", "adapters") for p in (ROOT / package).rglob("*.py"))
MAX_FLAT = 8
MAX_LINES = 500
MAX_PUBLIC_METHODS = 30
MAX_PORT_METHODS = 20


def classes() -> list[tuple[str, ast.ClassDef]]:
    found = []
    for path in PRODUCT:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                found.append((f"{path.relative_to(ROOT)}:{node.name}", node))
    return found


def public_methods(node: ast.ClassDef) -> list[str]:
    return [
        item.name
        for item in node.body
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
        and not item.name.startswith("_")
    ]


def port_methods(name: str, ports: dict[str, ast.ClassDef]) -> set[str]:
    """A port's methods, its bases' among them (a port that extends others is as wide
    as all of them together)."""
    node = ports[name]
    found = set(public_methods(node))
    for base in node.bases:
        if isinstance(base, ast.Name) and base.id in ports:
            found |= port_methods(base.id, ports)
    return found


def test_few_modules_sit_flat_in_proxy() -> None:
    flat = sorted(p.name for p in (ROOT / "proxy").glob("*.py"))
    assert len(flat) <= MAX_FLAT, flat


@pytest.mark.parametrize("path", PRODUCT, ids=[str(p.relative_to(ROOT)) for p in PRODUCT])
def test_no_product_module_is_longer_than_500_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_no_class_has_more_than_30_public_methods() -> None:
    wide = {name: len(public_methods(node)) for name, node in classes()}
    assert {n: c for n, c in wide.items() if c > MAX_PUBLIC_METHODS} == {}


def test_no_port_has_more_than_20_methods() -> None:
    tree = ast.parse((ROOT / "proxy" / "ports.py").read_text())
    ports = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    widths = {name: len(port_methods(name, ports)) for name in ports}
    assert {n: w for n, w in widths.items() if w > MAX_PORT_METHODS} == {}


def test_the_measures_measure() -> None:
    wide = ast.parse("class Wide:\n" + "".join(f"    def m{i}(self): ...\n" for i in range(31)))
    node = wide.body[0]
    assert isinstance(node, ast.ClassDef) and len(public_methods(node)) == 31
    ports = {
        n.name: n
        for n in ast.parse(
            "class A:\n    def a(self): ...\nclass B(A):\n    def b(self): ...\n"
        ).body
        if isinstance(n, ast.ClassDef)
    }
    assert port_methods("B", ports) == {"a", "b"}
