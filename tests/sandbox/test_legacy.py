"""The vendor's own legacy handler_api.php: every action and token it documents."""

from __future__ import annotations

import pytest

from .conftest import Sandbox


async def text(sandbox: Sandbox, **params: str) -> str:
    r = await sandbox.legacy(**params)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    return r.text


async def test_get_number_and_status_flow(sandbox: Sandbox) -> None:
    answer = await text(sandbox, action="getNumber", service="whatsapp")
    token, rid, phone = answer.split(":")
    assert token == "ACCESS_NUMBER" and phone.startswith("1") and len(phone) == 11
    assert await text(sandbox, action="getStatus", id=rid) == "STATUS_WAIT_CODE"
    assert await text(sandbox, action="setStatus", id=rid, status="6") == "NO_ACTIVATION"
    await sandbox.sms(int(rid), "654321")
    assert await text(sandbox, action="getStatus", id=rid) == "STATUS_OK:654321"
    assert await text(sandbox, action="setStatus", id=rid, status="6") == "ACCESS_ACTIVATION"
    assert await text(sandbox, action="getStatus", id=rid) == "STATUS_OK:654321"


async def test_cancel_lock_and_cancel(sandbox: Sandbox) -> None:
    rid = (await text(sandbox, action="getNumber", service="whatsapp")).split(":")[1]
    assert await text(sandbox, action="setStatus", id=rid, status="8") == "RENTAL_LOCKED"
    await sandbox.tick(60)
    assert await text(sandbox, action="setStatus", id=rid, status="8") == "ACCESS_CANCEL"
    assert await text(sandbox, action="getStatus", id=rid) == "STATUS_CANCEL"
    assert await text(sandbox, action="getBalance") == "ACCESS_BALANCE:100.00"


async def test_balance_and_key_errors(sandbox: Sandbox) -> None:
    assert await text(sandbox, action="getBalance") == "ACCESS_BALANCE:100.00"
    assert await text(sandbox, action="getBalance", api_key="nope") == "BAD_KEY"
    assert await text(sandbox, action="getBalance", api_key="") == "BAD_KEY"
    assert await text(sandbox, action="nope") == "BAD_ACTION"


async def test_maintenance_token(sandbox: Sandbox) -> None:
    await sandbox.control("POST", "/maintenance", {"on": True})
    for action in ("getNumber", "getBalance", "getExtraActivation", "getPrices"):
        assert await text(sandbox, action=action, service="whatsapp") == "MAINTENANCE"


async def test_get_prices(sandbox: Sandbox) -> None:
    r = await sandbox.legacy(action="getPrices", service="whatsapp,telegram", country="187")
    assert r.headers["Content-Type"] == "application/json"
    assert r.content == (
        b'[{"whatsapp":{"cost":0.55,"count":66,"physicalCount":66}},'
        b'{"telegram":{"cost":0.45,"count":120,"physicalCount":120}}]'
    )
    assert await text(sandbox, action="getPrices", service="whatsapp", country="0") == "BAD_COUNTRY"
    assert await text(sandbox, action="getPrices", service="whatsapp") == "BAD_COUNTRY"
    assert await text(sandbox, action="getPrices", country="187") == "BAD_SERVICE"


@pytest.mark.parametrize(
    ("setup", "params", "token"),
    [
        (
            {"services": [{"api_name": "whatsapp", "price": 0.55, "stock": 0}]},
            {"service": "whatsapp"},
            "OUT_OF_STOCK",
        ),
        ({"account": {"balance": "0.10"}}, {"service": "whatsapp"}, "INSUFFICIENT_FUNDS"),
        ({"account": {"max_active_rentals": 0}}, {"service": "whatsapp"}, "MAX_RENTALS_EXCEEDED"),
        ({}, {"service": "nope"}, "BAD_SERVICE"),
        ({}, {}, "BAD_SERVICE"),
        (
            {"services": [{"api_name": "whatsapp", "price": 0.55, "available": False}]},
            {"service": "whatsapp"},
            "SERVICE_NOT_AVAILABLE",
        ),
        (
            {"services": [{"api_name": "whatsapp", "price": 0.55, "requires_approval": True}]},
            {"service": "whatsapp"},
            "APPROVAL_REQUIRED",
        ),
        ({}, {"service": "whatsapp", "max_price": "0.10"}, "MAX_PRICE_EXCEEDED"),
        ({}, {"service": "whatsapp", "carrier": "sprint"}, "RENTAL_ERROR"),
        (
            {"fault": {"endpoint": "handler_api", "error_rate": 1, "error_status": 408}},
            {"service": "whatsapp"},
            None,
        ),
    ],
)
async def test_get_number_tokens(
    sandbox: Sandbox, setup: dict[str, object], params: dict[str, str], token: str | None
) -> None:
    if "services" in setup:
        await sandbox.control("PUT", "/services", setup["services"])
    if "account" in setup:
        await sandbox.account(api_key="sk_sandbox_demo", **setup["account"])  # type: ignore[arg-type]
    if "fault" in setup:
        await sandbox.control("POST", "/faults", setup["fault"])
        r = await sandbox.legacy(action="getNumber", **params)
        assert r.status_code == 408
        return
    assert await text(sandbox, action="getNumber", **params) == token


async def test_rate_limit_token(sandbox: Sandbox) -> None:
    answers = [await text(sandbox, action="getNumber", service="uber") for _ in range(3)]
    assert [a.split(":")[0] for a in answers] == [
        "ACCESS_NUMBER",
        "ACCESS_NUMBER",
        "RENTAL_ERROR_TRY_AGAIN",
    ]


async def test_ids(sandbox: Sandbox) -> None:
    assert await text(sandbox, action="getStatus", id="abc") == "BAD_ID"
    assert await text(sandbox, action="getStatus") == "BAD_ID"
    assert await text(sandbox, action="getStatus", id="1") == "NO_ACTIVATION"
    assert await text(sandbox, action="setStatus", id="1", status="8") == "NO_ACTIVATION"
    rid = (await text(sandbox, action="getNumber", service="whatsapp")).split(":")[1]
    assert await text(sandbox, action="setStatus", id=rid, status="3") == "BAD_STATUS"


async def test_get_extra_activation(sandbox: Sandbox) -> None:
    first = await text(sandbox, action="getNumber", service="whatsapp")
    _, rid, phone = first.split(":")
    assert await text(sandbox, action="getExtraActivation", id=rid) == "RENTAL_ACTIVE"
    assert await text(sandbox, action="getExtraActivation", id="1") == "NO_ACTIVATION"
    await sandbox.tick(61)
    await text(sandbox, action="setStatus", id=rid, status="8")
    again = await text(sandbox, action="getExtraActivation", id=rid)
    token, new_id, new_phone = again.split(":")
    assert (token, new_phone) == ("ACCESS_NUMBER", phone) and new_id != rid

    generic = (await text(sandbox, action="getNumber", service="generic")).split(":")[1]
    await sandbox.tick(61)
    await text(sandbox, action="setStatus", id=generic, status="8")
    assert await text(sandbox, action="getExtraActivation", id=generic) == "BAD_SERVICE"
    await text(sandbox, action="setStatus", id=new_id, status="8")
    await sandbox.account(api_key="sk_sandbox_demo", balance="0")
    assert await text(sandbox, action="getExtraActivation", id=new_id) == "INSUFFICIENT_FUNDS"


async def test_legacy_and_v1_share_state(sandbox: Sandbox) -> None:
    rid = (await text(sandbox, action="getNumber", service="whatsapp")).split(":")[1]
    r = await sandbox.post("/rental-status", {"id": int(rid)})
    assert r.json()["status"] == "active"
    assert await text(sandbox, action="getBalance") == f"ACCESS_BALANCE:{r.json()['balance']}"
