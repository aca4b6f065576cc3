"""SMSPool's API over the proxy: the `smspool` client, unmodified but for its base URL,
and the same activations through SMS-Activate."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from smspool import smspool

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
