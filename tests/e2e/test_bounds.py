"""A client cannot move the proxy's memory, health, or another tenant's answers."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
from collections.abc import AsyncIterator

import pytest

from adapters.upstreams import Upstreams
from proxy.domain import Timeouts
from proxy.errors import BadKey
from proxy.local.clock import ManualClock
from proxy.local.pacing import Pacer
from proxy.service import Service, ServiceSettings
from proxy.service.identity import Identity
from proxy.store import MemoryStore

from .conftest import DEMO, World
from .test_durability import free_port

BOGUS_KEYS = 20_000
BATCH = 1_000
WARM_UP = 3_000
CONCURRENT = 50


def rss_bytes() -> int:
    gc.collect()  # exceptions and their frames form cycles: count what is really held
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture
async def vendor() -> AsyncIterator[str]:
    """The sandbox in a process of its own, so the RSS measured is the proxy's alone."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "proxy.cli",
        "sandbox",
        "--port",
        str(port),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    banner = await asyncio.wait_for(proc.stdout.readline(), 20)
    assert banner.startswith(b"Getatext sandbox on"), banner
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    await proc.wait()


async def test_bogus_keys_leave_nothing_behind(vendor: str) -> None:
    clock = ManualClock()
    pacer = Pacer(now=clock.now)
    upstreams = Upstreams()
    service = Service(
        upstreams.provider("getatext", vendor, Timeouts()),
        MemoryStore(),
        clock,
        Identity(b"bounds"),
        # every key is asked of the vendor here: what per-key state does it leave?
        ServiceSettings(unknown_key_checks_per_second=1e9),
        pacer=pacer,
    )

    refusals = 0

    async def refused(key: str) -> None:
        nonlocal refusals
        try:
            await service.clients.balance(await service.clients.tenant(key))
        except BadKey:
            refusals += 1

    async def batch(start: int) -> None:
        for first in range(start, start + BATCH, CONCURRENT):
            await asyncio.gather(
                *(refused(f"sk_bogus_{i:06d}") for i in range(first, first + CONCURRENT))
            )
        clock.advance(Pacer.SWEEP_SECONDS)  # the time a real batch of this size takes

    for start in range(0, WARM_UP, BATCH):  # pools, caches, allocator arenas settle first
        await batch(start)
    before = rss_bytes()
    for start in range(WARM_UP, WARM_UP + BOGUS_KEYS, BATCH):
        await batch(start)
    grown = rss_bytes() - before
    assert refusals == WARM_UP + BOGUS_KEYS  # every one was asked of the vendor, which said no
    # the sweeps during the run left only the last batch (and the key checks' account)
    assert pacer.entries() <= BATCH + 1
    pacer.sweep()
    assert pacer.entries() == 0
    assert grown < 5 * 2**20, f"RSS grew {grown / 2**20:.1f} MiB"
    await service.upkeep.close()
    await upstreams.aclose()


async def test_a_broken_key_reaches_neither_the_vendor_nor_readiness(world: World) -> None:
    assert await world.text(action="getBalance") == "ACCESS_BALANCE:100.00"
    sent = (await world.stats())["requests"]
    r = await world.http.get(
        world.proxy + "/stubs/handler_api.php?action=getBalance&api_key=abc%0D%0AX:1"
    )
    assert r.text == "BAD_KEY"
    assert (await world.stats())["requests"] == sent
    ready = await world.http.get(world.proxy + "/readyz")
    assert (ready.status_code, ready.json()["upstream"]) == (200, "ok")


async def test_a_failed_combination_is_remembered_per_account(world: World) -> None:
    """The vendor remembers failed combinations per account, and so does the proxy:
    one tenant's failure is not another's answer."""
    other = "sk_other_tenant"
    await world.control("POST", "/accounts", {"api_key": other, "balance": 10})
    await world.control(
        "PUT",
        "/services",
        [
            {"api_name": "whatsapp", "price": 0.55, "stock": 5},
            {"api_name": "telegram", "price": 0.45, "stock": 0},
        ],
    )

    async def combination(key: str) -> str:
        answer = await world.text(key=key, action="getMultiServiceNumber", multiService="wa,tg")
        await world.tick(1)
        return answer

    assert await combination(DEMO) == "NO_NUMBERS"
    assert await combination(other) == "NO_NUMBERS"
    assert (await world.stats())["by_endpoint"]["rent-multiple-services"] == 2
    assert await combination(DEMO) == "NO_NUMBERS"  # from the proxy's memory now
    assert (await world.stats())["by_endpoint"]["rent-multiple-services"] == 2


async def test_v1_rental_status_does_not_need_the_balance(world: World) -> None:
    activation_id, number = await world.rent()
    await world.control("POST", "/faults", {"endpoint": "balance", "error_rate": 1})
    r = await world.http.post(
        world.proxy + "/api/v1/rental-status",
        json={"id": int(activation_id)},
        headers={"Auth": DEMO},
    )
    body = r.json()
    assert r.status_code == 200
    assert (body["id"], body["number"], body["status"], body["balance"]) == (
        int(activation_id),
        number,
        "active",
        None,  # the vendor would not say; the rest is known
    )


@pytest.mark.parametrize(
    ("dialect", "cancelled"),
    [("sa", "ACCESS_CANCEL"), ("5sim", "CANCELED"), ("v1", "cancelled")],
)
async def test_a_cancel_whose_answer_was_lost_can_be_repeated(
    world: World, dialect: str, cancelled: str
) -> None:
    activation_id, _ = await world.rent()
    await world.tick(61)  # past the vendor's first-minute lock

    async def cancel() -> str:
        if dialect == "sa":
            return (await world.sa(action="setStatus", id=activation_id, status="8")).text
        if dialect == "5sim":
            r = await world.http.get(
                f"{world.proxy}/v1/user/cancel/{activation_id}",
                headers={"Authorization": f"Bearer {DEMO}"},
            )
            return str(r.json().get("status")) if r.status_code == 200 else r.text
        r = await world.http.post(
            world.proxy + "/api/v1/cancel-rental",
            json={"id": int(activation_id)},
            headers={"Auth": DEMO},
        )
        return str(r.json().get("status")) if r.status_code == 200 else r.text

    await world.control("POST", "/faults", {"endpoint": "cancel-rental", "reset_rate": 1})
    assert await cancel() != cancelled  # the vendor cancelled it; the answer was lost
    await world.control("DELETE", "/faults")
    await world.tick(1)  # the vendor's cancel limit is one a second
    assert await cancel() == cancelled
    await world.tick(1)
    assert await cancel() == cancelled


async def test_a_listing_does_not_wait_for_a_hanging_vendor(world: World) -> None:
    ids = [(await world.rent(s))[0] for s in ("wa", "tg", "ig")]
    await world.tick(5)  # every one is due for a poll
    await world.control("POST", "/faults", {"endpoint": "rental-status", "latency_ms": 2000})
    # a client that gives up after one second still gets the listing, from the store
    r = await world.http.get(
        world.proxy + "/stubs/handler_api.php",
        params={"api_key": DEMO, "action": "getActiveActivations"},
        timeout=1.0,
    )
    rows = r.json()["activeActivations"]
    assert sorted(row["activationId"] for row in rows) == sorted(ids)


async def test_a_purchase_does_not_wait_for_the_price_list(world: World) -> None:
    await world.control("POST", "/faults", {"endpoint": "prices-info", "latency_ms": 2000})
    # a client that gives up after one second still gets its number
    r = await world.http.get(
        world.proxy + "/stubs/handler_api.php",
        params={"api_key": DEMO, "action": "getNumber", "service": "wa"},
        timeout=1.0,
    )
    assert r.text.startswith("ACCESS_NUMBER:")


async def test_another_sms_is_allowed_when_the_price_list_was_out_of_reach(world: World) -> None:
    await world.control("POST", "/faults", {"endpoint": "prices-info", "error_rate": 1})
    activation_id, number = await world.rent("wa")  # whatsapp takes another SMS
    await world.control("DELETE", "/faults")
    await world.sms(number, "111222")
    await world.tick(1)
    assert await world.text(action="getStatus", id=activation_id) == "STATUS_OK:111222"
    assert await world.text(action="setStatus", id=activation_id, status="3") == "ACCESS_RETRY_GET"
