"""The SMS-Activate clone families, each at its own path: the actions they add and the
tokens they spell their own way (docs/sms-activate.md, "Clone families"); and the rarer
SMS-Activate actions older clients still call. Real sockets, the sandbox as the vendor."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from daisy_sms import DaisySmsClient, Service
from daisy_sms import client as client_module
from grizzly_sms import GrizzlySms
from smsbower import SmsBowerClient
from smsbower.errors import SmsBowerError

from .conftest import DEMO, World, start_world


def at(family: str) -> str:
    return f"/{family}/stubs/handler_api.php"


async def text(world: World, family: str, **params: str) -> str:
    return (await world.sa(at(family), **params)).text


async def setup_account(world: World, **fields: object) -> None:
    await world.control("POST", "/accounts", {"api_key": DEMO, **fields})


async def test_daisysms_spells_price_funds_and_caps_its_own_way(world: World) -> None:
    bought = await world.sa(at("daisysms"), action="getNumber", service="wa", max_price="0.60")
    assert bought.text.startswith("ACCESS_NUMBER:") and bought.headers["X-Price"] == "0.55"
    await world.tick(1)
    assert await text(world, "daisysms", action="getNumber", service="wa", max_price="0.10") == (
        "MAX_PRICE_EXCEEDED"  # a DaisySMS client crashes on WRONG_MAX_PRICE:0.55
    )
    assert await text(world, "sms-activate", action="getNumber", service="wa", maxPrice="0.10") == (
        "WRONG_MAX_PRICE:0.55"
    )
    await world.tick(1)
    await setup_account(world, max_active_rentals=1)
    assert await text(world, "daisysms", action="getNumber", service="tg") == (
        "TOO_MANY_ACTIVE_RENTALS"
    )
    await world.tick(1)
    await setup_account(world, max_active_rentals=20, balance="0.01")
    assert await text(world, "daisysms", action="getNumber", service="tg") == "NO_MONEY"
    activation_id = bought.text.split(":")[1]
    await world.sms(bought.text.split(":")[2][1:], "5511")
    await world.tick(2)
    assert await text(world, "daisysms", action="getStatus", id=activation_id) == "STATUS_OK:5511"
    # a cancel that can no longer happen (the code came) answers ACCESS_READY
    assert await text(world, "daisysms", action="setStatus", id=activation_id, status="8") == (
        "ACCESS_READY"
    )
    assert await text(world, "sms-activate", action="setStatus", id=activation_id, status="8") == (
        "BAD_STATUS"
    )


async def test_smshub_spells_keys_and_services_and_lists_counts_with_costs(world: World) -> None:
    assert await text(world, "smshub", action="getBalance", key="nope") == "API_KEY_NOT_VALID"
    assert await text(world, "smshub", action="getNumber", service="!!") == "WRONG_SERVICE"
    listing = json.loads(await text(world, "smshub", action="getNumbersStatusAndCostHubFree"))
    assert listing["wa"] == {"count": "66", "cost": "0.55"}
    assert await text(world, "sms-activate", action="getNumbersStatusAndCostHubFree") == (
        "BAD_ACTION"  # only the family that has it
    )


async def test_herosms_names_finish_cancel_and_lists_every_sms(world: World) -> None:
    _, first, phone = (await text(world, "herosms", action="getNumber", service="wa")).split(":")
    await world.sms(phone[1:], "1111")
    await world.tick(2)
    assert await text(world, "herosms", action="getStatus", id=first) == "STATUS_OK:1111"
    sms = json.loads(await text(world, "herosms", action="getAllSms", id=first))
    assert [s["code"] for s in sms["data"]] == ["1111"]
    assert await text(world, "herosms", action="finishActivation", id=first) == "ACCESS_ACTIVATION"
    again = await text(world, "herosms", action="reactivate", id=first)
    assert again.startswith("ACCESS_NUMBER:")  # the same number again (a re-rent)
    await world.tick(61)
    second = again.split(":")[1]
    assert await text(world, "herosms", action="cancelActivation", id=second) == "ACCESS_CANCEL"
    assert await text(world, "sms-activate", action="finishActivation", id=first) == "BAD_ACTION"


@pytest.mark.parametrize("family", ["grizzly", "smsbower"])
async def test_grizzly_and_smsbower_name_a_country_they_do_not_serve(
    world: World, family: str
) -> None:
    assert await text(world, family, action="getNumber", service="wa", country="999") == (
        "BAD_COUNTRY"
    )
    assert await text(world, "sms-activate", action="getNumber", service="wa", country="999") == (
        "NO_NUMBERS"
    )


async def test_grizzly_lists_active_activations_as_a_bare_array(world: World) -> None:
    assert await text(world, "grizzly", action="getActiveActivations") == "[]"
    activation_id, _ = await world.rent()
    rows = json.loads(await text(world, "grizzly", action="getActiveActivations"))
    assert [r["activationId"] for r in rows] == [activation_id]


async def test_older_sms_activate_actions(world: World) -> None:
    activation_id, _ = await world.rent()
    listed = (await world.sa(action="getListOfActiveActivations", start="0")).json()
    assert (listed["quant"], listed["existNext"]) == (1, False)
    assert listed["data"][0]["activationId"] == activation_id
    call = (await world.sa(action="getIncomingCallStatus", activationId=activation_id)).json()
    assert call == {"status": "2", "phone": False}
    assert await world.text(action="getIncomingCallStatus", activationId="42") == (
        "INVALID_ACTIVATION_ID"
    )
    history = (await world.sa(action="getHistory")).json()
    assert [(h["id"], h["status"], h["cost"]) for h in history] == [(int(activation_id), "4", 0)]
    assert await world.text(action="getHistory", start="100", end="99") == "WRONG_DATE"


async def test_a_family_can_be_the_default_handler(tmp_path: Path) -> None:
    async for world in start_world(tmp_path, default_dialect="daisysms"):
        assert await world.text(action="getNumber", service="wa", max_price="0.10") == (
            "MAX_PRICE_EXCEEDED"
        )


def daisy(world: World, key: str = DEMO) -> DaisySmsClient:
    """DaisySMS's own client, unmodified: its origin (fixed in its code) points here."""
    client = DaisySmsClient(key)
    real_get = requests.get

    def get(url: str, *args: Any, **kwargs: Any) -> requests.Response:
        return real_get(url.replace(DAISY_ORIGIN, world.proxy + "/daisysms"), *args, **kwargs)

    client_module.requests = SimpleNamespace(get=get)  # type: ignore[attr-defined]
    return client


DAISY_ORIGIN = "https://daisysms.com"


async def held_at_vendor(world: World) -> list[dict[str, Any]]:
    """The account's active service long rentals, as the vendor lists them."""
    r = await world.http.get(world.sandbox + "/api/v1/service-long-rentals", headers={"Auth": DEMO})
    rows: list[dict[str, Any]] = r.json()["service_long_rentals"]
    return rows


async def test_daisysms_reserves_several_numbers_at_once(world: World) -> None:
    """`rent_multiple_numbers` parses one token a number: the number, `-`, then a
    reference carrying `id=`; each is a rental the client then reads and finishes."""
    client = daisy(world)
    rented = await asyncio.to_thread(client.rent_multiple_numbers, Service.WHATSAPP, 2, 0.60)
    assert len(rented) == 2 and len({r.number for r in rented}) == 2
    sold = (await world.http.get(world.sandbox + "/_sandbox/rentals")).json()["rentals"]
    assert sorted(int("1" + r["number"]) for r in sold) == sorted(r.number for r in rented)
    first = rented[0]
    waiting = await asyncio.to_thread(client.get_code, int(first.id))
    assert waiting.status.name == "STATUS_WAIT_CODE"
    await world.sms(str(first.number), "5151")
    await world.tick(2)
    got = await asyncio.to_thread(client.get_code, int(first.id))
    assert (got.status.name, got.code) == ("STATUS_OK", 5151)
    await asyncio.to_thread(client.mark_rental_as_done, int(first.id))
    await world.tick(1)
    refused = await world.http.get(
        world.proxy + "/stubs/multi/reserve",
        params={"apikey": DEMO, "service": "wa", "max_price": "0.10"},
    )
    assert refused.text == "MAX_PRICE_EXCEEDED"  # nothing bought: DaisySMS's own token


async def test_daisysms_rents_a_number_long_term(world: World) -> None:
    """`rent_number_long_term` (`ltr=1`, `auto_renew=1`) buys the core's long rental; its
    code is read, auto-renewal turned off and the rental cancelled through the same
    getStatus, setAutoRenew and setStatus a rental uses; a second one is cancelled
    before any message. An ordinary activation is never sold for it, and SMS-Activate
    itself has no `ltr`."""
    client = daisy(world)
    rented = await asyncio.to_thread(client.rent_number_long_term, Service.WHATSAPP, True)
    assert rented.id >= 5_000_000  # a long rental's id, apart from activations'
    [held] = await held_at_vendor(world)
    assert ("1" + held["number"], held["auto_renew"]) == (str(rented.number), True)
    assert (await asyncio.to_thread(client.get_code, rented.id)).status.name == "STATUS_WAIT_CODE"
    await world.sms(str(rented.number), "Your code is 424242")
    await world.tick(11)
    got = await asyncio.to_thread(client.get_code, rented.id)
    assert (got.status.name, got.code) == ("STATUS_OK", 424242)
    await asyncio.to_thread(client.change_auto_renew, rented.id, False)
    [held] = await held_at_vendor(world)
    assert held["auto_renew"] is False
    assert await text(world, "daisysms", action="setStatus", id=str(rented.id), status="6") == (
        "ACCESS_ACTIVATION"  # done with it: paid until its end, renewed no more
    )
    second = await asyncio.to_thread(client.rent_number_long_term, Service.TELEGRAM)
    await asyncio.to_thread(client.cancel_rental, second.id)  # before any message
    assert (await asyncio.to_thread(client.get_code, second.id)).status.name == "STATUS_CANCEL"
    assert [h["number"] for h in await held_at_vendor(world)] == [held["number"]]
    answer = await text(world, "sms-activate", action="getNumber", service="wa", ltr="1")
    assert answer == "NO_NUMBERS"  # not sold short as a 20-minute activation
    rentals = (await world.http.get(world.sandbox + "/_sandbox/rentals")).json()["rentals"]
    assert rentals == []


async def test_grizzlys_own_client_runs_its_flow(world: World) -> None:
    """`grizzly-sms-client`, unmodified but for its base URL: balance, prices (also its
    V2 buckets and V3 offers by provider), a number bought, its code, the bare array of
    active activations, completion."""
    sms = GrizzlySms(DEMO, base_url=world.proxy + "/grizzly")
    try:
        assert await asyncio.to_thread(sms.get_balance) == 100.0
        listed = await asyncio.to_thread(sms.get_prices, service="wa", country=187)
        count = listed["187"]["wa"]["count"]
        v2 = await asyncio.to_thread(sms.get_prices_v2, service="wa", country=187)
        assert v2 == {"187": {"wa": {"0.55": count}}}  # price -> how many sell at it
        v3 = await asyncio.to_thread(sms.get_prices_v3, service="wa", country=187)
        [offer] = v3["187"]["wa"].values()
        assert offer["price"] == 0.55 and offer["count"] == v2["187"]["wa"]["0.55"]
        quotes = await asyncio.to_thread(sms.find_prices, service="wa", country=187)
        assert [(q.service, q.cost) for q in quotes] == [("wa", 0.55)]
        ordered = await asyncio.to_thread(sms.get_number, "wa", country=187)
        [active] = await asyncio.to_thread(sms.get_active_activations)
        assert str(active.activation_id) == str(ordered.activation_id)
        await world.sms(str(ordered.phone_number), "7373")
        await world.tick(2)
        status = await asyncio.to_thread(sms.get_status, ordered.activation_id)
        assert (status.status, status.code) == ("STATUS_OK", "7373")
        assert await asyncio.to_thread(sms.complete, ordered.activation_id) == "ACCESS_ACTIVATION"
    finally:
        sms.close()
    [rental] = (await world.http.get(world.sandbox + "/_sandbox/rentals")).json()["rentals"]
    assert rental["status"] == "completed"


async def test_smsbowers_own_client_runs_its_flow(world: World) -> None:
    """`smsbower`, unmodified but for its base URL: balance, V2 and V3 prices, a number,
    its code, completion; a country it does not sell is `BAD_COUNTRY` to it."""
    with SmsBowerClient(DEMO, base_url=world.proxy + "/smsbower") as bower:
        assert await asyncio.to_thread(bower.get_balance) == 100.0
        v2 = await asyncio.to_thread(bower.get_prices_v2, "wa", "187")
        v3 = await asyncio.to_thread(bower.get_prices_v3, "wa", "187")
        assert list(v2["187"]["wa"]) == ["0.55"] and list(v3["187"]["wa"]) == ["1"]
        number = await asyncio.to_thread(bower.get_number, "wa", "187")
        await world.sms(number.number, "8282")
        await world.tick(2)
        status = await asyncio.to_thread(bower.get_status, number.id)
        assert (status.status, status.code) == ("STATUS_OK", "8282")
        assert await asyncio.to_thread(bower.set_status, number.id, 6) == "ACCESS_ACTIVATION"
        with pytest.raises(SmsBowerError) as refused:
            await asyncio.to_thread(bower.get_number, "wa", "999")
        assert refused.value.code == "BAD_COUNTRY"


async def test_grizzlys_rent_errors_are_in_its_error_field(world: World) -> None:
    """Grizzly's clients read a rent refusal from `error`; SMS-Activate's from `message`."""
    grizzly = json.loads(await text(world, "grizzly", action="getRentStatus"))
    sms_activate = json.loads(await text(world, "sms-activate", action="getRentStatus"))
    assert grizzly == {"status": "error", "error": "NO_ID_RENT"}
    assert sms_activate == {"status": "error", "message": "NO_ID_RENT"}
    unknown = json.loads(await text(world, "grizzly", action="getRentStatus", id="99"))
    assert unknown == {"status": "error", "error": "INVALID_PHONE"}  # a domain refusal too
