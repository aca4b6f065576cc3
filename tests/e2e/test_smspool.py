"""SMSPool's API over the proxy: the `smspool` client, unmodified but for its base URL,
and the same activations through SMS-Activate."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from smspool import smspool

from proxy.app import build_app
from proxy.config.routing import ProviderConfig
from proxy.local.clock import ManualClock
from proxy.sandbox import SandboxClock, SandboxConfig, create_app

from .chain import ENV, serve, settings, vendor_stand_in
from .conftest import DEMO, World


def client(world: World, key: str = DEMO, base: str = "/smspool/") -> smspool:
    return smspool(key, base_url=world.proxy + base)


async def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(fn, *args, **kwargs)


async def test_the_smspool_client_flow(world: World) -> None:
    pool = client(world)
    assert await call(pool.get_balance) == {"balance": "100.00"}
    bought = await call(pool.purchase_sms, "United States", "Whatsapp")
    assert (bought["success"], bought["cost"], bought["service"]) == (1, "0.55", "Whatsapp")
    assert (
        bought["number"] == "1" + bought["phonenumber"] and bought["orderid"] == bought["order_id"]
    )
    order = bought["order_id"]
    waiting = await call(pool.check_sms, order)
    assert (waiting["status"], waiting["message"]) == (1, "pending")
    await world.sms(bought["phonenumber"], "604415")
    await world.tick(2)
    done = await call(pool.check_sms, order)
    assert (done["status"], done["sms"], done["full_sms"]) == (3, "604415", "604415")
    assert await call(pool.archive_sms_orders) == {"success": 1}  # SMSPool's "complete"
    services = await call(pool.get_services)  # public: the list a key has read
    assert {"ID": 1, "name": "Whatsapp"} in services

    second = await call(pool.purchase_sms, "US", "1")  # by short name and service id
    assert second["success"] == 1 and second["service"] == "Whatsapp"
    early = await call(pool.cancel_sms, second["order_id"])
    assert early == {
        "success": 0,
        "message": "Your order cannot be cancelled yet.",
        "type": "CANCEL_ERROR",
    }
    await world.tick(61)
    assert await call(pool.cancel_sms, second["order_id"]) == {"success": 1}
    assert (await call(pool.check_sms, second["order_id"]))["status"] == 5
    rentals = (await world.http.get(world.sandbox + "/_sandbox/rentals")).json()["rentals"]
    assert sorted(r["status"] for r in rentals) == ["cancelled", "completed"]


@pytest.mark.parametrize("base", ["/api/", "/"])
async def test_every_base_url_a_client_may_use(world: World, base: str) -> None:
    assert await call(client(world, base=base).get_balance) == {"balance": "100.00"}


async def test_errors_in_smspool_shape(world: World) -> None:
    pool = client(world)
    assert await call(pool.purchase_sms, "United States", "NoSuchService") == {
        "success": 0,
        "message": "This service is not available.",
        "type": "SERVICE_ERROR",
    }
    assert (await call(pool.purchase_sms, "Atlantis", "Whatsapp"))["type"] == "COUNTRY_ERROR"
    assert (await call(pool.check_sms, "99"))["type"] == "ORDER_ERROR"
    assert (await call(client(world, key="nope").get_balance))["type"] == "KEY_ERROR"


async def test_an_order_is_an_activation_of_every_dialect(world: World) -> None:
    bought = await call(client(world).purchase_sms, "United States", "Whatsapp")
    order = bought["order_id"]
    assert await world.text(action="getStatus", id=order) == "STATUS_WAIT_CODE"
    other = await call(client(world, key="sk_other").check_sms, order)
    assert other["type"] == "ORDER_ERROR"  # another key's order: not found
    active = await call(client(world).get_active_orders)
    assert [a["order_code"] for a in active] == [order]


async def test_countries_are_those_the_providers_sell(world: World) -> None:
    listed = await call(client(world).get_countries)
    assert listed == [
        {"ID": 1, "name": "United States", "short_name": "US", "cc": "1", "region": "Americas"}
    ]


async def test_a_bearer_token_is_the_key(world: World) -> None:
    """SMSPool takes the key as `Authorization: Bearer <key>`; clients generated from its
    OpenAPI document send only that (no such client is on PyPI: raw requests here)."""
    bearer = {"Authorization": f"Bearer {DEMO}"}
    balance = await world.http.post(world.proxy + "/request/balance", headers=bearer)
    assert balance.json() == {"balance": "100.00"}
    bought = await world.http.post(
        world.proxy + "/purchase/sms",
        data={"country": "1", "service": "Whatsapp"},
        headers=bearer,
    )
    assert bought.json()["success"] == 1, bought.text
    checked = await world.http.post(
        world.proxy + "/sms/check", data={"orderid": bought.json()["order_id"]}, headers=bearer
    )
    assert checked.json()["status"] == 1
    refused = await world.http.post(
        world.proxy + "/request/balance", headers={"Authorization": "Bearer nope"}
    )
    assert refused.json() == {"success": 0, "message": "Invalid API key.", "type": "KEY_ERROR"}
    [rental] = (await world.http.get(world.sandbox + "/_sandbox/rentals")).json()["rentals"]
    assert rental["status"] == "active"


async def test_public_calls_answer_without_a_key(tmp_path: Path) -> None:
    """On a freshly started proxy with an account of its own, SMSPool's public calls and
    5sim's guest prices answer at once, read with that account; without one (keys pass
    through) the answer says a key is needed."""
    clock = SandboxClock(frozen=True)
    sandbox = await serve(create_app(SandboxConfig(seed=12), clock))
    vendor = str(sandbox.make_url("")).rstrip("/")
    provider = ProviderConfig("house", "getatext", vendor, key_env="VENDOR_KEY")
    proxy = await serve(build_app(settings(tmp_path, provider), ManualClock(clock.now()), ENV))
    passing = await serve(build_app(vendor_stand_in(vendor, tmp_path), ManualClock(clock.now())))
    try:
        origin = str(proxy.make_url("")).rstrip("/")
        pool = smspool("", base_url=origin + "/")
        services = await call(pool.get_services)
        assert {"ID": 1, "name": "Whatsapp"} in services
        async with httpx.AsyncClient(timeout=10) as http:
            price = await http.post(origin + "/request/price", data={"service": "Whatsapp"})
            assert price.json()["price"] == "0.55"
            five = await http.get(origin + "/v1/guest/prices", params={"product": "whatsapp"})
            assert five.json()["whatsapp"]["usa"]["any"]["cost"] == 0.55
            bare = str(passing.make_url("")).rstrip("/")
            none = await http.get(bare + "/service/retrieve_all")
            assert none.json() == {
                "success": 0,
                "message": "No account to read prices with: send your key.",
                "type": "KEY_ERROR",
            }
    finally:
        for server in (passing, proxy, sandbox):
            await server.close()


async def test_a_rental_is_bought_and_read_through_the_smspool_client(tmp_path: Path) -> None:
    """`smspool`'s rental calls, unmodified: the rental list (public: read with the
    proxy's own account), a number rented for a week, its status and messages, an
    extension by its period, and a second one refunded at once. Checked at the vendor."""
    clock = SandboxClock(frozen=True)
    sandbox = await serve(create_app(SandboxConfig(seed=13), clock))
    vendor = str(sandbox.make_url("")).rstrip("/")
    provider = ProviderConfig("house", "getatext", vendor, key_env="VENDOR_KEY")
    proxy_clock = ManualClock(clock.now())
    proxy = await serve(build_app(settings(tmp_path, provider), proxy_clock, ENV))
    try:
        pool = smspool(ENV["CLIENT_KEY"], base_url=str(proxy.make_url("/")))
        [pool_row] = await call(pool.get_rentals)
        week = pool_row["pricing"]["7"]
        rented = await call(pool.purchase_rental, 1, 7)
        assert (rented["success"], rented["days"], rented["cost"]) == (1, 7, week)
        code = rented["rental_code"]

        async def vendor_rentals() -> list[dict[str, Any]]:
            async with httpx.AsyncClient() as http:
                r = await http.get(vendor + "/api/v1/long-rentals", headers={"Auth": DEMO})
                return list(r.json()["long_rentals"])

        [held] = await vendor_rentals()
        assert held["number"] == rented["phonenumber"]
        async with httpx.AsyncClient() as http:
            await http.post(
                vendor + "/_sandbox/sms", json={"number": held["number"], "code": "772211"}
            )
        clock.advance(11)
        proxy_clock.advance(11)
        got = await call(pool.get_rental_message, code)
        assert [(m["code"], m["message"]) for m in got["messages"]] == [
            ("772211", "Your code is 772211")
        ]
        status = (await call(pool.get_rental_status, code))["status"]
        assert (status["available"], status["days_left"]) == (1, 6)
        extended = await call(pool.extend_rental, code, 7)
        assert (extended["success"], extended["days_left"]) == (1, 13)

        second = await call(pool.purchase_rental, 1, 7)
        refunded = await call(pool.refund_rental, second["rental_code"])
        assert refunded == {"success": 1, "message": "Your rental has been refunded."}
        active = [r["number"] for r in await vendor_rentals() if r["status"] == "Active"]
        assert active == [held["number"]]
        late = await call(pool.refund_rental, code)  # it has a message: not refundable
        assert late.get("type") == "REFUND_ERROR", late
        assert [r["number"] for r in await vendor_rentals() if r["status"] == "Active"] == [
            held["number"]  # a refused refund changes nothing
        ]
    finally:
        for server in (proxy, sandbox):
            await server.close()
