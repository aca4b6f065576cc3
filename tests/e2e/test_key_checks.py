"""Keys the vendor refuses cost it one call per TTL, and a closed proxy passes no key
through at all: counted at the sandbox, with the proxy's clock moved by the test."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from .conftest import DEMO, World, start_world
from .test_fault_matrix import DIALECTS

BAD = "sk_not_known_at_the_vendor"


async def balance_calls(w: World) -> int:
    return int((await w.stats())["by_endpoint"].get("balance", 0))


async def test_a_refused_key_is_asked_about_once_per_ttl(tmp_path: Path) -> None:
    async for w in start_world(tmp_path, refused_key_ttl_seconds=60.0):
        for _ in range(5):
            assert await w.text(key=BAD, action="getBalance") == "BAD_KEY"
        assert await balance_calls(w) == 1  # remembered: the vendor heard it once
        await w.control("POST", "/accounts", {"api_key": BAD, "balance": 7})  # now valid
        assert await w.text(key=BAD, action="getBalance") == "BAD_KEY"  # still remembered
        assert await balance_calls(w) == 1
        w.clock.advance(61)  # the TTL has passed: asked again, and accepted
        assert await w.text(key=BAD, action="getBalance") == "ACCESS_BALANCE:7.00"
        assert await balance_calls(w) == 2
        assert await w.text(action="getBalance") == "ACCESS_BALANCE:100.00"  # others unharmed


@pytest.mark.parametrize("name", list(DIALECTS))
async def test_a_closed_proxy_passes_no_key_through(tmp_path: Path, name: str) -> None:
    async for w in start_world(tmp_path, passthrough_keys=False):
        if name == "textverified":  # its key is checked where a token is asked for
            answer = await w.http.post(
                w.proxy + "/api/pub/v2/auth", headers={"X-API-KEY": DEMO, "X-API-USERNAME": "t"}
            )
        else:
            answer = await DIALECTS[name].balance(w)  # the demo key, valid at the vendor
        assert DEMO not in answer.text
        assert answer.text in CLOSED[name], (name, answer.status_code, answer.text)
        assert await balance_calls(w) == 0  # no key reached the vendor


CLOSED = {  # each dialect's own bad-key answer (its table's BadKey row)
    "sms-activate": {"BAD_KEY"},
    "getatext": {"BAD_KEY"},
    "5sim": {""},
    "v1": {'{"errors":"Wrong Api Key or User is restricted"}'},
    "onlinesim": {'{"response":"ERROR_WRONG_KEY"}'},
    "smspool": {'{"success":0,"message":"Invalid API key.","type":"KEY_ERROR"}'},
    "textverified": {
        '{"errorCode":"Unauthorized","errorDescription":"Invalid credentials or token."}'
    },
}


async def test_a_flood_of_made_up_keys_reaches_the_vendor_at_the_check_pace(
    tmp_path: Path,
) -> None:
    """600 made-up keys, 50 at a time: their checks reach the vendor at 2 a second (plus
    one), the rest answered "try again" or, once refused, "bad key" without a call; a
    known key buys and reads as before, never waiting for a check."""
    async for w in start_world(
        tmp_path,
        pacing_enabled=True,
        unknown_key_checks_per_second=2.0,
        unknown_key_check_wait_seconds=0.5,
    ):
        assert await w.text(action="getBalance") == "ACCESS_BALANCE:100.00"  # verified
        before = await balance_calls(w)
        started = time.monotonic()
        answers: list[str] = []
        for first in range(0, 600, 50):
            answers += await asyncio.gather(
                *(
                    w.text(key=f"sk_made_up_{i:04d}", action="getBalance")
                    for i in range(first, first + 50)
                )
            )
            if first == 300:  # meanwhile, the known key's purchase and status
                bought = await w.text(action="getNumber", service="wa", country="187")
                assert bought.startswith("ACCESS_NUMBER:")
                status = await w.text(action="getStatus", id=bought.split(":")[1])
                assert status == "STATUS_WAIT_CODE"
        elapsed = time.monotonic() - started
        checks = await balance_calls(w) - before
        assert set(answers) <= {"BAD_KEY", "ERROR_SQL"}
        assert answers.count("BAD_KEY") == checks  # each check was one refusal
        print(f"600 made-up keys in {elapsed:.1f} s: {checks} vendor checks")  # the log
        assert checks <= 2 * elapsed + 1, (checks, elapsed)


async def test_a_new_keys_first_calls_at_once_share_one_check(tmp_path: Path) -> None:
    """Ten calls at once with a key never seen: the first is its check, the others wait
    for the verdict instead of each taking a check slot (one a second here, waited for
    0.5 s at most: without sharing, most would be told to try again)."""
    async for w in start_world(
        tmp_path,
        pacing_enabled=True,
        unknown_key_checks_per_second=1.0,
        unknown_key_check_wait_seconds=0.5,
    ):
        await w.control("POST", "/accounts", {"api_key": "sk_new_tool", "balance": 9})
        answers = await asyncio.gather(
            *(w.text(key="sk_new_tool", action="getBalance") for _ in range(10))
        )
        assert answers == ["ACCESS_BALANCE:9.00"] * 10
    async for w in start_world(
        tmp_path / "refused",
        pacing_enabled=True,
        unknown_key_checks_per_second=1.0,
        unknown_key_check_wait_seconds=0.5,
    ):
        refused = await asyncio.gather(*(w.text(key=BAD, action="getBalance") for _ in range(10)))
        assert refused == ["BAD_KEY"] * 10
        assert await balance_calls(w) == 1  # the vendor heard the refused key once, not ten
