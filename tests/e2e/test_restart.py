"""Restarts: the default set-up keeps selling, and purchases under way when the proxy is
killed are all accounted for afterwards."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import World
from .test_durability import ProxyProcess, vendor  # noqa: F401 -- the vendor fixture

ADMIN = "restart-admin"


async def test_a_restarted_demo_keeps_selling(tmp_path: Path) -> None:
    proxy = ProxyProcess(None, tmp_path / "data")
    sandbox = f"http://127.0.0.1:{proxy.sandbox_port}/_sandbox"
    await proxy.start()
    async with httpx.AsyncClient(timeout=10) as http:

        async def ask(**params: str) -> str:
            r = await http.get(proxy.url, params={"api_key": "sk_sandbox_demo", **params})
            return r.text

        try:
            assert await ask(action="getBalance") == "ACCESS_BALANCE:100.00"
            _, first_id, first_number = (await ask(action="getNumber", service="wa")).split(":")
            await proxy.stop()
            await proxy.start()
            second = await ask(action="getNumber", service="wa")
            token, second_id, second_number = second.split(":")
            assert token == "ACCESS_NUMBER", second
            assert second_id != first_id and second_number != first_number
            assert await ask(action="getBalance") == "ACCESS_BALANCE:98.90"
            rentals = (await http.get(sandbox + "/rentals")).json()["rentals"]
            assert len({r["id"] for r in rentals}) == 2
            # both activations still lead to their own rental at the vendor
            await http.post(sandbox + "/sms", json={"number": first_number[1:], "code": "1111"})
            await http.post(sandbox + "/sms", json={"number": second_number[1:], "code": "2222"})
            assert await ask(action="getStatus", id=first_id) == "STATUS_OK:1111"
            assert await ask(action="getStatus", id=second_id) == "STATUS_OK:2222"
        finally:
            await proxy.stop()


async def test_a_reused_vendor_id_is_answered_and_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    first_id, _ = await world.rent()
    await world.control("POST", "/reset")  # the vendor forgot: the same rental id comes again
    with caplog.at_level(logging.ERROR, logger="smsproxy.rent"):
        second_id, _ = await world.rent()
    assert second_id != first_id
    assert "reused rental id" in caplog.text
    assert await world.text(action="getStatus", id=first_id) == "STATUS_CANCEL"
    assert await world.text(action="getStatus", id=second_id) == "STATUS_WAIT_CODE"


def fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:12]  # the sandbox's account names


async def test_purchases_in_flight_survive_a_kill(vendor: str, tmp_path: Path) -> None:  # noqa: F811
    keys = [f"sk_kill_{i:02d}" for i in range(20)]
    # twenty keys new to the proxy buy at once, from one address: their key checks may
    # all go at once too
    proxy = ProxyProcess(
        vendor,
        tmp_path / "data",
        admin_token=ADMIN,
        unknown_key_checks_per_second="100",
        client_burst="50",
    )
    await proxy.start()
    async with httpx.AsyncClient(timeout=30) as http:

        async def control(method: str, path: str, body: Any = None) -> Any:
            r = await http.request(method, f"{vendor}/_sandbox{path}", json=body)
            assert r.status_code == 200, r.text
            return r.json()

        async def buy(key: str) -> str:
            r = await http.get(
                proxy.url, params={"api_key": key, "action": "getNumber", "service": "wa"}
            )
            return r.text

        async def admin(state: str) -> list[dict[str, Any]]:
            r = await http.get(
                f"{proxy.base}/admin/purchases",
                params={"state": state},
                headers={"X-Admin-Token": ADMIN},
            )
            rows: list[dict[str, Any]] = r.json()["purchases"]
            return rows

        for key in keys:
            await control("POST", "/accounts", {"api_key": key, "balance": 10})
        assert (await buy("sk_sandbox_demo")).startswith("ACCESS_NUMBER:")
        # the vendor sells at once and answers three seconds later
        await control(
            "POST",
            "/faults",
            {"endpoint": "rent-a-number", "timeout_rate": 1, "timeout_seconds": 3},
        )
        in_flight = [asyncio.create_task(buy(key)) for key in keys]

        async def all_sold() -> None:
            while len((await control("GET", "/rentals"))["rentals"]) < 1 + len(keys):
                await asyncio.sleep(0.02)  # a condition polled, not a guessed delay

        await asyncio.wait_for(all_sold(), 20)
        await proxy.kill()
        await asyncio.gather(*in_flight, return_exceptions=True)
        await control("DELETE", "/faults")

        await proxy.start()
        try:
            unknown = await admin("unknown")
            assert len(unknown) == len(keys)
            metrics = (await http.get(f"{proxy.base}/metrics")).text
            assert 'smsproxy_purchase_journal_entries{state="unknown"} 20.0' in metrics
            rentals = (await control("GET", "/rentals"))["rentals"]
            by_account = {r["account"]: r for r in rentals}
            for key in keys:  # each tool retries: it gets the number it paid for
                token, _, phone = (await buy(key)).split(":")
                assert token == "ACCESS_NUMBER"
                assert phone[1:] == by_account[fingerprint(key)]["number"]
            assert len((await control("GET", "/rentals"))["rentals"]) == 1 + len(keys)
            assert await admin("unknown") == []
            assert len(await admin("adopted")) == len(keys)
        finally:
            await proxy.kill()
