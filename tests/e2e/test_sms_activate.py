"""SMS-Activate over the proxy, against the sandbox: every action, exact bytes."""

from __future__ import annotations

import json

import pytest

from .conftest import World


async def test_balance(world: World) -> None:
    assert await world.text(action="getBalance") == "ACCESS_BALANCE:100.00"
    assert await world.text(action="getBalanceAndCashBack") == "ACCESS_BALANCE:100.00"


async def test_number_status_finish_flow(world: World) -> None:
    activation_id, number = await world.rent("wa")
    assert int(activation_id) < 2**31
    assert await world.text(action="getStatus", id=activation_id) == "STATUS_WAIT_CODE"
    await world.sms(number, "654321")
    await world.tick(1)
    assert await world.text(action="getStatus", id=activation_id) == "STATUS_OK:654321"
    v2 = await world.sa(action="getStatusV2", id=activation_id)
    assert v2.headers["Content-Type"] == "application/json"
    assert v2.text == (
        '{"verificationType":0,"sms":{"dateTime":"2026-01-05 12:00:02",'
        '"code":"654321","text":"654321"},"call":null}'
    )
    assert await world.text(action="getFullSms", id=activation_id) == "FULL_SMS:654321"
    assert await world.text(action="setStatus", id=activation_id, status="6") == "ACCESS_ACTIVATION"
    assert await world.text(action="getStatus", id=activation_id) == "STATUS_CANCEL"
    assert await world.text(action="getStatusV2", id=activation_id) == "STATUS_CANCEL"
    assert await world.text(action="setStatus", id=activation_id, status="8") == "BAD_STATUS"


async def test_status_v2_before_any_sms(world: World) -> None:
    activation_id, _ = await world.rent()
    r = await world.sa(action="getStatusV2", id=activation_id)
    assert r.text == '{"verificationType":0,"sms":null,"call":null}'


async def test_cancel_rules(world: World) -> None:
    activation_id, _number = await world.rent()
    # inside the vendor's first minute: answered locally, the vendor is not asked
    before = (await world.stats())["by_endpoint"].get("cancel-rental", 0)
    assert (
        await world.text(action="setStatus", id=activation_id, status="8") == "EARLY_CANCEL_DENIED"
    )
    assert (await world.stats())["by_endpoint"].get("cancel-rental", 0) == before
    await world.tick(60)
    assert await world.text(action="setStatus", id=activation_id, status="8") == "ACCESS_CANCEL"
    assert await world.text(action="getStatus", id=activation_id) == "STATUS_CANCEL"
    assert await world.text(action="setStatus", id=activation_id, status="-1") == "ACCESS_CANCEL"
    assert await world.text(action="getBalance") == "ACCESS_BALANCE:100.00"

    other, other_number = await world.rent()
    await world.sms(other_number, "111111")
    await world.tick(61)
    assert await world.text(action="setStatus", id=other, status="8") == "BAD_STATUS"  # D10


async def test_retry_another_sms(world: World) -> None:
    activation_id, number = await world.rent("wa")  # whatsapp takes several SMS
    await world.sms(number, "111111")
    await world.tick(1)
    assert await world.text(action="setStatus", id=activation_id, status="3") == "ACCESS_RETRY_GET"
    await world.tick(1)
    assert await world.text(action="getStatus", id=activation_id) == "STATUS_WAIT_RETRY:111111"
    await world.sms(number, "222222")
    await world.tick(1)
    assert await world.text(action="getStatus", id=activation_id) == "STATUS_OK:222222"

    single, single_number = await world.rent("tg")  # telegram takes one
    await world.sms(single_number, "333333")
    await world.tick(1)
    assert await world.text(action="setStatus", id=single, status="3") == "BAD_STATUS"


async def test_set_status_1_and_unknown_values(world: World) -> None:
    activation_id, _ = await world.rent()
    assert await world.text(action="setStatus", id=activation_id, status="1") == "ACCESS_READY"
    assert await world.text(action="setStatus", id=activation_id, status="2") == "BAD_STATUS"
    assert await world.text(action="setStatus", id=activation_id, status="6") == "BAD_STATUS"


async def test_get_number_v2_types(world: World) -> None:
    r = await world.sa(action="getNumberV2", service="tg", country="187", operator="att")
    data = json.loads(r.text)
    assert list(data) == [
        "activationId",
        "phoneNumber",
        "activationCost",
        "currency",
        "countryCode",
        "canGetAnotherSms",
        "activationTime",
        "activationOperator",
        "activationEndTime",
    ]
    assert isinstance(data["activationId"], str) and data["activationId"].isdigit()
    assert data["phoneNumber"].startswith("1") and len(data["phoneNumber"]) == 11
    assert data["activationCost"] == "0.54"  # 0.45 x 1.2: carrier matched
    assert (data["currency"], data["countryCode"]) == (840, "187")
    assert data["canGetAnotherSms"] is False
    assert data["activationTime"] == "2026-01-05 12:00:00"
    assert data["activationEndTime"] == "2026-01-05 12:20:00"
    assert data["activationOperator"] == "att"


async def test_multi_service_number(world: World) -> None:
    r = await world.sa(action="getMultiServiceNumber", multiService="wa,tg", country="187")
    rows = json.loads(r.text)
    assert [row["service"] for row in rows] == ["wa", "tg"]
    assert len({row["phone"] for row in rows}) == 1
    assert all(isinstance(row["activation"], str) for row in rows)
    await world.tick(1)
    assert await world.text(action="getStatus", id=rows[1]["activation"]) == "STATUS_WAIT_CODE"
    bad = await world.text(action="getMultiServiceNumber", multiService="wa,tg", multiForward="0,1")
    assert bad == "NO_NUMBERS"


async def test_active_activations(world: World) -> None:
    empty = await world.sa(action="getActiveActivations")
    assert empty.text == '{"status":"error","error":"NO_ACTIVATIONS"}'
    activation_id, number = await world.rent("wa")
    await world.sms(number, "777777")
    await world.tick(1)
    rows = json.loads((await world.sa(action="getActiveActivations")).text)
    assert rows["status"] == "success"
    row = rows["activeActivations"][0]
    assert row["activationId"] == activation_id and row["smsCode"] == "777777"
    assert all(isinstance(v, str) or v is None for k, v in row.items() if k != "currency")
    assert row["canGetAnotherSms"] == "1" and row["serviceCode"] == "wa"


async def test_listings(world: World) -> None:
    prices = await world.sa(action="getPrices", service="wa", country="187")
    assert prices.text == '{"187":{"wa":{"cost":0.55,"count":66,"physicalCount":66}}}'
    assert (await world.sa(action="getPrices", country="0")).text == "{}"
    full = json.loads((await world.sa(action="getPrices")).text)
    assert {"wa", "tg", "ig", "go", "fb", "tw", "ds", "lf", "ub", "am"} <= set(full["187"])
    status = json.loads((await world.sa(action="getNumbersStatus", country="187")).text)
    assert status["wa_0"] == "66" and status["tg_0"] == "120"
    assert json.loads((await world.sa(action="getCountries")).text)["187"]["eng"] == "USA"
    assert (
        await world.sa(action="getOperators", country="187")
    ).text == '{"status":"success","countryOperators":{"187":["att","tmobile","verizon"]}}'
    assert (
        await world.sa(action="getOperators", country="16")
    ).text == '{"status":"error","error":"OPERATORS_NOT_FOUND"}'
    services = json.loads((await world.sa(action="getServicesList")).text)
    assert {"code": "wa", "name": "Whatsapp"} in services["services"]
    top = await world.sa(action="getTopCountriesByService", service="wa")
    assert top.text == '{"0":{"country":187,"count":66,"price":0.55,"retail_price":0.55}}'
    assert await world.text(action="getTopCountriesByService") == "BAD_SERVICE"
    verification = json.loads((await world.sa(action="getPricesVerification", service="wa")).text)
    assert verification == {"wa": {"187": {"count": 66, "price": "0.55"}}}


async def test_extra_activation(world: World) -> None:
    activation_id, number = await world.rent("wa")
    assert (
        await world.text(action="getExtraActivation", activationId=activation_id)
        == "RENEW_ACTIVATION_NOT_AVAILABLE"
    )
    await world.sms(number, "123123")
    await world.tick(1)
    await world.text(action="getStatus", id=activation_id)
    assert await world.text(action="setStatus", id=activation_id, status="6") == "ACCESS_ACTIVATION"
    quote = await world.sa(action="checkExtraActivation", activationId=activation_id)
    assert quote.text == (
        f'{{"status":"success","cost":0.28,"service":"wa","phone":1{number},"country":187}}'
    )
    answer = await world.text(action="getExtraActivation", id=activation_id)
    token, new_id, phone = answer.split(":")
    assert (token, phone) == ("ACCESS_NUMBER", "1" + number) and new_id != activation_id
    assert await world.text(action="getExtraActivation", id="99") == "WRONG_ACTIVATION_ID"
    assert (
        await world.text(action="getAdditionalService", id=activation_id, service="wa")
        == "WRONG_SECURITY"
    )


@pytest.mark.parametrize(
    "prefix", ["/sms-activate/stubs/handler_api.php", "//stubs/handler_api.php"]
)
async def test_mounts(world: World, prefix: str) -> None:
    r = await world.sa(prefix, action="getBalance")
    assert r.text == "ACCESS_BALANCE:100.00"


async def test_transport_tolerance(world: World) -> None:
    url = world.proxy + "/stubs/handler_api.php"
    form = await world.http.post(url, data={"api_key": "sk_sandbox_demo", "action": "getBalance"})
    assert form.text == "ACCESS_BALANCE:100.00"
    empty = await world.http.post(
        url + "?api_key=sk_sandbox_demo&action=getBalance",
        content=b"",
        headers={"Content-Type": "application/octet-stream"},
    )
    assert empty.text == "ACCESS_BALANCE:100.00"
    trimmed = await world.http.get(
        url,
        params={
            "api_key ": "sk_sandbox_demo",
            "action": "getNumber",
            "service": "tg",
            "country ": "187",
            "ref": "x",
            "phoneException": "",
        },
    )
    assert trimmed.text.startswith("ACCESS_NUMBER:")
    await world.tick(1)
    header = await world.http.get(
        url, params={"action": "getBalance"}, headers={"X-ApiKey": "sk_sandbox_demo"}
    )
    assert header.text == "ACCESS_BALANCE:99.55"


async def test_identity_isolation(world: World) -> None:
    await world.control("POST", "/accounts", {"api_key": "sk_other", "balance": 5})
    activation_id, _ = await world.rent()
    for action in ("getStatus", "getStatusV2", "getFullSms"):
        assert await world.text(key="sk_other", action=action, id=activation_id) == "NO_ACTIVATION"
    assert (
        await world.text(key="sk_other", action="setStatus", id=activation_id, status="8")
        == "NO_ACTIVATION"
    )
    assert await world.text(key="sk_other", action="getBalance") == "ACCESS_BALANCE:5.00"


async def test_order_id_makes_get_number_v2_idempotent(world: World) -> None:
    first = await world.sa(action="getNumberV2", service="tg", orderId="tool-42")
    assert first.headers["Content-Type"] == "application/json"
    await world.tick(1)
    assert (
        await world.text(action="getNumberV2", service="tg", orderId="tool-42")
        == "ORDER_ALREADY_EXISTS"
    )
    assert (await world.stats())["by_endpoint"]["rent-a-number"] == 1


async def test_order_id_is_released_when_the_vendor_refuses(world: World) -> None:
    await world.control("PUT", "/services", [{"api_name": "telegram", "price": 0.45, "stock": 0}])
    assert await world.text(action="getNumberV2", service="tg", orderId="o-1") == "NO_NUMBERS"
    await world.control("PUT", "/services", [{"api_name": "telegram", "price": 0.45, "stock": 5}])
    await world.tick(1)
    retried = await world.sa(action="getNumberV2", service="tg", orderId="o-1")
    assert json.loads(retried.text)["activationCost"] == "0.45"


async def test_order_id_is_kept_when_the_outcome_is_unknown(world: World) -> None:
    await world.control("POST", "/faults", {"endpoint": "rent-a-number", "reset_rate": 1})
    assert await world.text(action="getNumberV2", service="tg", orderId="o-2") == "ERROR_SQL"
    await world.control("DELETE", "/faults")
    await world.tick(1)
    # the vendor did sell a number: the retry must not buy a second one
    assert (
        await world.text(action="getNumberV2", service="tg", orderId="o-2")
        == "ORDER_ALREADY_EXISTS"
    )
    assert (await world.stats())["by_endpoint"]["rent-a-number"] == 1
