"""The SMS-Activate clone families, each at its own path: the actions they add and the
tokens they spell their own way (docs/sms-activate.md, "Clone families"); and the rarer
SMS-Activate actions older clients still call. Real sockets, the sandbox as the vendor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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


async def test_daisysms_reserves_several_numbers_at_once(world: World) -> None:
    r = await world.http.get(
        world.proxy + "/daisysms/stubs/multi/reserve",
        params={"apikey": DEMO, "service": "wa", "count": "2"},
    )
    rows = r.json()
    assert [row["price"] for row in rows] == ["0.55", "0.55"]
    assert len({row["phone"] for row in rows}) == 2
    for row in rows:
        assert await world.text(action="getStatus", id=row["id"]) == "STATUS_WAIT_CODE"
    await world.tick(1)
    refused = await world.http.get(
        world.proxy + "/stubs/multi/reserve",
        params={"apikey": DEMO, "service": "wa", "max_price": "0.10"},
    )
    assert refused.text == "MAX_PRICE_EXCEEDED"  # nothing bought: DaisySMS's own token


async def test_a_long_term_rental_is_refused_never_sold_short(world: World) -> None:
    """DaisySMS's `ltr=1` asks for a number kept for days: an ordinary 20-minute
    activation is not what was asked for, so nothing is bought."""
    for family in ("daisysms", "sms-activate"):
        answer = await text(world, family, action="getNumber", service="wa", ltr="1")
        assert answer == "NO_NUMBERS"
    rentals = (await world.http.get(world.sandbox + "/_sandbox/rentals")).json()["rentals"]
    assert rentals == []
