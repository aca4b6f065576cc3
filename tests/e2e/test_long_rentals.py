"""Long rentals through the dialects (issue 15): the official SMS-Activate module's rent
methods, the rent API's exact answers and errors, and one rental read by every dialect
that has the concept."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.upstreams.getatext.limits import ENDPOINTS, LONG_ENDPOINTS

from .conftest import DEMO, World, start_world
from .test_official_client import call, client

DAY = 86400
ADMIN = "admin-token"


@pytest.fixture
async def shop(tmp_path: Path) -> AsyncIterator[World]:
    """A proxy whose purchase journal can be read (admin API)."""
    async for w in start_world(tmp_path, admin_token=ADMIN):
        yield w


async def sa_json(world: World, **params: str) -> Any:
    r = await world.sa(**params)
    assert r.headers["Content-Type"].startswith("application/json"), r.text
    return r.json()


async def vendor_get(world: World, path: str) -> Any:
    """The vendor's own answer, asked directly (what the proxy must agree with)."""
    return await world.http.get(world.sandbox + "/api/v1" + path, headers={"Auth": DEMO})


async def enable_service_rentals(world: World) -> None:
    await world.control("POST", "/accounts", {"api_key": DEMO, "service_long_rentals": True})


async def test_official_module_rents_reads_continues_and_cancels(world: World) -> None:
    sa = client(world)
    vendor = (await vendor_get(world, "/long-rentals/prices")).json()
    offered = await call(sa.getRentServicesAndCountries, time=4, country=187)
    assert offered["countries"] == {"0": 187} and offered["currency"] == 840
    week = {"cost": vendor["prices"]["1w"], "quant": vendor["stock"]}
    assert offered["services"]["full"] == week  # 4 h buys the shortest period, a week (R1)

    rented = await call(sa.getRentNumber, service="full", time=4, country=187)
    assert rented["status"] == "success"
    phone = rented["phone"]
    rent_id, number = phone["id"], phone["number"]
    assert rent_id >= 5_000_000 and number.startswith("1") and len(number) == 11
    assert phone["endDate"].endswith("T00:00:00")

    waiting = await sa_json(world, action="getRentStatus", id=str(rent_id))
    assert waiting == {"status": "error", "message": "STATUS_WAIT_CODE"}

    await world.control(
        "POST", "/sms", {"number": number[1:], "text": "Your code is 775533", "sender": "4242"}
    )
    await world.tick(11)  # past the long-rental poll interval
    status = await call(sa.getRentStatus, id=rent_id)
    assert status["status"] == "success" and status["quantity"] == "1"
    sms = status["values"]["0"]
    assert (sms["phoneFrom"], sms["text"], sms["service"]) == (
        "4242",
        "Your code is 775533",
        "full",
    )

    assert await call(sa.getRentList) == {
        "status": "success",
        "values": {"0": {"id": str(rent_id), "phone": number}},
    }
    price = await call(sa.getContinueRentPriceNumber, id=rent_id)
    assert price == {"status": "success", "price": 10.99, "currency": 840}
    continued = await call(sa.continueRentNumber, id=rent_id, time=168)
    assert continued["status"] == "success" and continued["phone"]["id"] == rent_id
    assert continued["phone"]["endDate"] > phone["endDate"]

    assert await call(sa.setRentStatus, id=rent_id, status=2) == {"status": "success"}
    assert await sa_json(world, action="getRentStatus", id=str(rent_id)) == {
        "status": "error",
        "message": "STATUS_CANCEL",
    }
    # two weeks paid: the vendor's balance moved by exactly that
    assert await world.text(action="getBalance") == "ACCESS_BALANCE:78.02"


RENT_ERRORS = [
    ({"action": "getRentNumber"}, {"status": "error", "message": "BAD_SERVICE"}),
    ({"action": "getRentNumber", "service": "full", "rent_time": "9000"}, None),
    ({"action": "getRentNumber", "service": "full", "country": "16"}, "NO_NUMBERS"),
    ({"action": "getRentNumber", "service": "full", "rent_time": "x"}, "INVALID_TIME"),
    ({"action": "getRentStatus"}, "NO_ID_RENT"),
    ({"action": "getRentStatus", "id": "4"}, "INVALID_PHONE"),
    ({"action": "setRentStatus", "id": "4", "status": "1"}, "INVALID_PHONE"),
    ({"action": "setRentStatus", "id": "4"}, "INCORECT_STATUS"),
    ({"action": "continueRentNumber"}, "NO_ID_RENT"),
    ({"action": "continueRentNumber", "id": "5000000"}, "INVALID_PHONE"),
    ({"action": "getRentList"}, "NO_NUMBERS"),
    ({"action": "getRentServicesAndCountries", "country": "16"}, "OUT_OF_STOCK"),
]


@pytest.mark.parametrize(("params", "expected"), RENT_ERRORS)
async def test_rent_api_errors_are_its_json_envelope(
    world: World, params: dict[str, str], expected: Any
) -> None:
    if expected is None:  # the longest whole-number period is a year
        expected = {"status": "error", "message": "MAX_HOURS_EXCEED", "info": {"max": 8760}}
    elif isinstance(expected, str):
        expected = {"status": "error", "message": expected}
    assert await sa_json(world, **params) == expected


async def test_bad_key_stays_plain_text(world: World) -> None:
    assert await world.text(key="sk_nope", action="getRentServicesAndCountries") == "BAD_KEY"


async def test_a_service_rental_rounds_hours_up_and_cannot_cancel_after_a_message(
    world: World,
) -> None:
    await enable_service_rentals(world)
    vendor = (await vendor_get(world, "/service-long-rentals/prices")).json()
    listed = next(r for r in vendor["service_long_rental_prices"] if r["api_name"] == "whatsapp")
    three_days = next(float(p["cost"]) for p in listed["prices"] if p["period"] == "3d")
    offered = await sa_json(world, action="getRentServicesAndCountries", rent_time="30")
    assert offered["services"]["wa"]["cost"] == three_days  # 30 h: the 3-day period (R1)
    rented = await sa_json(world, action="getRentNumber", service="wa", rent_time="30")
    rent_id, number = rented["phone"]["id"], rented["phone"]["number"]
    await world.control("POST", "/sms", {"number": number[1:], "service": "whatsapp", "code": "1"})
    await world.tick(11)
    assert await sa_json(world, action="setRentStatus", id=str(rent_id), status="2") == {
        "status": "error",
        "message": "CANT_CANCEL",
    }
    too_long = await sa_json(world, action="continueRentNumber", id=str(rent_id), rent_time="73")
    assert too_long == {"status": "error", "message": "MAX_HOURS_EXCEED", "info": {"max": 72}}
    assert await sa_json(world, action="setRentStatus", id=str(rent_id), status="1") == {
        "status": "success"
    }
    again = await sa_json(world, action="setRentStatus", id=str(rent_id), status="1")
    assert again == {"status": "error", "message": "ALREADY_FINISH"}
    assert await sa_json(world, action="getRentList") == {
        "status": "error",
        "message": "NO_NUMBERS",
    }


async def vendor_rentals(world: World) -> list[dict[str, Any]]:
    listed = (await vendor_get(world, "/long-rentals")).json()["long_rentals"]
    assert isinstance(listed, list)
    return listed


async def test_a_rental_sold_without_an_answer_is_found_and_answered_once(shop: World) -> None:
    world = shop
    await world.control("POST", "/faults", {"endpoint": "long-rentals-create", "reset_rate": 1})
    found = await sa_json(world, action="getRentNumber", service="full")
    await world.control("DELETE", "/faults")
    sold = await vendor_rentals(world)
    assert len(sold) == 1  # the vendor sold it though the answer was lost
    assert found["status"] == "success"
    assert found["phone"]["number"] == "1" + sold[0]["number"]
    listed = await sa_json(world, action="getRentList")
    assert listed["values"] == {
        "0": {"id": str(found["phone"]["id"]), "phone": "1" + sold[0]["number"]}
    }
    purchases = await world.http.get(
        world.proxy + "/admin/purchases", headers={"X-Admin-Token": ADMIN}
    )
    assert [(p["operation"], p["state"]) for p in purchases.json()["purchases"]] == [
        ("rent_long", "adopted")
    ]


async def test_an_unknown_rental_is_never_bought_again_until_it_is_known_unsold(
    world: World,
) -> None:
    # a gateway error on a purchase: the vendor may have sold it (here it did not)
    fault = {"endpoint": "long-rentals-create", "error_rate": 1, "error_status": 502}
    await world.control("POST", "/faults", fault)
    first = await sa_json(world, action="getRentNumber", service="full")
    await world.control("DELETE", "/faults")
    assert first == {"status": "error", "message": "SERVER_ERROR"}
    retry = await sa_json(world, action="getRentNumber", service="full")
    assert retry == {"status": "error", "message": "SERVER_ERROR"}  # in doubt: not bought
    assert await vendor_rentals(world) == []
    await world.tick(1201)  # past the hold: a late sale would show in the vendor's list
    bought = await sa_json(world, action="getRentNumber", service="full")
    assert bought["status"] == "success"
    assert len(await vendor_rentals(world)) == 1


async def fivesim_get(world: World, path: str) -> Any:
    r = await world.http.get(world.proxy + path, headers={"Authorization": f"Bearer {DEMO}"})
    assert r.status_code == 200, r.text
    return r.json()


async def v1_call(world: World, method: str, path: str, body: Any = None) -> Any:
    r = await world.http.request(
        method, world.proxy + "/api/v1" + path, json=body, headers={"Auth": DEMO}
    )
    assert r.status_code < 300, r.text
    return r.json()


async def test_one_long_rental_is_read_by_every_dialect_that_has_the_concept(
    world: World,
) -> None:
    by_sa = (await sa_json(world, action="getRentNumber", service="full", rent_time="24"))["phone"]
    await world.tick(1)
    by_5sim = await fivesim_get(world, "/v1/user/buy/hosting/usa/any/10days")
    await world.tick(1)
    by_v1 = (await v1_call(world, "POST", "/long-rentals", {"rental_time": "1m"}))["long_rental"]
    ids = [by_sa["id"], by_5sim["id"], by_v1["id"]]
    numbers = [by_sa["number"][1:], by_5sim["phone"][2:], by_v1["number"]]

    # SMS-Activate lists all three, newest first
    listed = await sa_json(world, action="getRentList")
    assert [(int(v["id"]), v["phone"][1:]) for v in listed["values"].values()] == list(
        zip(reversed(ids), reversed(numbers), strict=True)
    )
    # 5sim shows them as hosting orders; v1 as the vendor's long rentals, oldest first
    hosting = await fivesim_get(world, "/v1/user/orders?category=hosting")
    assert [o["id"] for o in hosting["Data"]] == list(reversed(ids))
    assert [o["product"] for o in hosting["Data"]] == ["1month", "10days", "1day"]
    native = (await v1_call(world, "GET", "/long-rentals"))["long_rentals"]
    assert [(r["id"], r["number"], r["period"]) for r in native] == [
        (ids[0], numbers[0], "1 Week"),
        (ids[1], numbers[1], "2 Weeks"),
        (ids[2], numbers[2], "1 Month"),
    ]

    # one message on the 5sim rental reaches every dialect from the store
    await world.control("POST", "/sms", {"number": numbers[1], "text": "Code 246813"})
    await world.tick(11)
    status = await sa_json(world, action="getRentStatus", id=str(ids[1]))
    assert status["values"]["0"]["text"] == "Code 246813"
    calls = (await world.stats())["by_endpoint"].get("long-rentals-messages", 0)
    assert calls >= 1  # that read asked the vendor
    check = await fivesim_get(world, f"/v1/user/check/{ids[1]}")
    assert (check["status"], check["sms"][0]["code"]) == ("RECEIVED", "246813")
    messages = await v1_call(world, "GET", f"/long-rentals/{ids[1]}/messages")
    assert [m["message"] for m in messages["messages"]] == ["Code 246813"]
    # read within the poll interval: from the store, no further vendor call
    assert (await world.stats())["by_endpoint"].get("long-rentals-messages", 0) == calls

    # cancelled through v1, the SMS-Activate rental reads cancelled everywhere
    await v1_call(world, "POST", f"/long-rentals/{ids[0]}/update", {"action": "cancel"})
    assert await sa_json(world, action="getRentStatus", id=str(ids[0])) == {
        "status": "error",
        "message": "STATUS_CANCEL",
    }
    assert (await fivesim_get(world, f"/v1/user/check/{ids[0]}"))["status"] == "CANCELED"


async def test_a_renewal_without_an_answer_is_read_back_and_never_sent_twice(
    shop: World,
) -> None:
    world = shop
    rented = (await sa_json(world, action="getRentNumber", service="full"))["phone"]
    await world.tick(1)
    before = (await vendor_get(world, "/balance")).json()["balance"]
    await world.control("POST", "/faults", {"endpoint": "long-rentals-update", "reset_rate": 1})
    renewed = await sa_json(world, action="continueRentNumber", id=str(rented["id"]))
    await world.control("DELETE", "/faults")
    (sold,) = await vendor_rentals(world)
    assert renewed == {
        "status": "success",
        "phone": {
            "id": rented["id"],
            "endDate": sold["end_time"] + "T00:00:00",
            "number": rented["number"],
        },
    }
    assert renewed["phone"]["endDate"] > rented["endDate"]
    price = (await vendor_get(world, "/long-rentals/prices")).json()["prices"]["1w"]
    after = (await vendor_get(world, "/balance")).json()["balance"]
    assert round(float(before) - float(after), 2) == price  # one renewal, paid once
    purchases = await world.http.get(
        world.proxy + "/admin/purchases", headers={"X-Admin-Token": ADMIN}
    )
    assert [(p["operation"], p["state"]) for p in purchases.json()["purchases"]] == [
        ("renew_long", "adopted"),
        ("rent_long", "bought"),
    ]


async def test_upstream_metric_labels_name_endpoints_never_rentals(world: World) -> None:
    await enable_service_rentals(world)
    rented = (await sa_json(world, action="getRentNumber", service="wa", rent_time="24"))["phone"]
    await world.tick(11)
    await sa_json(world, action="getRentStatus", id=str(rented["id"]))
    await sa_json(world, action="continueRentNumber", id=str(rented["id"]))
    await sa_json(world, action="setRentStatus", id=str(rented["id"]), status="2")
    page = (await world.http.get(world.proxy + "/metrics")).text
    labels = set(re.findall(r'smsproxy_upstream_requests_total\{endpoint="([^"]+)"', page))
    assert {"service-long-rentals", "service-long-rentals-messages"} <= labels
    assert "service-long-rentals-renew" in labels and "service-long-rentals-cancel" in labels
    known = set(ENDPOINTS) | set(LONG_ENDPOINTS)
    assert labels <= known, labels - known


async def test_a_rental_sold_while_the_vendor_could_not_be_asked_shows_in_the_listing(
    world: World,
) -> None:
    # the sale's answer is lost, and the vendor's list cannot be read to find it at once
    await world.control("POST", "/faults", {"endpoint": "long-rentals-create", "reset_rate": 1})
    await world.control("POST", "/faults", {"endpoint": "long-rentals", "error_rate": 1})
    first = await sa_json(world, action="getRentNumber", service="full")
    assert first == {"status": "error", "message": "SERVER_ERROR"}
    await world.control("DELETE", "/faults")
    (vendor_side,) = await vendor_rentals(world)  # it was sold
    await world.tick(11)  # past the listing's retry interval for unknown purchases
    listed = await sa_json(world, action="getRentList")  # no retry of the order
    assert [v["phone"] for v in listed["values"].values()] == ["1" + vendor_side["number"]]
    assert len(await vendor_rentals(world)) == 1  # found, never bought again


async def test_a_listing_reads_the_vendors_list_once_then_each_rentals_messages(
    world: World,
) -> None:
    for _ in range(3):
        await sa_json(world, action="getRentNumber", service="full")
        await world.tick(1)
    await world.tick(11)  # every rental due for a read
    before = (await world.stats())["by_endpoint"]
    await sa_json(world, action="getRentList")  # answers at once; the reads go on behind

    async def read_all() -> bool:
        now = (await world.stats())["by_endpoint"]
        return now.get("long-rentals-messages", 0) - before.get("long-rentals-messages", 0) == 3

    for _ in range(200):  # polled, bounded: the reads finish behind the answer
        if await read_all():
            break
        await world.sa(action="getBalance")  # gives the proxy's loop a turn
    else:
        raise AssertionError("the rentals were not read")
    after = (await world.stats())["by_endpoint"]
    assert after["long-rentals"] - before.get("long-rentals", 0) == 1  # one list for three
