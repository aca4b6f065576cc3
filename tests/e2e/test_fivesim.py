"""5sim's REST API over the proxy: the official-style `fivesim` client, exact shapes and
errors, and activations shared across dialects."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fivesim import FiveSim
from fivesim.enums import (
    ActivationProduct,
    Country,
    HostingProduct,
    Operator,
    OrderAction,
    Status,
)
from fivesim.errors import ErrorType, FiveSimError

from .conftest import DEMO, World, start_world


@pytest.fixture
async def world5(tmp_path: Path) -> AsyncIterator[World]:
    async for w in start_world(tmp_path, guest_key=DEMO):
        yield w


def client(world: World, key: str = DEMO) -> FiveSim:
    five = FiveSim(key)
    # the client keeps its base URLs in private attributes; that is the only change
    five.user._APIRequest__endpoint = world.proxy + "/v1/user/"  # type: ignore[attr-defined]
    five.guest._APIRequest__endpoint = world.proxy + "/v1/guest/"  # type: ignore[attr-defined]
    return five


async def call(fn: Any, *args: Any) -> Any:
    return await asyncio.to_thread(fn, *args)


async def get(world: World, path: str, key: str | None = DEMO, **params: str) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return await world.http.get(world.proxy + path, params=params, headers=headers)


async def test_fivesim_client_flow(world5: World) -> None:
    five = client(world5)
    profile = await call(five.user.get_profile_data)
    assert profile.balance == 100.0 and profile.rating == 96
    assert profile.default_country.iso == "us"

    prices = await call(five.guest.get_prices, Country.USA, ActivationProduct.WHATSAPP)
    offer = prices[Country.USA][ActivationProduct.WHATSAPP][Operator.ANY_OPERATOR]
    assert (offer.price, offer.quantity) == (0.55, 66)

    order = await call(
        five.user.buy_number, Country.USA, Operator.ANY_OPERATOR, ActivationProduct.WHATSAPP
    )
    assert order.status == Status.PENDING and order.phone.startswith("+1")
    checked = await call(five.user.order, OrderAction.CHECK, order)
    assert checked.status == Status.PENDING and checked.sms == []
    await world5.sms(order.phone[2:], "482916")
    await world5.tick(1)
    checked = await call(five.user.order, OrderAction.CHECK, order)
    assert checked.status == Status.RECEIVED
    assert checked.sms[0].activation_code == "482916"
    finished = await call(five.user.order, OrderAction.FINISH, order)
    assert finished.status == Status.FINISHED

    second = await call(
        five.user.buy_number, Country.USA, Operator.ANY_OPERATOR, ActivationProduct.TELEGRAM
    )
    with pytest.raises(FiveSimError) as early:
        await call(five.user.order, OrderAction.CANCEL, second)
    assert early.value.get_error() == ErrorType.CANCEL_NEEDS_TIME
    await world5.tick(61)
    cancelled = await call(five.user.order, OrderAction.CANCEL, second)
    assert cancelled.status == Status.CANCELED


async def test_fivesim_client_errors(world5: World) -> None:
    await world5.control("PUT", "/services", [{"api_name": "whatsapp", "price": 0.55, "stock": 0}])
    five = client(world5)
    with pytest.raises(FiveSimError) as none_left:
        await call(
            five.user.buy_number, Country.USA, Operator.ANY_OPERATOR, ActivationProduct.WHATSAPP
        )
    assert none_left.value.get_error() == ErrorType.NO_FREE_PHONES
    with pytest.raises(FiveSimError) as bad_key:
        await call(client(world5, "sk_wrong").user.get_profile_data)
    assert bad_key.value.get_error() == ErrorType.INVALID_API_KEY


async def test_order_shape_and_content_type(world5: World) -> None:
    r = await get(world5, "/v1/user/buy/activation/usa/any/whatsapp")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    order = r.json()
    assert list(order) == [
        "id",
        "phone",
        "operator",
        "product",
        "price",
        "status",
        "expires",
        "sms",
        "created_at",
        "forwarding",
        "forwarding_number",
        "country",
    ]
    assert order["expires"] == "2026-01-05T12:20:00.000000Z"
    assert order["created_at"] == "2026-01-05T12:00:00.000000Z"
    assert (order["status"], order["sms"], order["country"], order["price"]) == (
        "PENDING",
        [],
        "usa",
        0.55,
    )
    await world5.sms(order["phone"][2:], "111222")
    await world5.tick(1)
    inbox = (await get(world5, f"/v1/user/sms/inbox/{order['id']}")).json()
    assert inbox == {
        "Total": 1,
        "Data": [
            {
                "ID": 1,
                "created_at": "2026-01-05T12:00:01.000000Z",
                "date": "2026-01-05T12:00:01.000000Z",
                "sender": "",
                "text": "111222",
                "code": "111222",
                "is_wave": False,
                "wave_uuid": "",
            }
        ],
    }


async def test_operator_is_a_strict_carrier_with_its_surcharge(world5: World) -> None:
    r = await get(world5, "/v1/user/buy/activation/any/att/telegram")
    assert r.json()["price"] == 0.54  # 0.45 x 1.2
    assert r.json()["operator"] == "att"  # F16: the operator it was bought on, kept
    await world5.tick(1)
    again = await get(world5, f"/v1/user/check/{r.json()['id']}")
    assert again.json()["operator"] == "att"
    plain = await get(world5, "/v1/user/buy/activation/usa/any/whatsapp")
    assert plain.json()["operator"] == "any"
    prices = (
        await get(world5, "/v1/guest/prices", key=None, country="usa", product="telegram")
    ).json()
    assert prices["usa"]["telegram"]["att"] == {"cost": 0.54, "count": 119, "rate": 99}


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/v1/user/buy/activation/england/any/whatsapp", 400, "no free phones"),
        ("/v1/user/buy/activation/atlantis/any/whatsapp", 400, "bad country"),
        ("/v1/user/buy/activation/usa/beeline/whatsapp", 400, "bad operator"),
        ("/v1/user/buy/activation/usa/any/nosuchproduct", 400, "no product"),
        ("/v1/user/buy/activation/usa/any/BAD!", 400, "no product"),
        ("/v1/user/buy/activation/usa/any/whatsapp?forwarding=true", 400, "no free phones"),
        ("/v1/user/buy/hosting/usa/any/2years", 400, "no product"),
        ("/v1/user/buy/hosting/england/any/1day", 400, "no free phones"),
        ("/v1/user/check/abc", 400, "order not found"),
        ("/v1/user/check/123", 400, "order not found"),
        ("/v1/user/finish/123", 400, "order not found"),
        ("/v1/user/reuse/whatsapp/12", 400, "reuse not possible"),
        ("/v1/guest/prices?country=atlantis", 400, "country is incorrect"),
    ],
)
async def test_errors_are_exact_plain_text(
    world5: World, path: str, status: int, body: str
) -> None:
    r = await world5.http.get(world5.proxy + path, headers={"Authorization": DEMO})
    assert (r.status_code, r.text) == (status, body)
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"


async def test_local_refusals(world5: World) -> None:
    order = (await get(world5, "/v1/user/buy/activation/usa/any/whatsapp")).json()
    r = await get(world5, f"/v1/user/finish/{order['id']}")
    assert (r.status_code, r.text) == (400, "order no sms")
    await world5.sms(order["phone"][2:], "333444")
    await world5.tick(61)
    r = await get(world5, f"/v1/user/cancel/{order['id']}")
    assert (r.status_code, r.text) == (400, "order has sms")
    r = await get(world5, f"/v1/user/ban/{order['id']}")
    assert (r.status_code, r.text) == (400, "order has sms")
    await world5.tick(20 * 60)
    r = await get(world5, f"/v1/user/finish/{order['id']}")
    assert (r.status_code, r.text) == (400, "order expired")


async def test_ban_cancels_upstream(world5: World) -> None:
    order = (await get(world5, "/v1/user/buy/activation/usa/any/tiktok")).json()
    await world5.tick(61)
    banned = (await get(world5, f"/v1/user/ban/{order['id']}")).json()
    assert banned["status"] == "BANNED"
    assert (await world5.stats())["by_endpoint"]["cancel-rental"] == 1
    assert await world5.text(action="getBalance") == "ACCESS_BALANCE:100.00"


async def test_missing_token_is_401(world5: World) -> None:
    r = await world5.http.get(world5.proxy + "/v1/user/profile")
    assert (r.status_code, r.text) == (401, "")


async def test_orders_history_and_max_prices(world5: World) -> None:
    first = (await get(world5, "/v1/user/buy/activation/usa/any/whatsapp")).json()
    await world5.tick(1)
    history = (await get(world5, "/v1/user/orders", category="activation")).json()
    assert history["Total"] == 1 and history["Data"][0]["id"] == first["id"]
    assert (await get(world5, "/v1/user/orders", category="hosting")).json()["Total"] == 0
    set_price = await world5.http.post(
        world5.proxy + "/v1/user/max-prices",
        headers={"Authorization": f"Bearer {DEMO}"},
        json={"product_name": "telegram", "price": 0.40},
    )
    assert (set_price.status_code, set_price.headers["Content-Type"]) == (200, "application/json")
    listed = (await get(world5, "/v1/user/max-prices")).json()
    assert listed[0]["product"] == "telegram" and listed[0]["price"] == 0.4
    refused = await get(world5, "/v1/user/buy/activation/usa/any/telegram")
    assert (refused.status_code, refused.text) == (400, "no free phones")  # 0.45 > 0.40
    await world5.http.request(
        "DELETE",
        world5.proxy + "/v1/user/max-prices",
        headers={"Authorization": DEMO},
        json={"product_name": "telegram"},
    )
    await world5.tick(1)
    bought = await get(world5, "/v1/user/buy/activation/usa/any/telegram")
    assert bought.status_code == 200


async def test_reuse_re_rents_the_owners_number(world5: World) -> None:
    first = (await get(world5, "/v1/user/buy/activation/usa/any/whatsapp")).json()
    await world5.tick(61)
    await get(world5, f"/v1/user/cancel/{first['id']}")
    again = await get(world5, f"/v1/user/reuse/whatsapp/{first['phone'][1:]}")
    assert again.status_code == 200, again.text
    assert again.json()["phone"] == first["phone"] and again.json()["id"] != first["id"]
    assert (await world5.stats())["by_endpoint"]["re-rent"] == 1


async def test_reuse_of_an_unknown_number_rents_it_specifically(world5: World) -> None:
    probe = (await get(world5, "/v1/user/buy/activation/usa/any/telegram")).json()
    r = await get(world5, f"/v1/user/reuse/whatsapp/{probe['phone'][2:]}")
    assert r.status_code == 200, r.text
    assert r.json()["price"] == 0.66  # rent-specific-number: base x 1.2


async def test_profile_and_guest_shapes(world5: World) -> None:
    profile = (await get(world5, "/v1/user/profile")).json()
    assert profile["last_order"] == "usa:other:any:0:0"
    assert profile["last_top_orders"] == "[usa:other:any:0:0]"
    assert profile["email"].endswith("@example.com") and "iso" not in profile
    countries = await world5.http.get(world5.proxy + "/v1/guest/countries")
    assert list(countries.json()["usa"])[:4] == ["iso", "prefix", "text_en", "text_ru"]
    products = (await get(world5, "/v1/guest/products/usa/any", key=None)).json()
    assert products["whatsapp"] == {"Category": "activation", "Qty": 66, "Price": 0.55}
    assert products["other"]["Category"] == "activation"
    nothing = await get(world5, "/v1/guest/prices", key=None, country="england")
    assert nothing.text == "null"
    trailing = await world5.http.get(world5.proxy + "/v1/guest/countries/")
    assert trailing.status_code == 200


async def test_one_activation_across_dialects(world5: World) -> None:
    order = (await get(world5, "/v1/user/buy/activation/usa/any/whatsapp")).json()
    await world5.sms(order["phone"][2:], "909090")
    await world5.tick(1)
    assert await world5.text(action="getStatus", id=str(order["id"])) == "STATUS_OK:909090"
    assert await world5.gat(action="getStatus", id=str(order["id"])) == "STATUS_OK:909090"
    await world5.control("POST", "/accounts", {"api_key": "sk_other", "balance": 1})
    assert (
        await world5.text(key="sk_other", action="getStatus", id=str(order["id"]))
        == "NO_ACTIVATION"
    )
    other = await get(world5, f"/v1/user/check/{order['id']}", key="sk_other")
    assert (other.status_code, other.text) == (400, "order not found")
    v1 = await world5.http.post(
        world5.proxy + "/api/v1/rental-status", json={"id": order["id"]}, headers={"Auth": DEMO}
    )
    assert (v1.status_code, v1.json()["code"], v1.json()["status"]) == (200, "909090", "viewed")
    foreign = await world5.http.post(
        world5.proxy + "/api/v1/rental-status",
        json={"id": order["id"]},
        headers={"Auth": "sk_other"},
    )
    assert (foreign.status_code, foreign.json()) == (404, {"errors": "Rental not found"})
    number, activation = await world5.rent("tg")
    check = (await get(world5, f"/v1/user/check/{number}")).json()
    assert check["product"] == "telegram" and check["phone"] == "+1" + activation
    assert json.loads(json.dumps(check))["status"] == "PENDING"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/v1/user/profile", 405),
        ("GET", "/v1/vendor/wallets", 404),
        ("GET", "/v1/user/nothing", 404),
    ],
)
async def test_unknown_paths_and_methods(
    world5: World, method: str, path: str, status: int
) -> None:
    r = await world5.http.request(method, world5.proxy + path, headers={"Authorization": DEMO})
    assert r.status_code == status


async def test_the_profile_answers_from_state_when_the_vendor_fails(world5: World) -> None:
    assert (await get(world5, "/v1/user/profile")).json()["balance"] == 100.0
    await world5.control("POST", "/faults", {"endpoint": "*", "error_rate": 1, "error_status": 503})
    await world5.tick(10)  # the balance seen is no longer recent: the vendor is asked again
    r = await get(world5, "/v1/user/profile")
    assert (r.status_code, r.json()["balance"]) == (200, 100.0)  # the last balance seen
    await world5.control("DELETE", "/faults")
    await world5.control("POST", "/accounts", {"api_key": DEMO, "balance": 42})
    await world5.tick(10)
    assert (await get(world5, "/v1/user/profile")).json()["balance"] == 42.0


async def test_order_actions_answer_a_post_as_a_get(world5: World) -> None:
    """F17: some clients POST the order actions."""
    bought = (await get(world5, "/v1/user/buy/activation/usa/any/whatsapp")).json()
    await world5.tick(61)
    headers = {"Authorization": f"Bearer {DEMO}"}
    checked = await world5.http.post(
        world5.proxy + f"/v1/user/check/{bought['id']}", headers=headers
    )
    assert (checked.status_code, checked.json()["status"]) == (200, "PENDING")
    cancelled = await world5.http.post(
        world5.proxy + f"/v1/user/cancel/{bought['id']}", headers=headers
    )
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "CANCELED")


async def test_max_prices_take_a_form_as_well_as_json(world5: World) -> None:
    """F18: a form-encoded body sets the same limit as 5sim's JSON one."""
    headers = {"Authorization": f"Bearer {DEMO}"}
    set_ = await world5.http.post(
        world5.proxy + "/v1/user/max-prices",
        content="product_name=telegram&price=0.40",
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (set_.status_code, set_.json()) == (200, {"success": True})
    listed = (await get(world5, "/v1/user/max-prices")).json()
    assert [(p["product"], p["price"]) for p in listed] == [("telegram", 0.4)]
    refused = await get(world5, "/v1/user/buy/activation/usa/any/telegram")
    assert (refused.status_code, refused.text) == (400, "no free phones")
    bad = await world5.http.post(
        world5.proxy + "/v1/user/max-prices",
        content="product_name=telegram&price=lots",
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (bad.status_code, bad.text) == (400, "bad price")


async def test_guest_reads_need_no_configuration(tmp_path: Path) -> None:
    """F8: with no guest key, countries and flash always answer; prices answer from
    what some client's key read, and until then a clear error names the setting."""
    async for world in start_world(tmp_path):  # no guest_key
        countries = await world.http.get(world.proxy + "/v1/guest/countries")
        assert countries.status_code == 200 and "usa" in countries.json()
        flash = await world.http.get(world.proxy + "/v1/guest/flash/en")
        assert (flash.status_code, flash.json()) == (200, {"text": ""})
        before = await get(world, "/v1/guest/prices", key=None, product="whatsapp")
        assert (before.status_code, before.text) == (
            400,
            "no prices known yet: set guest_key, or send a token",
        )
        assert (await get(world, "/v1/guest/prices", product="whatsapp")).status_code == 200
        after = await get(world, "/v1/guest/prices", key=None, product="whatsapp")
        assert after.json()["whatsapp"]["usa"]["any"] == {"cost": 0.55, "count": 66, "rate": 99}
        products = await get(world, "/v1/guest/products/usa/any", key=None)
        assert products.json()["whatsapp"]["Price"] == 0.55


async def test_api1_country_slugs_buy_as_ids_do(world5: World) -> None:
    """5sim's old API1 sent its own slugs through the SMS-Activate protocol."""
    answer = await world5.text(action="getNumbers", country="usa", service="telegram", count="1")
    assert answer.startswith("ACCESS_NUMBER:"), answer
    await world5.tick(1)
    assert await world5.text(action="getNumbers", country="atlantis", service="tg") == "NO_NUMBERS"


async def test_fivesim_client_hosting_order_with_an_sms(world5: World) -> None:
    five = client(world5)
    order = await call(
        five.user.buy_number, Country.USA, Operator.ANY_OPERATOR, HostingProduct.ONE_DAY
    )
    assert order.status == Status.PENDING and order.phone.startswith("+1")
    assert order.product == HostingProduct.ONE_DAY  # a week bought: the day it covers (F19)
    vendor = await world5.http.get(world5.sandbox + "/api/v1/long-rentals", headers={"Auth": DEMO})
    (sold,) = vendor.json()["long_rentals"]
    assert (sold["number"], sold["period"]) == (order.phone[2:], "1 Week")
    assert order.price == float(sold["price"])

    await world5.control(
        "POST", "/sms", {"number": order.phone[2:], "text": "Your code is 605040", "sender": "77"}
    )
    await world5.tick(11)
    checked = await call(five.user.order, OrderAction.CHECK, order)
    assert checked.status == Status.RECEIVED
    inbox = await call(five.user.get_sms_inbox_list, order)
    assert [(s.sender, s.text, s.activation_code) for s in inbox] == [
        ("77", "Your code is 605040", "605040")
    ]
    with pytest.raises(FiveSimError) as refused:
        await call(five.user.order, OrderAction.FINISH, order)
    assert refused.value.get_error() == ErrorType.HOSTING_ORDER
    listed = (await get(world5, "/v1/user/orders", category="hosting")).json()
    assert listed["Total"] == 1 and listed["Data"][0]["id"] == order.id
    activations = (await get(world5, "/v1/user/orders", category="activation")).json()
    assert activations["Total"] == 0
