"""Each fault kind, and that faults strike only where they are set."""

from __future__ import annotations

import json

import httpx
import pytest

from .conftest import Sandbox


async def test_error_fault_strikes_before_the_vendor_acts(sandbox: Sandbox) -> None:
    await sandbox.control(
        "POST", "/faults", {"endpoint": "rent-a-number", "error_rate": 1, "error_status": 502}
    )
    r = await sandbox.post("/rent-a-number", {"service": "whatsapp"})
    assert (r.status_code, r.json()) == (502, {"errors": "Server Error"})
    assert await sandbox.balance() == "100.00"  # other endpoints unaffected, nothing charged


async def test_maintenance_fault_body(sandbox: Sandbox) -> None:
    await sandbox.control(
        "POST", "/faults", {"endpoint": "*", "error_rate": 1, "error_status": 503}
    )
    r = await sandbox.get("/balance")
    assert (r.status_code, r.json()) == (503, {"errors": "Service is under maintenance"})


async def test_latency_fault_delays_answers(sandbox: Sandbox) -> None:
    await sandbox.control("POST", "/faults", {"endpoint": "balance", "latency_ms": 2000})
    with pytest.raises(httpx.ReadTimeout):
        await sandbox.get("/balance", timeout=0.2)
    assert (await sandbox.get("/prices-info", timeout=1)).status_code == 200


async def test_an_answer_delay_comes_after_the_vendor_acted(sandbox: Sandbox) -> None:
    await sandbox.control(
        "POST", "/faults", {"endpoint": "rent-a-number", "answer_delay_ms": 2000, "jitter_ms": 5}
    )
    with pytest.raises(httpx.ReadTimeout):
        await sandbox.post("/rent-a-number", {"service": "whatsapp"}, timeout=0.5)
    rentals = (await sandbox.control("GET", "/rentals"))["rentals"]
    assert len(rentals) == 1  # sold, and counted against the rent limit when it arrived
    counted = (await sandbox.control("GET", "/stats"))["counted"]
    assert [c["group"] for c in counted] == ["rent"]


async def test_timeout_fault_hides_a_completed_purchase(sandbox: Sandbox) -> None:
    await sandbox.control(
        "POST", "/faults", {"endpoint": "rent-a-number", "timeout_rate": 1, "timeout_seconds": 30}
    )
    with pytest.raises(httpx.ReadTimeout):
        await sandbox.call("POST", "/rent-a-number", {"service": "whatsapp"}, timeout=0.3)
    assert await sandbox.balance() == "99.45"  # charged: the outcome was unknown, not failed


async def test_reset_fault_drops_the_connection_after_acting(sandbox: Sandbox) -> None:
    await sandbox.control("POST", "/faults", {"endpoint": "rent-a-number", "reset_rate": 1})
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        await sandbox.post("/rent-a-number", {"service": "whatsapp"})
    assert await sandbox.balance() == "99.45"
    stats = await sandbox.control("GET", "/stats")
    assert stats["log"][-2]["status"] == 499


async def test_malformed_fault_truncates_json(sandbox: Sandbox) -> None:
    await sandbox.control("POST", "/faults", {"endpoint": "balance", "malformed_rate": 1})
    r = await sandbox.get("/balance")
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)


async def test_rates_are_probabilities_with_a_seeded_draw(sandbox: Sandbox) -> None:
    await sandbox.control("POST", "/faults", {"endpoint": "balance", "error_rate": 0.5})
    codes = [(await sandbox.get("/balance")).status_code for _ in range(40)]
    assert 0 < codes.count(500) < 40 and set(codes) == {200, 500}


async def test_delete_clears_every_fault(sandbox: Sandbox) -> None:
    await sandbox.control("POST", "/faults", {"endpoint": "*", "error_rate": 1})
    assert (await sandbox.get("/balance")).status_code == 500
    await sandbox.control("DELETE", "/faults")
    assert (await sandbox.get("/balance")).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"endpoint": "*", "error_rate": 2},
        {"endpoint": "*", "error_rate": "often"},
        {"endpoint": "*", "error_status": 200},
        {"endpoint": "", "error_rate": 1},
        {"endpoint": "*", "latency_ms": -5},
        {"endpoint": "*", "jitter_ms": -1},
        {"endpoint": "*", "answer_delay_ms": "slow"},
    ],
)
async def test_bad_fault_settings_are_refused(sandbox: Sandbox, body: dict[str, object]) -> None:
    r = await sandbox.http.post(sandbox.base + "/_sandbox/faults", json=body)
    assert r.status_code == 400 and "errors" in r.json()
