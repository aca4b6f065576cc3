"""Garbage in: a protocol answer out, always HTTP 200, never a traceback or a hang."""

from __future__ import annotations

import pytest

from .conftest import World


@pytest.mark.parametrize(
    ("params", "token"),
    [
        ({"action": "nope"}, "BAD_ACTION"),
        ({}, "BAD_ACTION"),
        ({"action": "getStatus"}, "NO_ACTIVATION"),
        ({"action": "getStatus", "id": "abc"}, "WRONG_ACTIVATION_ID"),
        ({"action": "getStatus", "id": "99999999999"}, "WRONG_ACTIVATION_ID"),
        ({"action": "getStatus", "id": "123"}, "NO_ACTIVATION"),
        ({"action": "setStatus", "id": "-5", "status": "8"}, "WRONG_ACTIVATION_ID"),
        (
            {"action": "getNumber", "service": "wa", "phoneException": "12x"},
            "WRONG_EXCEPTION_PHONE",
        ),
        ({"action": "getNumber", "service": "'; DROP TABLE"}, "BAD_SERVICE"),
        ({"action": "getNumber", "service": "wa", "activationType": "2"}, "NO_NUMBERS"),
    ],
)
async def test_sms_activate_bad_input(world: World, params: dict[str, str], token: str) -> None:
    assert await world.text(**params) == token


@pytest.mark.parametrize(
    ("params", "token"),
    [
        ({"action": "getStatus", "id": "abc"}, "BAD_ID"),
        ({"action": "getStatus"}, "BAD_ID"),
        ({"action": "getStatus", "id": "5"}, "NO_ACTIVATION"),
        ({"action": "getPrices", "service": "whatsapp", "country": "0"}, "BAD_COUNTRY"),
        ({"action": "getPrices", "country": "187"}, "BAD_SERVICE"),
        ({"action": "getNumbersStatus"}, "BAD_ACTION"),
    ],
)
async def test_getatext_bad_input(world: World, params: dict[str, str], token: str) -> None:
    assert await world.gat(**params) == token


async def test_oversized_and_broken_bodies(world: World) -> None:
    url = world.proxy + "/stubs/handler_api.php"
    big = await world.http.post(
        url,
        content=b"api_key=k&action=getBalance&x=" + b"a" * 100_000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (big.status_code, big.text) == (200, "BAD_ACTION")
    broken = await world.http.post(
        url, content=b"\xff\xfe=\x00", headers={"Content-Type": "multipart/form-data"}
    )
    assert broken.status_code == 200
    assert broken.text in ("BAD_ACTION", "NO_KEY")
    assert await world.text(action="getBalance") == "ACCESS_BALANCE:100.00"


async def test_keys_never_appear_in_answers_or_the_store(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret_key = "sk_sandbox_demo"
    activation_id, _ = await world.rent()
    for params in (
        {"action": "getStatus", "id": activation_id},
        {"action": "getActiveActivations"},
        {"action": "nope"},
    ):
        assert secret_key not in (await world.sa(**params)).text
    db = (tmp_path / "var" / "smsproxy.db").read_bytes()
    wal = tmp_path / "var" / "smsproxy.db-wal"
    assert secret_key.encode() not in db + (wal.read_bytes() if wal.exists() else b"")
