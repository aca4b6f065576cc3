"""Budgets, the ledger and per-tenant limits of issued keys: the proxy and the sandbox as
real HTTP servers, both clocks moved by the test, the vendor checked directly."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from aiohttp.test_utils import TestServer

from proxy import config
from proxy.app import build_app
from proxy.config.routing import ProviderConfig
from proxy.local.clock import ManualClock
from proxy.sandbox import SandboxClock, SandboxConfig, create_app

VENDOR_KEY = "sk_sandbox_demo"
ADMIN = {"X-Admin-Token": "adm_budget_token"}
WA = Decimal("0.55")  # the sandbox's whatsapp price


@dataclass
class Fleet:
    base: str
    vendor: str
    http: httpx.AsyncClient
    clock: ManualClock

    async def key(self, **policy: Any) -> str:
        made = await self.http.post(self.base + "/admin/keys", json=policy, headers=ADMIN)
        assert made.status_code == 201, made.text
        return str(made.json()["key"])

    async def buy(self, key: str, **params: str) -> tuple[str, str]:
        """getNumber, then a second on both clocks (the vendor's 2/s window); (id, number)."""
        answer = await self.sa(key, action="getNumber", **{"service": "wa", **params})
        token, activation_id, phone = answer.split(":")
        assert token == "ACCESS_NUMBER", answer
        await self.tick(1)
        return activation_id, phone[1:]

    async def sa(self, key: str, path: str = "/stubs/handler_api.php", **params: str) -> str:
        r = await self.http.get(self.base + path, params={"api_key": key, **params})
        assert r.status_code == 200
        return r.text

    async def tick(self, seconds: float) -> None:
        self.clock.advance(seconds)
        r = await self.http.post(self.vendor + "/_sandbox/clock", json={"advance_seconds": seconds})
        assert r.status_code == 200

    async def sms(self, number: str, code: str) -> None:
        r = await self.http.post(
            self.vendor + "/_sandbox/sms", json={"number": number, "code": code}
        )
        assert r.status_code == 200, r.text

    async def vendor_balance(self) -> Decimal:
        r = await self.http.get(self.vendor + "/api/v1/balance", headers={"Auth": VENDOR_KEY})
        return Decimal(r.json()["balance"])

    async def vendor_rentals(self) -> list[dict[str, Any]]:
        r = await self.http.get(self.vendor + "/_sandbox/rentals")
        return list(r.json()["rentals"])

    async def usage(self, **query: str) -> dict[str, Any]:
        r = await self.http.get(self.base + "/admin/usage", params=query, headers=ADMIN)
        assert r.status_code == 200, r.text
        return dict(r.json())


@asynccontextmanager
async def fleet(tmp_path: Path, *, frozen: bool = True, **settings: Any) -> AsyncIterator[Fleet]:
    """Frozen: both clocks move only when the test says (purchases a second apart)."""
    sandbox_clock = SandboxClock(frozen=frozen)
    vendor = TestServer(create_app(SandboxConfig(seed=11), sandbox_clock), host="127.0.0.1")
    await vendor.start_server()
    vendor_url = str(vendor.make_url("")).rstrip("/")
    clock = ManualClock(sandbox_clock.now())
    values = {
        "data_dir": tmp_path / "data",
        "secret": "budgets",
        "managed_keys": True,
        "admin_token": ADMIN["X-Admin-Token"],
        "pacing_enabled": False,
        "providers": (ProviderConfig("alpha", "getatext", vendor_url, "VENDOR"),),
        **settings,
    }
    proxy = TestServer(
        build_app(config.load(env={}, **values), clock, {"VENDOR": VENDOR_KEY}), host="127.0.0.1"
    )
    await proxy.start_server()
    try:
        async with httpx.AsyncClient(timeout=20) as http:
            yield Fleet(str(proxy.make_url("")).rstrip("/"), vendor_url, http, clock)
    finally:
        await proxy.close()
        await vendor.close()


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    """A condition polled (background work runs each second), bounded."""

    async def poll() -> None:
        while not await check():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), 15)


async def test_fifty_concurrent_purchases_against_a_budget_for_ten_buy_ten(
    tmp_path: Path,
) -> None:
    async with fleet(tmp_path, frozen=False, pacing_enabled=True) as f:  # the vendor's pace
        key = await f.key(tenant="burst", daily_budget=str(WA * 10))
        assert await f.sa(key, action="getBalance") == "ACCESS_BALANCE:5.50"
        answers = await asyncio.gather(
            *(f.sa(key, action="getNumber", service="wa", country="187") for _ in range(50))
        )
        bought = [a for a in answers if a.startswith("ACCESS_NUMBER:")]
        assert len(bought) == 10, answers
        assert set(answers) - set(bought) == {"NO_BALANCE"}
        assert len(await f.vendor_rentals()) == 10  # checked at the vendor
        assert await f.sa(key, action="getBalance") == "ACCESS_BALANCE:0.00"
        # every dialect answers an empty budget in its own words, without asking the vendor
        legacy = await f.sa(
            key, "/getatext/stubs/handler_api.php", action="getNumber", service="wa"
        )
        five = await f.http.get(
            f.base + "/v1/user/buy/activation/usa/any/whatsapp",
            headers={"Authorization": f"Bearer {key}"},
        )
        v1 = await f.http.post(
            f.base + "/api/v1/rent-a-number", json={"service": "whatsapp"}, headers={"Auth": key}
        )
        assert legacy == "INSUFFICIENT_FUNDS"
        assert (five.status_code, five.text) == (400, "not enough user balance")
        assert (v1.status_code, v1.json()) == (400, {"errors": "Insufficient funds"})
        assert len(await f.vendor_rentals()) == 10
        page = (await f.http.get(f.base + "/metrics")).text
        refused = (
            'smsproxy_client_requests_total{action="getNumber",dialect="sms-activate",'
            'result="OverBudget",source="proxy"} 40.0'
        )
        assert refused in page  # counted as the refusal it is, not as a failure
        assert 'smsproxy_tenant_refusals_total{reason="budget",tenant="burst"} 43.0' in page
        report = await f.usage(tenant="burst")
        assert report["tenants"] == [
            {
                "tenant": "burst",
                "purchases": 10,
                "charged": "5.50",
                "refunds": 0,
                "refunded": "0.00",
                "adjusted": "0.00",
                "net": "5.50",
                "held": "0.00",
            }
        ]


async def test_refunds_on_cancel_and_on_expiry_restore_the_budget(tmp_path: Path) -> None:
    async with fleet(tmp_path) as f:
        key = await f.key(tenant="refunds", daily_budget="1.10")
        first, _ = await f.buy(key)
        await f.buy(key)
        assert await f.sa(key, action="getBalance") == "ACCESS_BALANCE:0.00"
        await f.tick(61)  # past the vendor's cancel lock
        assert await f.sa(key, action="setStatus", id=first, status="8") == "ACCESS_CANCEL"
        assert await f.sa(key, action="getBalance") == "ACCESS_BALANCE:0.55"
        await f.tick(20 * 60)  # the other one ends without a code; nobody asks about it

        async def refunded() -> bool:
            return await f.sa(key, action="getBalance") == "ACCESS_BALANCE:1.10"

        await until(refunded)  # the proxy's sweep asked the vendor and credited it back
        assert len(await f.vendor_rentals()) == 2
        rows = (await f.usage())["tenants"][0]
        assert (rows["purchases"], rows["refunds"], rows["net"]) == (2, 2, "0.00")
        adjusted = await f.http.post(
            f.base + "/admin/usage/adjust",
            json={"tenant": "refunds", "amount": "0.60", "note": "support fee"},
            headers=ADMIN,
        )
        assert adjusted.status_code == 200, adjusted.text
        assert await f.sa(key, action="getBalance") == "ACCESS_BALANCE:0.50"
        assert await f.sa(key, action="getNumber", service="wa") == "NO_BALANCE"
        refused = await f.http.post(
            f.base + "/admin/usage/adjust", json={"tenant": "refunds", "amount": "x"}, headers=ADMIN
        )
        assert (refused.status_code, refused.json()) == (
            400,
            {"error": "amount must be a number such as -2.50"},
        )


async def test_the_ledger_sums_equal_the_vendors_balance_movement_over_a_day(
    tmp_path: Path,
) -> None:
    async with fleet(tmp_path) as f:
        start = await f.vendor_balance()
        a = await f.key(tenant="day-a", daily_budget="20")
        b = await f.key(tenant="day-b")  # no budget: still in the ledger
        bought = {}
        for name, key in (("done", a), ("cancelled", a), ("expired", b), ("late", b)):
            bought[name] = (key, *await f.buy(key))
        multi = await f.sa(a, action="getMultiServiceNumber", multiService="wa,tg")
        assert multi.startswith("[{"), multi
        await f.tick(1)
        key, done, phone = bought["done"]
        await f.sms(phone, "12345")
        assert await f.sa(key, action="getStatus", id=done) == "STATUS_OK:12345"
        assert await f.sa(key, action="setStatus", id=done, status="6") == "ACCESS_ACTIVATION"
        again = await f.sa(key, action="getExtraActivation", activationId=done)
        assert again.startswith("ACCESS_NUMBER:"), again  # a re-rent at half the price
        await f.tick(1)
        await f.tick(61)
        key, cancelled, _ = bought["cancelled"]
        assert await f.sa(key, action="setStatus", id=cancelled, status="8") == "ACCESS_CANCEL"
        _, _, phone = bought["late"]
        await f.sms(phone, "777777")  # a code nobody finishes: the vendor keeps the money
        await f.tick(20 * 60)  # everything still open ends

        async def settled() -> bool:
            tenants = (await f.usage())["tenants"]
            # refunded: the cancelled one, the expired one, both of the multi, the re-rent
            return sum(t["refunds"] for t in tenants) == 5

        await until(settled)
        report = await f.usage()
        spent = sum(Decimal(t["net"]) for t in report["tenants"])
        assert spent == start - await f.vendor_balance()
        assert [t["tenant"] for t in report["tenants"]] == ["day-a", "day-b"]
        assert report["check"]["drift"] == "0.00" and report["check"]["intervals"] >= 2
        csv_text = (
            await f.http.get(f.base + "/admin/usage", params={"format": "csv"}, headers=ADMIN)
        ).text
        assert csv_text.splitlines()[0] == (
            "tenant,purchases,charged,refunds,refunded,adjusted,net,held"
        )
        assert (await f.http.get(f.base + "/admin/usage")).status_code == 404  # no token


async def test_per_tenant_limits_refuse_before_the_vendor(tmp_path: Path) -> None:
    async with fleet(tmp_path) as f:
        key = await f.key(
            tenant="limited",
            rate_per_second=2,
            countries=["gb"],
            max_prices={"whatsapp": "0.50"},
        )
        answers = [await f.sa(key, action="getBalance") for _ in range(3)]
        assert answers[:2] == ["ACCESS_BALANCE:0.00"] * 2
        assert answers[2] == "ERROR_SQL"  # SMS-Activate's transient answer: try again
        five = await f.http.get(
            f.base + "/v1/user/profile", headers={"Authorization": f"Bearer {key}"}
        )
        assert (five.status_code, five.text) == (429, "")
        f.clock.advance(1)
        assert await f.sa(key, action="getNumber", service="wa", country="187") == "NO_NUMBERS"
        patched = await f.http.patch(
            f.base + "/admin/tenants/limited",
            json={"countries": ["us"], "rate_per_second": 100},
            headers=ADMIN,
        )
        assert patched.status_code == 200 and patched.json()["countries"] == ["us"]
        f.clock.advance(1)  # the bucket refills at the new rate from here
        await f.sa(key, action="getNumbersStatus")  # the price list, for the local check
        refused = await f.sa(key, action="getNumber", service="wa", country="187")
        assert refused == "WRONG_MAX_PRICE:0.55"
        assert await f.vendor_rentals() == []
        bad = await f.http.patch(
            f.base + "/admin/tenants/limited", json={"daily_budget": "lots"}, headers=ADMIN
        )
        assert (bad.status_code, bad.json()) == (
            400,
            {"error": "daily_budget must be an amount such as 50 or 12.50"},
        )
        listed = (await f.http.get(f.base + "/admin/tenants", headers=ADMIN)).json()["tenants"]
        assert [(t["tenant"], t["max_prices"]) for t in listed] == [
            ("limited", {"whatsapp": "0.50"})
        ]
        assert json.dumps(listed).find(key) == -1


async def test_long_rentals_are_held_charged_refunded_and_auto_renewals_seen(
    tmp_path: Path,
) -> None:
    async with fleet(tmp_path) as f:
        start = await f.vendor_balance()
        key = await f.key(tenant="long", daily_budget="30")
        week = await f.http.get(
            f.vendor + "/api/v1/long-rentals/prices", headers={"Auth": VENDOR_KEY}
        )
        price = Decimal(str(week.json()["prices"]["1w"]))

        def rent_json(text: str) -> dict[str, Any]:
            return dict(json.loads(text))

        first = rent_json(await f.sa(key, action="getRentNumber", service="full"))
        second = rent_json(await f.sa(key, action="getRentNumber", service="full"))
        assert first["status"] == second["status"] == "success"
        left = Decimal(30) - 2 * price
        assert await f.sa(key, action="getBalance") == f"ACCESS_BALANCE:{left:.2f}"
        third = rent_json(await f.sa(key, action="getRentNumber", service="full"))
        assert third == {"status": "error", "message": "NO_BALANCE"}  # held, never sent

        # cancelled at once, before any message: the vendor refunds, so does the ledger
        cancel = await f.sa(key, action="setRentStatus", id=str(first["phone"]["id"]), status="2")
        assert rent_json(cancel) == {"status": "success"}
        assert await f.sa(key, action="getBalance") == f"ACCESS_BALANCE:{30 - price:.2f}"

        # the vendor renews the other by itself at its end: charged when the proxy sees it
        changed = await f.http.post(
            f"{f.base}/api/v1/long-rentals/{second['phone']['id']}/update",
            json={"action": "auto_renew", "auto_renew": True},
            headers={"Auth": key},
        )
        assert changed.status_code == 200, changed.text
        await f.tick(7 * 86400 + 1)
        status = await f.sa(key, action="getRentStatus", id=str(second["phone"]["id"]))
        assert rent_json(status) == {"status": "error", "message": "STATUS_WAIT_CODE"}
        report = await f.usage(tenant="long")
        assert report["tenants"][0]["charged"] == f"{3 * price:.2f}"
        assert Decimal(report["tenants"][0]["net"]) == start - await f.vendor_balance()
        page = (await f.http.get(f.base + "/metrics")).text
        assert 'smsproxy_long_rental_events_total{event="renewed",provider="alpha"} 1.0' in page
        assert 'smsproxy_long_rentals{state="cancelled"} 1.0' in page


async def test_an_auto_renewal_nobody_reads_reaches_the_ledger(tmp_path: Path) -> None:
    async with fleet(tmp_path) as f:
        start = await f.vendor_balance()
        key = await f.key(tenant="unread")
        made = await f.http.post(
            f"{f.base}/api/v1/long-rentals",
            json={"rental_time": "1w", "auto_renew": True},
            headers={"Auth": key},
        )
        assert made.status_code == 200, made.text
        await f.tick(7 * 86400 + 60)  # the vendor renews it; no client asks about it

        async def charged_twice() -> bool:
            rows = (await f.usage(tenant="unread"))["tenants"]
            return bool(rows) and Decimal(rows[0]["net"]) == start - await f.vendor_balance()

        await until(charged_twice)  # the proxy's sweep read it and charged the renewal
        assert start - await f.vendor_balance() == 2 * Decimal(made.json()["long_rental"]["price"])


async def test_a_lost_long_rental_sale_is_found_and_charged_by_the_sweep(tmp_path: Path) -> None:
    async with fleet(tmp_path) as f:
        start = await f.vendor_balance()
        key = await f.key(tenant="lost", daily_budget="50")

        async def fault(body: dict[str, Any]) -> None:
            r = await f.http.post(f.vendor + "/_sandbox/faults", json=body)
            assert r.status_code == 200, r.text

        # the answer to the sale is lost, and the vendor's list cannot be read at once
        await fault({"endpoint": "long-rentals-create", "reset_rate": 1})
        await fault({"endpoint": "long-rentals", "error_rate": 1})
        refused = json.loads(await f.sa(key, action="getRentNumber", service="full"))
        assert refused == {"status": "error", "message": "SERVER_ERROR"}
        assert (await f.http.delete(f.vendor + "/_sandbox/faults")).status_code == 200
        await f.tick(31)  # the next sweep; the client never asks again

        async def charged() -> bool:
            rows = (await f.usage(tenant="lost"))["tenants"]
            return bool(rows) and rows[0]["purchases"] == 1

        await until(charged)
        report = (await f.usage(tenant="lost"))["tenants"][0]
        assert Decimal(report["net"]) == start - await f.vendor_balance() > 0
        assert report["held"] == "0.00"


async def test_a_daisysms_long_term_rental_is_held_charged_and_refunded(tmp_path: Path) -> None:
    """DaisySMS's `ltr=1` goes through the core's long-rental purchase (a month: the
    sandbox's 30-day service rental, 16.50 for WhatsApp, 13.50 for Telegram): the budget
    holds its price before it leaves, the ledger charges what the vendor took, a cancel
    before any message is refunded by both, and the ledger's net is the vendor's
    movement."""
    async with fleet(tmp_path) as f:
        start = await f.vendor_balance()
        key = await f.key(tenant="daisy", daily_budget="40")
        daisy = "/daisysms/stubs/handler_api.php"
        first = await f.sa(key, daisy, action="getNumber", service="wa", ltr="1")
        token, rental_id, _ = first.split(":")
        assert token == "ACCESS_NUMBER"
        assert start - await f.vendor_balance() == Decimal("16.50")
        assert await f.sa(key, daisy, action="getBalance") == "ACCESS_BALANCE:23.50"
        second = await f.sa(key, daisy, action="getNumber", service="tg", ltr="1")
        assert second.startswith("ACCESS_NUMBER:")
        assert await f.sa(key, daisy, action="getBalance") == "ACCESS_BALANCE:10.00"
        refused = await f.sa(key, daisy, action="getNumber", service="ig", ltr="1")
        assert refused == "NO_MONEY"  # 15.00 does not fit: held back, never sent
        assert start - await f.vendor_balance() == Decimal("30.00")
        cancelled = await f.sa(key, daisy, action="setStatus", id=rental_id, status="8")
        assert cancelled == "ACCESS_CANCEL"  # at once, before any message: refunded
        assert await f.sa(key, daisy, action="getBalance") == "ACCESS_BALANCE:26.50"
        report = await f.usage(tenant="daisy")
        assert Decimal(report["tenants"][0]["net"]) == start - await f.vendor_balance()
        assert start - await f.vendor_balance() == Decimal("13.50")


async def test_an_onlinesim_rent_is_held_charged_and_refunded(tmp_path: Path) -> None:
    """OnlineSIM's rent service goes through the core's long-rental purchase: a budget
    for two weeks' rent buys two, refuses a third before it leaves, refunds a cancel at
    once, and the ledger's net is the vendor's movement."""
    async with fleet(tmp_path) as f:
        start = await f.vendor_balance()
        week = await f.http.get(
            f.vendor + "/api/v1/long-rentals/prices", headers={"Auth": VENDOR_KEY}
        )
        price = Decimal(str(week.json()["prices"]["1w"]))
        key = await f.key(tenant="sim", daily_budget=str(2 * price + Decimal("0.01")))

        async def rent(method: str, **params: str) -> dict[str, Any]:
            url = f"{f.base}/api/rent/{method}.php"
            return dict((await f.http.get(url, params={"apikey": key, **params})).json())

        first = await rent("getRentNum", country="1", days="7")
        second = await rent("getRentNum", country="1", days="7")
        assert first["response"] == second["response"] == 1
        assert await rent("getRentNum", country="1", days="7") == {
            "response": "WARNING_LOW_BALANCE"  # held back: never sent to the vendor
        }
        assert start - await f.vendor_balance() == 2 * price
        closed = await rent("closeRentNum", tzid=str(first["item"]["tzid"]))
        assert closed == {"response": 1}  # at once, before any message: refunded
        report = await f.usage(tenant="sim")
        assert Decimal(report["tenants"][0]["net"]) == price
        assert Decimal(report["tenants"][0]["net"]) == start - await f.vendor_balance()


async def test_an_smspool_rental_is_held_charged_and_refunded(tmp_path: Path) -> None:
    """SMSPool's `purchase/rental` goes through the core's long-rental purchase: a budget
    for one week's rent buys one and refuses a second before it leaves; the refund at
    once gives it back to both, and the ledger's net is the vendor's movement."""
    async with fleet(tmp_path) as f:
        start = await f.vendor_balance()
        week = await f.http.get(
            f.vendor + "/api/v1/long-rentals/prices", headers={"Auth": VENDOR_KEY}
        )
        price = Decimal(str(week.json()["prices"]["1w"]))
        key = await f.key(tenant="pool", daily_budget=str(price))

        async def pool(path: str, **params: str) -> dict[str, Any]:
            r = await f.http.post(f"{f.base}/smspool/{path}", data={"key": key, **params})
            return dict(r.json())

        rented = await pool("purchase/rental", rental_id="1", days="7")
        assert rented["success"] == 1 and Decimal(rented["cost"]) == price
        refused = await pool("purchase/rental", rental_id="1", days="7")
        assert refused["type"] == "BALANCE_ERROR"  # held back: never sent to the vendor
        assert start - await f.vendor_balance() == price
        refunded = await pool("rental/refund.php", rental_code=rented["rental_code"])
        assert refunded["success"] == 1
        assert await f.vendor_balance() == start
        report = await f.usage(tenant="pool")
        assert Decimal(report["tenants"][0]["net"]) == 0 == start - await f.vendor_balance()


async def test_a_textverified_rental_is_held_charged_and_refunded(tmp_path: Path) -> None:
    """TextVerified's `POST reservations/rental` goes through the core's long-rental
    purchase: a budget for one week buys one and refuses a second before it leaves; the
    refund at once gives it back to both, and the ledger's net is the vendor's movement."""
    async with fleet(tmp_path) as f:
        start = await f.vendor_balance()
        week = await f.http.get(
            f.vendor + "/api/v1/long-rentals/prices", headers={"Auth": VENDOR_KEY}
        )
        price = Decimal(str(week.json()["prices"]["1w"]))
        key = await f.key(tenant="tv", daily_budget=str(price))
        base = f.base + "/api/pub/v2"
        signed = await f.http.post(
            base + "/auth", headers={"X-API-KEY": key, "X-API-USERNAME": "tool"}
        )
        bearer = {"Authorization": f"Bearer {signed.json()['token']}"}
        order = {
            "allowBackOrderReservations": False,
            "duration": "sevenDay",
            "isRenewable": False,
            "numberType": "mobile",
            "serviceName": "allservices",
            "capability": "sms",
        }
        made = await f.http.post(base + "/reservations/rental", json=order, headers=bearer)
        assert made.status_code == 201, made.text
        rental_id = made.json()["href"].rsplit("/", 1)[1]
        refused = await f.http.post(base + "/reservations/rental", json=order, headers=bearer)
        assert (refused.status_code, refused.json()["errorCode"]) == (400, "InsufficientBalance")
        assert start - await f.vendor_balance() == price
        refunded = await f.http.post(
            f"{base}/reservations/rental/nonrenewable/{rental_id}/refund", headers=bearer
        )
        assert refunded.status_code == 200, refunded.text
        assert await f.vendor_balance() == start
        report = await f.usage(tenant="tv")
        assert Decimal(report["tenants"][0]["net"]) == 0 == start - await f.vendor_balance()
