"""OnlineSIM's API over the proxy: the maintained `onlinesimru` client, unmodified but
for its base URL, and the same activations through SMS-Activate."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from onlinesimru import Driver
from onlinesimru.exceptions import RequestException

from .conftest import DEMO, World


def client(world: World, key: str = DEMO) -> Driver:
    return Driver(apikey=key, base_url=world.proxy)


async def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(fn, *args, **kwargs)


async def test_the_onlinesimru_client_flow(world: World) -> None:
    sim = client(world)
    balance = await call(sim.user().balance)
    assert (balance["response"], balance["balance"]) == (1, "100.00")
    numbers = sim.numbers()
    bought = await call(numbers.get, "whatsapp", country=1, number=True)
    assert bought["number"].startswith("+1") and bought["tzid"] >= 100_000
    tzid = bought["tzid"]
    waiting = await call(numbers.stateOne, tzid, msg_list=False)
    assert (waiting["response"], waiting["service"], waiting["sum"]) == (
        "TZ_NUM_WAIT",
        "whatsapp",
        0.55,
    )
    assert "msg" not in waiting and 0 < waiting["time"] <= 1200
    await world.sms(bought["number"][2:], "730196")
    await world.tick(2)
    answered = await call(numbers.stateOne, tzid, msg_list=False)
    assert (answered["response"], answered["msg"]) == ("TZ_NUM_ANSWER", "730196")
    listed = await call(numbers.stateOne, tzid)
    assert listed["msg"] == [{"service": "whatsapp", "msg": "730196"}]
    assert await call(numbers.close, tzid) == {"response": 1}
    assert (await call(numbers.stateOne, tzid))["response"] == "TZ_OVER_OK"

    second = await call(numbers.get, "telegram", country=1)
    with pytest.raises(RequestException) as early:
        await call(numbers.close, second)  # inside the vendor's first minute
    assert early.value.error == "NO_COMPLETE_TZID"
    await world.tick(61)
    assert await call(numbers.close, second) == {"response": 1}
    assert (await call(numbers.stateOne, second))["response"] == "TZ_OVER_EMPTY"
    rentals = (await world.http.get(world.sandbox + "/_sandbox/rentals")).json()["rentals"]
    assert sorted(r["status"] for r in rentals) == ["cancelled", "completed"]
    page = (await world.http.get(world.proxy + "/metrics")).text
    assert 'action="getNum",dialect="onlinesim",result="ok",source="upstream"} 2.0' in page


async def test_errors_are_onlinesim_words(world: World) -> None:
    numbers = client(world).numbers()
    with pytest.raises(RequestException) as unknown:
        await call(numbers.stateOne, 4242)
    assert unknown.value.error == "ERROR_NO_OPERATIONS"
    with pytest.raises(RequestException) as abroad:
        await call(numbers.get, "whatsapp", country=7)  # the client's default: Russia
    assert abroad.value.error == "NO_NUMBER"
    r = await world.http.get(world.proxy + "/api/getBalance.php", params={"apikey": ""})
    assert r.json() == {"response": "ERROR_NO_KEY"}
    r = await world.http.get(world.proxy + "/api/nothing.php", params={"apikey": DEMO})
    assert r.json() == {"response": "REQUEST_NOT_FOUND"}
    r = await world.http.get(world.proxy + "/api/getNum.php", params={"apikey": DEMO})
    assert r.json() == {"response": "ERROR_NO_SERVICE"}
    r = await world.http.get(
        world.proxy + "/api/getNum.php", params={"apikey": DEMO, "service": "wa", "country": "999"}
    )
    assert r.json() == {"response": "UNDEFINED_COUNTRY"}


async def test_listings_and_revise(world: World) -> None:
    numbers = client(world).numbers()
    stats = await call(numbers.tariffsOne, 1)
    assert stats["services"]["service_whatsapp"]["slug"] == "whatsapp"
    assert stats["services"]["service_whatsapp"]["count"] == 66
    assert await call(numbers.price, "telegram") == 0.45
    tzid = await call(numbers.get, "whatsapp", country=1)
    phone = (await call(numbers.stateOne, tzid))["number"][2:]
    await world.sms(phone, "1111")
    await world.tick(2)
    assert await call(numbers.next, tzid) == {"response": 1, "tzid": tzid}
    again = await call(numbers.stateOne, tzid, msg_list=False)
    assert (again["response"], again["msg"]) == ("TZ_NUM_WAIT", "1111")


async def test_an_operation_is_an_activation_of_every_dialect(world: World) -> None:
    tzid = await call(client(world).numbers().get, "whatsapp", country=1)
    assert await world.text(action="getStatus", id=str(tzid)) == "STATUS_WAIT_CODE"
    r = await world.http.get(
        world.proxy + "/api/getState.php", params={"apikey": "sk_other", "tzid": str(tzid)}
    )
    assert r.json() == {"response": "ERROR_NO_OPERATIONS"}  # another key's: not found


async def vendor_long_rentals(world: World) -> list[dict[str, Any]]:
    r = await world.http.get(world.sandbox + "/api/v1/long-rentals", headers={"Auth": DEMO})
    rows: list[dict[str, Any]] = r.json()["long_rentals"]
    return rows


async def test_the_rent_service_through_onlinesimru(world: World) -> None:
    """`onlinesimru`'s rent service, unmodified: a number rented for a week (the
    shortest whole-number period covering 7 days), its messages read by `get_number`
    and `get_last_message`, renewed by its period, listed; a second one cancelled at
    once (`revoke_number`: refunded by the vendor). Checked at the sandbox."""
    rent = client(world).rent()
    tariffs = await world.http.get(
        world.proxy + "/api/rent/tariffsRent.php", params={"apikey": DEMO, "country": "1"}
    )
    tariff = tariffs.json()
    assert (tariff["code"], tariff["enabled"], sorted(tariff["days"], key=int)[0]) == (
        1,
        True,
        "7",
    )
    week = tariff["days"]["7"]
    start = float((await call(client(world).user().balance))["balance"])
    item = await call(rent.rent_new_number, country=1, days=7, extension=False)
    assert (item["tzid"] >= 5_000_000, item["sum"], item["extension"]) == (True, f"{week:.2f}", 0)
    [held] = await vendor_long_rentals(world)
    assert held["number"] == item["number"]
    await world.http.post(
        world.sandbox + "/_sandbox/sms",
        json={"number": item["number"], "code": "615243", "sender": "Google"},
    )
    await world.tick(11)
    number = await call(rent.get_number, item["tzid"])
    assert (number.number, number.country, number.days) == (item["number"], 1, 6)
    last = await call(rent.get_last_message, item["tzid"])
    assert last is not None and (last.code, last.text) == ("615243", "Your code is 615243")
    renewed = await call(rent.extend_number_rental, item["tzid"], 7)
    assert renewed.days == 13
    listed = await call(rent.get_numbers)
    assert [n.tzid for n in listed] == [item["tzid"]]

    second = await call(rent.rent_new_number, country=1, days=7)
    assert await call(rent.revoke_number, second["tzid"]) == {"response": 1}
    assert [h["number"] for h in await vendor_long_rentals(world) if h["status"] == "Active"] == [
        item["number"]
    ]
    spent = start - float((await call(client(world).user().balance))["balance"])
    assert round(spent, 2) == round(2 * week, 2)  # rented, renewed; the second refunded
