"""/metrics, /healthz, /readyz: right shapes, no secrets, no 500s."""

from __future__ import annotations

import re

import pytest

from .conftest import DEMO, World


async def test_metrics_after_traffic(world: World) -> None:
    activation_id, _ = await world.rent()
    await world.text(action="getStatus", id="123456")  # NotFound
    await world.text(action="nope")
    r = await world.http.get(world.proxy + "/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = r.text
    assert (
        'smsproxy_client_requests_total{action="getNumber",dialect="sms-activate",'
        'result="ok",source="upstream"} 1.0'
    ) in text
    assert (
        'smsproxy_client_requests_total{action="getStatus",dialect="sms-activate",'
        'result="NotFound",source="proxy"} 1.0'
    ) in text
    assert (
        'smsproxy_client_requests_total{action="unknown",dialect="sms-activate",'
        'result="bad_request",source="proxy"} 1.0'
    ) in text
    assert (
        'smsproxy_upstream_requests_total{endpoint="rent-a-number",outcome="2xx",'
        'provider="getatext"} 1.0'
    ) in text
    assert 'smsproxy_activations{status="waiting"} 1.0' in text
    assert 'smsproxy_rentals_total{provider="getatext",service="whatsapp"} 1.0' in text
    assert 'smsproxy_rental_cost_dollars_total{provider="getatext",service="whatsapp"} 0.55' in text
    assert 'smsproxy_pacing_rejections_total{group="rent"} 0.0' in text  # known in advance
    assert DEMO not in text and activation_id not in re.sub(r"\d+\.\d+", "", text)


async def test_health_endpoints(world: World) -> None:
    alive = await world.http.get(world.proxy + "/healthz?x=1")
    assert (alive.status_code, alive.json()) == (200, {"status": "alive"})
    fresh = await world.http.get(world.proxy + "/readyz")
    assert fresh.json() == {"ready": True, "store": "ok", "upstream": "not contacted yet"}
    await world.text(action="getBalance")
    assert (await world.http.get(world.proxy + "/readyz")).json()["upstream"] == "ok"
    await world.control(
        "POST",
        "/faults",
        {"endpoint": "balance", "error_rate": 1, "reset_rate": 0, "error_status": 502},
    )
    await world.control("POST", "/faults", {"endpoint": "balance", "reset_rate": 1})
    await world.text(action="getBalance")
    down = await world.http.get(world.proxy + "/readyz")
    assert (down.status_code, down.json()["upstream"]) == (503, "last call failed")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/metrics", 405),
        ("DELETE", "/healthz", 405),
        ("PUT", "/readyz", 405),
        ("GET", "/nothing-here", 404),
        ("GET", "/admin/negative-cache", 404),
    ],
)
async def test_operational_endpoints_refuse_cleanly(
    world: World, method: str, path: str, status: int
) -> None:
    r = await world.http.request(method, world.proxy + path)
    assert r.status_code == status


@pytest.mark.parametrize(
    ("path", "status"),
    [
        # a HEAD never runs a handler_api action (getNumber would buy a number unseen)
        ("/stubs/handler_api.php?action=getNumber&service=wa&api_key=" + DEMO, 405),
        ("/sms-activate/stubs/handler_api.php?action=getBalance&api_key=" + DEMO, 405),
        ("/v1/user/profile", 405),
        ("/healthz", 200),  # operational GETs answer HEAD, as load balancers ask
        ("/readyz", 200),
    ],
)
async def test_head_runs_only_what_was_declared_for_it(
    world: World, path: str, status: int
) -> None:
    before = await world.stats()
    r = await world.http.head(world.proxy + path)
    assert r.status_code == status
    assert (await world.stats()) == before  # nothing reached the vendor


async def test_every_route_answers_with_its_own_request_id(world: World) -> None:
    seen = set()
    for path in (
        "/stubs/handler_api.php?action=getBalance&api_key=" + DEMO,
        "/healthz",
        "/v1/user/profile",
        "/api/v1/balance",
        "/metrics",
    ):
        r = await world.http.get(world.proxy + path)
        assert re.fullmatch(r"[0-9a-f]{16}", r.headers["X-Request-Id"]), path
        seen.add(r.headers["X-Request-Id"])
    assert len(seen) == 5
