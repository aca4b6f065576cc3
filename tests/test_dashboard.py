"""The dashboard and the registry agree: every panel's metric exists, every family is shown."""

from __future__ import annotations

import json
import re
from pathlib import Path

from adapters.dialects import NAMES
from proxy.telemetry.metrics import Metrics

DASHBOARD = Path(__file__).resolve().parents[1] / "grafana" / "dashboards" / "smsproxy.json"
SUFFIXES = ("_bucket", "_count", "_sum", "_total")


def expressions() -> list[str]:
    board = json.loads(DASHBOARD.read_text())
    return [t["expr"] for p in board["panels"] for t in p.get("targets", [])]


def family(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def dashboard_families() -> set[str]:
    return {family(n) for e in expressions() for n in re.findall(r"smsproxy_[a-z_]+", e)}


def registry_families() -> set[str]:
    return {m.name for m in Metrics(NAMES).registry.collect()}


def test_every_dashboard_metric_exists() -> None:
    missing = dashboard_families() - registry_families()
    assert not missing, f"panels query metrics the registry does not export: {sorted(missing)}"


def test_every_exported_family_is_on_a_panel() -> None:
    unshown = registry_families() - dashboard_families()
    assert not unshown, f"families no panel shows: {sorted(unshown)}"


def test_every_selector_honours_the_instance_variable() -> None:
    for expr in expressions():
        for selector in re.findall(r"smsproxy_[a-z_]+(\{[^}]*\})?", expr):
            assert 'instance=~"$instance"' in selector, expr


def test_generated_file_is_current() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate", DASHBOARD.parents[1] / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert json.loads(DASHBOARD.read_text()) == module.dashboard(), (
        "grafana/dashboards/smsproxy.json is stale: run python grafana/generate.py"
    )
