"""Purchases whose outcome is unknown: never bought twice, never lost.

Every case is checked at the vendor: the sandbox's own list of rentals and its balance
say what was really bought, whatever the proxy answered.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer

from adapters.upstreams import Upstreams
from proxy.domain import Order, PurchaseState, Timeouts
from proxy.local.clock import ManualClock
from proxy.sandbox import SandboxConfig, create_app
from proxy.service import Service
from proxy.service.identity import Identity
from proxy.store import MemoryStore

from .conftest import DEMO, World, hook_path, start_world

ADMIN = "admin-token"
POOL = [{"number": f"21255501{i:02d}", "carrier": "verizon", "area_code": "212"} for i in range(6)]
SPECIFIC = POOL[0]["number"]
PRICES = {"whatsapp": Decimal("0.55"), "telegram": Decimal("0.45")}
THROTTLED = {"errors": "Rental error, number is already taken. Please try again"}
Send = Callable[[World], Awaitable[httpx.Response]]


async def sa(world: World, **params: str) -> httpx.Response:
    return await world.http.get(
        world.proxy + "/stubs/handler_api.php", params={"api_key": DEMO, **params}
    )


async def gat(world: World, **params: str) -> httpx.Response:
    return await world.http.get(
        world.proxy + "/getatext/stubs/handler_api.php", params={"api_key": DEMO, **params}
    )


async def fivesim(world: World, path: str) -> httpx.Response:
    return await world.http.get(
        world.proxy + "/v1/user" + path, headers={"Authorization": f"Bearer {DEMO}"}
    )


async def v1(world: World, path: str, body: dict[str, Any]) -> httpx.Response:
    return await world.http.post(world.proxy + "/api/v1" + path, json=body, headers={"Auth": DEMO})


@dataclass(frozen=True)
class Buy:
    name: str
    endpoint: str  # the vendor endpoint that fails
    services: tuple[str, ...]  # api_names bought
    send: Send
    in_doubt: tuple[int, str]  # the client's exact answer while the purchase is unresolved

    def numbers(self, r: httpx.Response) -> list[str]:
        """The 10-digit numbers a successful answer hands out."""
        if self.name.startswith(("sa.getNumber", "gat.")):
            token, _, phone = r.text.split(":")
            assert token == "ACCESS_NUMBER", r.text
            return [phone[1:]]
        body = r.json()
        assert r.status_code in (200, 201), r.text
        if self.name == "sa.getMultiServiceNumber":
            return [row["phone"][1:] for row in body]
        if self.name.startswith("5sim"):
            return [body["phone"][2:]]
        if self.endpoint == "rent-multiple-services":
            return [row["number"] for row in body["rentals"]]
        return [body["number"]]


BUYS = [
    Buy(
        "sa.getNumber",
        "rent-a-number",
        ("whatsapp",),
        lambda w: sa(w, action="getNumber", service="wa", country="187"),
        (200, "ERROR_SQL"),
    ),
    Buy(
        "sa.getMultiServiceNumber",
        "rent-multiple-services",
        ("whatsapp", "telegram"),
        lambda w: sa(w, action="getMultiServiceNumber", multiService="wa,tg", country="187"),
        (200, "ERROR_SQL"),
    ),
    Buy(
        "gat.getNumber",
        "rent-a-number",
        ("whatsapp",),
        lambda w: gat(w, action="getNumber", service="whatsapp"),
        (200, "RENTAL_ERROR_TRY_AGAIN"),
    ),
    Buy(
        "5sim.buy",
        "rent-a-number",
        ("whatsapp",),
        lambda w: fivesim(w, "/buy/activation/usa/any/whatsapp"),
        (400, "server offline"),
    ),
    Buy(
        "5sim.reuse",
        "rent-specific-number",
        ("whatsapp",),
        lambda w: fivesim(w, f"/reuse/whatsapp/1{SPECIFIC}"),
        (400, "server offline"),
    ),
    Buy(
        "v1.rent-a-number",
        "rent-a-number",
        ("whatsapp",),
        lambda w: v1(w, "/rent-a-number", {"service": "whatsapp"}),
        (429, json.dumps(THROTTLED)),
    ),
    Buy(
        "v1.rent-specific-number",
        "rent-specific-number",
        ("whatsapp",),
        lambda w: v1(w, "/rent-specific-number", {"number": SPECIFIC, "service": "whatsapp"}),
        (429, json.dumps(THROTTLED)),
    ),
    Buy(
        "v1.rent-multiple-services",
        "rent-multiple-services",
        ("whatsapp", "telegram"),
        lambda w: v1(w, "/rent-multiple-services", {"services": "whatsapp,telegram"}),
        (429, json.dumps(THROTTLED)),
    ),
]
FAULTS = {
    "reset": {"reset_rate": 1},
    "timeout": {"timeout_rate": 1, "timeout_seconds": 1},
    "malformed": {"malformed_rate": 1},
}


@pytest.fixture
async def shop(tmp_path: Path) -> AsyncIterator[World]:
    async for w in start_world(tmp_path, purchase_timeout_seconds=0.3, admin_token=ADMIN):
        await w.control("PUT", "/pool", POOL)
        yield w


def answer(r: httpx.Response) -> tuple[int, str]:
    if r.headers["Content-Type"].startswith("application/json"):
        return r.status_code, json.dumps(r.json())
    return r.status_code, r.text


async def vendor_rentals(world: World) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (await world.control("GET", "/rentals"))["rentals"]
    return rows


async def vendor_balance(world: World) -> Decimal:
    return Decimal((await world.control("POST", "/accounts", {"api_key": DEMO}))["balance"])


async def journal(world: World, state: str) -> list[dict[str, Any]]:
    r = await world.http.get(
        world.proxy + "/admin/purchases", params={"state": state}, headers={"X-Admin-Token": ADMIN}
    )
    assert r.status_code == 200
    rows: list[dict[str, Any]] = r.json()["purchases"]
    return rows


async def metric(world: World, series: str) -> float:
    text = (await world.http.get(world.proxy + "/metrics")).text
    line = next(ln for ln in text.splitlines() if ln.startswith(series + " "))
    return float(line.split()[-1])


def cost(buy: Buy) -> Decimal:
    surcharge = Decimal("1.2") if buy.endpoint == "rent-specific-number" else Decimal(1)
    return sum((PRICES[s] for s in buy.services), Decimal(0)) * surcharge


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("buy", BUYS, ids=[b.name for b in BUYS])
async def test_a_retry_never_buys_a_second_number(shop: World, buy: Buy, fault: str) -> None:
    """A fresh proxy knows nothing to look the rental up by: the purchase stays unknown,
    the client is told to try again later, and its retries buy nothing."""
    await shop.control("POST", "/faults", {"endpoint": buy.endpoint, **FAULTS[fault]})
    assert answer(await buy.send(shop)) == buy.in_doubt
    await shop.control("DELETE", "/faults")
    await shop.tick(1)
    for _ in range(2):
        assert answer(await buy.send(shop)) == buy.in_doubt
    rentals = await vendor_rentals(shop)
    assert sorted(r["service"] for r in rentals) == sorted(buy.services)
    assert await vendor_balance(shop) == Decimal("100.00") - cost(buy)
    [unknown] = await journal(shop, "unknown")
    assert unknown["services"] == list(buy.services)
    assert await metric(shop, 'smsproxy_purchase_journal_entries{state="unknown"}') == 1.0
    assert await metric(shop, 'smsproxy_purchases_total{outcome="unknown"}') == 1.0


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("buy", BUYS, ids=[b.name for b in BUYS])
async def test_a_lost_answer_is_found_at_the_vendor(shop: World, buy: Buy, fault: str) -> None:
    """Once the proxy holds a rental, the ids next to it are read back: the number the
    vendor sold is adopted and answered, as if the answer had arrived."""
    warm_up = await sa(shop, action="getNumber", service="ig", country="187")
    assert warm_up.text.startswith("ACCESS_NUMBER:")
    await shop.tick(1)
    await shop.control("POST", "/faults", {"endpoint": buy.endpoint, **FAULTS[fault]})
    got = buy.numbers(await buy.send(shop))
    await shop.control("DELETE", "/faults")
    rentals = [r for r in await vendor_rentals(shop) if r["service"] != "instagram"]
    assert sorted(r["number"] for r in rentals) == sorted(got)
    assert sorted(r["service"] for r in rentals) == sorted(buy.services)
    [adopted] = await journal(shop, "adopted")
    assert adopted["services"] == list(buy.services)
    assert await journal(shop, "unknown") == []
    assert await metric(shop, 'smsproxy_purchases_total{outcome="adopted"}') == 1.0
    # the adopted activation is the client's, in every dialect
    active = json.loads((await sa(shop, action="getActiveActivations")).text)
    numbers = {row["phoneNumber"][1:] for row in active["activeActivations"]}
    assert set(got) <= numbers


async def test_a_webhook_brings_back_the_lost_number(tmp_path: Path) -> None:
    async for w in start_world(tmp_path, webhook_secret="hook", admin_token=ADMIN):
        await w.control(
            "POST",
            "/accounts",
            {"api_key": DEMO, "webhook_url": w.proxy + hook_path("hook")},
        )
        await w.control("POST", "/faults", {"endpoint": "rent-a-number", "reset_rate": 1})
        assert (await sa(w, action="getNumber", service="wa")).text == "ERROR_SQL"
        await w.control("DELETE", "/faults")
        [lost] = await vendor_rentals(w)
        await w.sms(lost["number"], "515151")
        await w.control("POST", "/webhooks/drain")
        [adopted] = await journal(w, "adopted")
        [activation_id] = adopted["activation_ids"]
        # the retry is answered with the number that was found, not a second purchase
        retry = await sa(w, action="getNumber", service="wa")
        assert retry.text == f"ACCESS_NUMBER:{activation_id}:1{lost['number']}"
        assert (await sa(w, action="getStatus", id=str(activation_id))).text == "STATUS_OK:515151"
        assert len(await vendor_rentals(w)) == 1
        await w.tick(1)
        fresh = await sa(w, action="getNumber", service="wa")  # handed out once: now a new one
        assert fresh.text.startswith("ACCESS_NUMBER:") and len(await vendor_rentals(w)) == 2


async def test_an_unchanged_balance_voids_the_purchase(shop: World) -> None:
    """A gateway error may come after the sale; the balance the proxy saw before the
    purchase, unchanged after it, shows nothing was charged: the retry may buy."""
    assert (await sa(shop, action="getBalance")).text == "ACCESS_BALANCE:100.00"
    await shop.control(
        "POST", "/faults", {"endpoint": "rent-a-number", "error_rate": 1, "error_status": 502}
    )
    assert (await sa(shop, action="getNumber", service="wa")).text == "ERROR_SQL"
    [void] = await journal(shop, "void")
    assert void["note"] == "balance unchanged"
    await shop.control("DELETE", "/faults")
    assert (await sa(shop, action="getNumber", service="wa")).text.startswith("ACCESS_NUMBER:")
    assert len(await vendor_rentals(shop)) == 1


async def test_a_purchase_that_never_left_is_refused_not_unknown(tmp_path: Path) -> None:
    async for w in start_world(tmp_path, upstream_url="http://127.0.0.1:9", admin_token=ADMIN):
        assert (await sa(w, action="getNumber", service="wa")).text == "ERROR_SQL"
        [refused] = await journal(w, "refused")
        assert refused["note"] == "UpstreamUnavailable"
        assert await journal(w, "unknown") == []
        assert (await sa(w, action="getNumber", service="wa")).text == "ERROR_SQL"
        assert len(await journal(w, "refused")) == 2  # a refusal does not block the retry


async def test_an_order_reference_reaches_the_lost_number(shop: World) -> None:
    warm_up = await sa(shop, action="getNumber", service="ig", country="187")
    assert warm_up.text.startswith("ACCESS_NUMBER:")
    await shop.tick(1)
    await shop.control("POST", "/faults", {"endpoint": "rent-a-number", "reset_rate": 1})
    first = json.loads((await sa(shop, action="getNumberV2", service="wa", orderId="o-1")).text)
    await shop.control("DELETE", "/faults")
    again = await sa(shop, action="getNumberV2", service="wa", orderId="o-1")
    assert again.text == "ORDER_ALREADY_EXISTS"
    [lost] = [r for r in await vendor_rentals(shop) if r["service"] == "whatsapp"]
    assert first["phoneNumber"] == "1" + lost["number"]
    assert len(await vendor_rentals(shop)) == 2


async def test_a_purchase_cancelled_under_way_is_unknown_not_refused(tmp_path: Path) -> None:
    """Shutdown cancels requests in flight: one whose purchase had left may have bought."""
    vendor = TestServer(create_app(SandboxConfig(seed=4)), host="127.0.0.1")
    await vendor.start_server()
    vendor_url = str(vendor.make_url("")).rstrip("/")
    upstreams = Upstreams()
    service = Service(
        upstreams.provider("getatext", vendor_url, Timeouts()),
        MemoryStore(),
        ManualClock(),
        Identity(b"journal"),
    )
    async with httpx.AsyncClient(timeout=10) as http:
        await http.post(
            vendor_url + "/_sandbox/faults",
            json={"endpoint": "rent-a-number", "timeout_rate": 1, "timeout_seconds": 2},
        )
        clients = service.clients
        buying = asyncio.create_task(
            clients.rent((await clients.tenant(DEMO)), Order(("whatsapp",)))
        )

        async def sold() -> None:
            while not (await http.get(vendor_url + "/_sandbox/rentals")).json()["rentals"]:
                await asyncio.sleep(0.01)  # a condition polled: the vendor has sold it

        await asyncio.wait_for(sold(), 20)
        buying.cancel()
        with pytest.raises(asyncio.CancelledError):
            await buying
    [entry] = await service.operations.purchases(None, 10)
    assert (entry.state, entry.note) == (PurchaseState.UNKNOWN, "CancelledError")
    await service.upkeep.close()
    await upstreams.aclose()
    await vendor.close()


async def test_a_cancels_refund_does_not_hide_a_void_purchase(shop: World) -> None:
    """The balance is witnessed, the same key cancels another rental (its refund moves
    the balance), then a purchase meets a 500. The proxy counts the refund it caused, so
    the arithmetic still proves nothing was charged: the client's retry buys as soon as
    the fault clears, and the vendor holds exactly the rentals handed out."""
    first = await sa(shop, action="getNumber", service="tg")
    token, first_id, _ = first.text.split(":")
    assert token == "ACCESS_NUMBER"
    await shop.tick(61)  # past the vendor's first minute, when a cancel is refused
    assert (await sa(shop, action="getBalance")).text == "ACCESS_BALANCE:99.55"  # witnessed
    assert (await sa(shop, action="setStatus", id=first_id, status="8")).text == "ACCESS_CANCEL"
    await shop.control(
        "POST", "/faults", {"endpoint": "rent-a-number", "error_rate": 1, "error_status": 500}
    )
    assert (await sa(shop, action="getNumber", service="wa")).text == "ERROR_SQL"
    await shop.control("DELETE", "/faults")
    waited = 0
    while (retry := await sa(shop, action="getNumber", service="wa")).text == "ERROR_SQL":
        assert waited < 30, "the retry was held back past 30 s after the fault cleared"
        await shop.tick(2)  # a client retrying every 2 s
        waited += 2
    token, _, phone = retry.text.split(":")
    assert token == "ACCESS_NUMBER" and waited <= 30
    [void] = await journal(shop, "void")
    assert void["note"] == "balance unchanged"
    rentals = await vendor_rentals(shop)
    assert sorted(r["number"] for r in rentals if r["status"] != "cancelled") == [phone[1:]]
    assert len(rentals) == 2  # the cancelled one and the retry's: one per number handed out


async def test_an_unknown_first_purchase_is_voided_without_a_prior_balance_read(
    shop: World,
) -> None:
    """The first purchase ever made at the provider, no balance read before it: the
    proxy reads one first, so a 500 that came before the sale is proved void at once."""
    await shop.control(
        "POST", "/faults", {"endpoint": "rent-a-number", "error_rate": 1, "error_status": 500}
    )
    assert (await sa(shop, action="getNumber", service="wa")).text == "ERROR_SQL"
    [void] = await journal(shop, "void")
    assert void["note"] == "balance unchanged"
    await shop.control("DELETE", "/faults")
    assert (await sa(shop, action="getNumber", service="wa")).text.startswith("ACCESS_NUMBER:")
    assert len(await vendor_rentals(shop)) == 1


async def test_an_unknown_first_purchase_is_found_below_the_next_id_handed_out(
    shop: World,
) -> None:
    """The first purchase at the provider is sold, its answer lost: no id is held below
    it. Another account's purchase right after gets the next id of the vendor's one
    sequence, and the search reads back below it: the retry is given the lost number."""
    other = "sk_sandbox_other_tool"
    await shop.control("POST", "/accounts", {"api_key": other, "balance": 50})
    await shop.control("POST", "/faults", {"endpoint": "rent-a-number", "reset_rate": 1})
    assert (await sa(shop, action="getNumber", service="wa")).text == "ERROR_SQL"
    await shop.control("DELETE", "/faults")
    [lost] = await vendor_rentals(shop)  # sold, though the proxy never heard
    await shop.tick(1)
    theirs = await shop.http.get(
        shop.proxy + "/stubs/handler_api.php",
        params={"api_key": other, "action": "getNumber", "service": "tg"},
    )
    assert theirs.text.startswith("ACCESS_NUMBER:")
    await shop.tick(10)  # one reconciliation per purchase in this time
    retry = await sa(shop, action="getNumber", service="wa")
    assert retry.text.split(":")[2] == "1" + lost["number"]
    [adopted] = await journal(shop, "adopted")
    assert adopted["note"] == "found at the vendor"
    assert len(await vendor_rentals(shop)) == 2  # nothing bought twice
