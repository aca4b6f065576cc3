"""Upstream discipline end to end: the vendor sees a polite stream whatever clients do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from proxy import config
from proxy.app import build_app
from proxy.local.clock import ManualClock
from proxy.sandbox import SandboxClock, SandboxConfig, create_app

from .conftest import World, hook_path, start_world

SECRET = "hook-secret-123"


@pytest.fixture
async def paced(tmp_path: Path) -> AsyncIterator[World]:
    """Pacing on, and a sandbox on wall time so its own 1-second windows are real."""
    sandbox_clock = SandboxClock(frozen=False)
    sandbox = TestServer(create_app(SandboxConfig(seed=3), sandbox_clock), host="127.0.0.1")
    await sandbox.start_server()
    url = str(sandbox.make_url("")).rstrip("/")
    clock = ManualClock()
    app = build_app(
        config.load(
            env={}, upstream_url=url, data_dir=tmp_path, secret="t", pacing_max_wait_seconds=30.0
        ),
        clock=clock,
    )
    proxy = TestServer(app, host="127.0.0.1")
    await proxy.start_server()
    import httpx

    async with httpx.AsyncClient(timeout=30) as http:
        yield World(str(proxy.make_url("")).rstrip("/"), url, http, clock, sandbox_clock)
    await proxy.close()
    await sandbox.close()


async def test_burst_is_paced_without_a_single_429(paced: World) -> None:
    answers = await asyncio.gather(
        *(paced.text(action="getNumber", service="wa") for _ in range(7))
    )
    assert all(a.startswith("ACCESS_NUMBER:") for a in answers), answers
    stats = await paced.stats()
    assert stats["throttled"] == 0
    assert stats["by_endpoint"]["rent-a-number"] == 7


async def test_a_wait_beyond_the_bound_is_a_transient_error(tmp_path: Path) -> None:
    # slots at 0, 0.52 and 1.04 s: with a 0.6 s bound the third caller is refused at once
    async for w in start_world(tmp_path, pacing_enabled=True, pacing_max_wait_seconds=0.6):
        answers = await asyncio.gather(
            w.text(action="getNumber", service="wa"),
            w.text(action="getNumber", service="wa"),
            w.gat(action="getNumber", service="whatsapp"),
        )
        refusals = {"NO_NUMBERS", "RENTAL_ERROR_TRY_AGAIN"}  # SA and Getatext words for it
        refused = [(i, a) for i, a in enumerate(answers) if not a.startswith("ACCESS_NUMBER")]
        assert len(refused) == 1 and refused[0][1] in refusals
        assert (refused[0][0] == 2) == (refused[0][1] == "RENTAL_ERROR_TRY_AGAIN")
        assert (await w.stats())["by_endpoint"]["rent-a-number"] == 2


@pytest.fixture
async def hooked(tmp_path: Path) -> AsyncIterator[World]:
    async for w in start_world(tmp_path, webhook_secret=SECRET):
        await w.control(
            "POST",
            "/accounts",
            {"api_key": "sk_sandbox_demo", "webhook_url": w.proxy + hook_path(SECRET)},
        )
        yield w


async def test_webhook_brings_the_code_without_a_status_poll(hooked: World) -> None:
    activation_id, number = await hooked.rent("wa")
    assert await hooked.text(action="getStatus", id=activation_id) == "STATUS_WAIT_CODE"
    await hooked.sms(number, "555123")
    await hooked.control("POST", "/webhooks/drain")
    assert await hooked.text(action="getStatus", id=activation_id) == "STATUS_OK:555123"
    stats = await hooked.stats()
    assert stats["webhooks"] == {"sent": 1, "failed": 0}
    assert stats["by_endpoint"].get("rental-status", 0) == 0
    # finishing still works: the proxy shows the code to the vendor first ("viewed")
    assert (
        await hooked.text(action="setStatus", id=activation_id, status="6") == "ACCESS_ACTIVATION"
    )
    assert (await hooked.stats())["by_endpoint"]["rental-status"] == 1


async def test_webhook_reconciliation_polls_only_after_the_interval(hooked: World) -> None:
    activation_id, _ = await hooked.rent("tg")
    for _ in range(5):
        await hooked.text(action="getStatus", id=activation_id)
    assert (await hooked.stats())["by_endpoint"].get("rental-status", 0) == 0
    await hooked.tick(30)
    await hooked.text(action="getStatus", id=activation_id)
    assert (await hooked.stats())["by_endpoint"]["rental-status"] == 1


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        (hook_path(SECRET), b"not json", 400),
        (hook_path(SECRET), b"[1,2]", 400),
        (hook_path(SECRET), b'{"id": "x", "code": 1}', 400),
        (hook_path(SECRET), b'{"id": 5, "code": null}', 400),
        (hook_path(SECRET), b'{"id": 5, "code": 123456}', 200),
        ("/webhooks/nosuchvendor/x", b'{"id": 5, "code": 123456}', 404),
    ],
)
async def test_webhook_bad_input(hooked: World, path: str, body: bytes, status: int) -> None:
    r = await hooked.http.post(hooked.proxy + path, content=body)
    assert r.status_code == status
    assert await hooked.text(action="getBalance") == "ACCESS_BALANCE:100.00"


async def test_webhook_duplicates_are_harmless(hooked: World) -> None:
    activation_id, number = await hooked.rent("wa")
    rental = (await hooked.stats())["log"]
    assert rental
    upstream_id = await hooked.http.post(
        hooked.sandbox + "/_sandbox/sms", json={"number": number, "code": "777000"}
    )
    (delivered,) = upstream_id.json()["delivered"]
    await hooked.control("POST", "/webhooks/drain")
    url = hooked.proxy + hook_path(SECRET)
    again = await hooked.http.post(url, json={"id": delivered, "code": 777000})
    assert (again.status_code, again.json()) == (200, {"result": "ignored: already known"})
    assert await hooked.text(action="getStatus", id=activation_id) == "STATUS_OK:777000"


async def test_webhook_allow_list(tmp_path: Path) -> None:
    async for w in start_world(tmp_path, webhook_secret=SECRET, webhook_allow="10.0.0.0/8"):
        r = await w.http.post(w.proxy + hook_path(SECRET), json={"id": 1, "code": 1})
        assert r.status_code == 403


async def test_repeated_failed_combination_never_reaches_the_vendor(world: World) -> None:
    await world.control(
        "PUT",
        "/services",
        [
            {"api_name": "whatsapp", "price": 0.55, "stock": 5},
            {"api_name": "telegram", "price": 0.45, "stock": 0},
        ],
    )
    for _ in range(3):
        assert (
            await world.text(action="getMultiServiceNumber", multiService="wa,tg") == "NO_NUMBERS"
        )
        await world.tick(1)
    assert (await world.stats())["by_endpoint"]["rent-multiple-services"] == 1
    assert await world.gat(action="getNumber", service="whatsapp") != "OUT_OF_STOCK"


async def test_admin_lists_and_purges_negative_entries(tmp_path: Path) -> None:
    async for w in start_world(tmp_path, admin_token="adm"):
        await w.control(
            "PUT",
            "/services",
            [
                {"api_name": "whatsapp", "price": 0.5, "stock": 0},
                {"api_name": "telegram", "price": 0.5, "stock": 5},
            ],
        )
        await w.text(action="getMultiServiceNumber", multiService="wa,tg")
        hidden = await w.http.get(w.proxy + "/admin/negative-cache")
        assert hidden.status_code == 404
        listed = await w.http.get(
            w.proxy + "/admin/negative-cache", headers={"X-Admin-Token": "adm"}
        )
        entries = listed.json()["combinations"]
        assert len(entries) == 1 and "telegram" in next(iter(entries))
        purged = await w.http.delete(
            w.proxy + "/admin/negative-cache", headers={"X-Admin-Token": "adm"}
        )
        assert purged.json() == {"purged": 1}


async def test_price_storm_costs_one_upstream_call(world: World) -> None:
    answers = await asyncio.gather(*(world.sa(action="getPrices", service="wa") for _ in range(50)))
    assert {a.text for a in answers} == {
        '{"187":{"wa":{"cost":0.55,"count":66,"physicalCount":66}}}'
    }
    assert (await world.stats())["by_endpoint"]["prices-info"] == 1


async def test_concurrent_polls_share_one_upstream_call(world: World) -> None:
    activation_id, _ = await world.rent("tg")
    await world.tick(5)
    answers = await asyncio.gather(
        *(world.text(action="getStatus", id=activation_id) for _ in range(20))
    )
    assert set(answers) == {"STATUS_WAIT_CODE"}
    assert (await world.stats())["by_endpoint"]["rental-status"] == 1


async def test_balance_reads_are_coalesced(world: World) -> None:
    answers = await asyncio.gather(*(world.text(action="getBalance") for _ in range(20)))
    assert set(answers) == {"ACCESS_BALANCE:100.00"}
    assert (await world.stats())["by_endpoint"]["balance"] < 20


def vendor_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


async def test_a_replayed_or_older_code_never_replaces_a_newer_one(hooked: World) -> None:
    """Vendors retry webhooks: 111111 then 222222 arrive, then 111111 again (with its
    own `received_at`, and without one) and a code the vendor dates before 222222."""
    activation_id, number = await hooked.rent("wa")
    url = hooked.proxy + hook_path(SECRET)
    came: dict[str, float] = {}
    for code in ("111111", "222222"):
        sent = await hooked.control("POST", "/sms", {"number": number, "code": code})
        (upstream_id,) = sent["delivered"]
        came[code] = hooked.clock.now()
        await hooked.control("POST", "/webhooks/drain")
        assert await hooked.text(action="getStatus", id=activation_id) == f"STATUS_OK:{code}"
        await hooked.tick(5)
    replays = [
        {"id": upstream_id, "code": 111111},
        {"id": upstream_id, "code": 111111, "received_at": vendor_time(came["111111"])},
        {"id": upstream_id, "code": 333333, "received_at": vendor_time(came["222222"] - 3)},
        {"id": upstream_id, "code": 222222, "received_at": vendor_time(came["222222"])},
    ]
    for body in replays:
        answer = await hooked.http.post(url, json=body)
        assert (answer.status_code, answer.json()) == (200, {"result": "ignored: already known"})
        assert await hooked.text(action="getStatus", id=activation_id) == "STATUS_OK:222222"
    newer = {"id": upstream_id, "code": 444444, "received_at": vendor_time(hooked.clock.now())}
    answer = await hooked.http.post(url, json=newer)
    assert (answer.status_code, answer.json()) == (200, {"result": "accepted"})
    assert await hooked.text(action="getStatus", id=activation_id) == "STATUS_OK:444444"
