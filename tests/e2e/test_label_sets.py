"""Metric label sets are derived from their sources (the dialects' registry, the error
tree), so nothing the proxy serves is counted as `other` or `internal`: one request to
every dialect of a running proxy, then the exposition read back."""

from __future__ import annotations

import re

from adapters.dialects import DIALECTS, NAMES
from proxy import errors
from proxy.telemetry.metrics import RESULTS

from .conftest import DEMO, World

# one balance read per REST dialect, with the demo key
REST_READS = {
    "5sim": ("GET", "/v1/user/profile", {"Authorization": f"Bearer {DEMO}"}),
    "v1": ("GET", "/api/v1/balance", {"Auth": DEMO}),
    "onlinesim": ("GET", f"/api/getBalance.php?apikey={DEMO}", {}),
    "smspool": ("GET", f"/smspool/request/balance?key={DEMO}", {}),
    "textverified": ("GET", "/api/pub/v2/account/me", {}),  # no token: 401, still counted
}


def test_every_concrete_error_is_a_result_label() -> None:
    names = {c.__name__ for c in errors.concrete_errors()}
    assert names <= set(RESULTS)
    assert {"ok", "bad_request", "internal"} <= set(RESULTS)


def test_the_registry_names_every_dialect_once() -> None:
    assert len(NAMES) == len(set(NAMES)) == 12
    assert {f.name for f in DIALECTS.values()} | set(REST_READS) == set(NAMES)


async def test_every_dialect_is_counted_under_its_own_name(world: World) -> None:
    for prefix in DIALECTS:
        await world.sa(prefix + "/stubs/handler_api.php", action="getBalance")
    for method, path, headers in REST_READS.values():
        await world.http.request(method, world.proxy + path, headers=headers)
    text = (await world.http.get(world.proxy + "/metrics")).text
    counted = set(re.findall(r'smsproxy_client_requests_total\{[^}]*dialect="([^"]+)"', text))
    assert counted == set(NAMES)
    results = set(re.findall(r'smsproxy_client_requests_total\{[^}]*result="([^"]+)"', text))
    assert "internal" not in results and results <= set(RESULTS)
