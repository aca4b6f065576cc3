"""Several providers behind one endpoint: failover by the refusal's class, cooldowns,
activations that stay with their seller, and never a second purchase elsewhere while
the first one's outcome is unknown. Every provider is a real sandbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer
from smsactivate.api import SMSActivateAPI

from proxy import config
from proxy.app import build_app
from proxy.config.routing import ConfigError, ProviderConfig, TenantConfig, parse_tenants
from proxy.local.clock import ManualClock
from proxy.sandbox import SandboxClock, SandboxConfig, create_app
from proxy.service.identity import webhook_token

CLIENT = "client-key-routing"
ENV = {"KEY_A": "sk_vendor_a", "KEY_B": "sk_vendor_b", "KEY_C": "sk_vendor_c", "CLIENT_KEY": CLIENT}


@dataclass
class Vendor:
    url: str
    clock: SandboxClock
    http: httpx.AsyncClient

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        r = await self.http.request(method, f"{self.url}/_sandbox{path}", json=body)
        assert r.status_code == 200, r.text
        return r.json()

    async def rentals(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (await self.control("GET", "/rentals"))["rentals"]
        return rows

    async def sent(self, endpoint: str) -> int:
        return int((await self.control("GET", "/stats"))["by_endpoint"].get(endpoint, 0))


ADMIN_TOKEN = "routing-admin"


class Fleet:
    """Two vendors, and a proxy routing to them (restartable on the same data)."""

    def __init__(
        self,
        a: Vendor,
        b: Vendor,
        data: Path,
        http: httpx.AsyncClient,
        c: Vendor | None = None,
        routing: str = "priority",
        weights: tuple[int, int] = (1, 1),
        tenant_routing: str | None = None,
    ) -> None:
        self.a, self.b, self.c, self.data, self.http = a, b, c, data, http
        self.routing, self.weights, self.tenant_routing = routing, weights, tenant_routing
        self.alpha_services: tuple[str, ...] = ()
        self.currencies = ("USD", "USD")  # alpha's, beta's
        self.extra: dict[str, Any] = {}  # more settings, for one test
        self.clock = ManualClock(a.clock.now())
        self.server: TestServer | None = None
        self.url = ""

    def settings(self) -> config.Settings:
        return config.load(
            env={},
            data_dir=self.data,
            secret="routing",
            webhook_secret="fleet-hook",
            routing=self.routing,
            routing_seed=7,
            pacing_enabled=False,
            poll_interval_seconds=1.0,
            cancel_lock_seconds=0.0,
            admin_token=ADMIN_TOKEN,
            **self.extra,
            providers=(
                ProviderConfig(
                    "alpha",
                    "getatext",
                    self.a.url,
                    "KEY_A",
                    priority=1,
                    weight=self.weights[0],
                    services=self.alpha_services,
                    currency=self.currencies[0],
                ),
                ProviderConfig(
                    "beta",
                    "getatext",
                    self.b.url,
                    "KEY_B",
                    priority=2,
                    weight=self.weights[1],
                    currency=self.currencies[1],
                ),
                *(
                    [
                        ProviderConfig(
                            "gamma",
                            "handler-api",
                            self.c.url + "/stubs/handler_api.php",
                            key_env="KEY_C",
                            priority=3,
                            flavour="getatext-legacy",
                        )
                    ]
                    if self.c is not None
                    else []
                ),
            ),
            tenants=(TenantConfig(key_env="CLIENT_KEY", routing=self.tenant_routing),),
        )

    async def start(self) -> None:
        self.server = TestServer(build_app(self.settings(), self.clock, ENV), host="127.0.0.1")
        await self.server.start_server()
        self.url = str(self.server.make_url("")).rstrip("/")

    async def stop(self) -> None:
        assert self.server is not None
        await self.server.close()

    async def sa(self, key: str = CLIENT, **params: str) -> str:
        r = await self.http.get(
            self.url + "/stubs/handler_api.php", params={"api_key": key, **params}
        )
        assert r.status_code == 200
        return r.text

    async def metric(self, series: str) -> float:
        text = (await self.http.get(self.url + "/metrics")).text
        line = next(ln for ln in text.splitlines() if ln.startswith(series + " "))
        return float(line.split()[-1])

    async def tick(self, seconds: float) -> None:
        self.clock.advance(seconds)
        for vendor in (self.a, self.b):
            await vendor.control("POST", "/clock", {"advance_seconds": seconds})


async def vendor(seed: int, key: str, http: httpx.AsyncClient) -> tuple[TestServer, Vendor]:
    clock = SandboxClock(frozen=True)
    server = TestServer(create_app(SandboxConfig(seed=seed), clock), host="127.0.0.1")
    await server.start_server()
    v = Vendor(str(server.make_url("")).rstrip("/"), clock, http)
    await v.control("POST", "/accounts", {"api_key": key, "balance": 50})
    return server, v


@pytest.fixture
async def fleet(tmp_path: Path) -> AsyncIterator[Fleet]:
    async with httpx.AsyncClient(timeout=10) as http:
        server_a, a = await vendor(21, ENV["KEY_A"], http)
        server_b, b = await vendor(22, ENV["KEY_B"], http)
        f = Fleet(a, b, tmp_path / "var", http)
        await f.start()
        yield f
        await f.stop()
        await server_a.close()
        await server_b.close()


async def out_of_stock(v: Vendor, service: str = "whatsapp") -> None:
    await v.control("PUT", "/services", [{"api_name": service, "price": 0.55, "stock": 0}])


async def test_the_first_provider_sells_when_it_can(fleet: Fleet) -> None:
    token, _, phone = (await fleet.sa(action="getNumber", service="wa")).split(":")
    assert token == "ACCESS_NUMBER"
    assert [r["number"] for r in await fleet.a.rentals()] == [phone[1:]]
    assert await fleet.b.rentals() == []


async def test_no_numbers_fails_over_within_the_request(fleet: Fleet) -> None:
    await out_of_stock(fleet.a)
    token, _, phone = (await fleet.sa(action="getNumber", service="wa")).split(":")
    assert token == "ACCESS_NUMBER"
    assert await fleet.a.rentals() == []
    assert [r["number"] for r in await fleet.b.rentals()] == [phone[1:]]
    sold = 'smsproxy_provider_purchases_total{provider="beta",route="failover"}'
    refused = 'smsproxy_provider_failovers_total{provider="alpha",reason="NoNumbers"}'
    assert (await fleet.metric(sold), await fleet.metric(refused)) == (1.0, 1.0)


async def test_maintenance_cools_a_provider_down_until_it_recovers(fleet: Fleet) -> None:
    await fleet.a.control("POST", "/maintenance", {"on": True})
    assert (await fleet.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
    assert await fleet.a.sent("rent-a-number") == 1
    await fleet.tick(1)
    assert (await fleet.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
    assert await fleet.a.sent("rent-a-number") == 1  # cooling down: not asked again
    assert len(await fleet.b.rentals()) == 2
    assert await fleet.metric('smsproxy_provider_cooldown_seconds{provider="alpha"}') == 59.0
    await fleet.a.control("POST", "/maintenance", {"on": False})
    await fleet.tick(61)
    assert (await fleet.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
    assert len(await fleet.a.rentals()) == 1  # back once its cooldown ended


async def test_a_bad_key_at_one_provider_does_not_fail_the_tenant(
    fleet: Fleet, caplog: pytest.LogCaptureFixture
) -> None:
    await fleet.a.control("POST", "/accounts", {"api_key": ENV["KEY_A"], "restricted": True})
    with caplog.at_level(logging.ERROR, logger="smsproxy.router"):
        assert (await fleet.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
    assert "provider alpha cools down for 3600 s: BadKey" in caplog.text
    assert len(await fleet.b.rentals()) == 1


async def test_no_funds_cools_a_provider_until_its_balance_rises(
    fleet: Fleet, caplog: pytest.LogCaptureFixture
) -> None:
    async def balance_reads(at_least: int) -> None:
        async def read() -> None:
            while await fleet.a.sent("balance") < at_least:
                await asyncio.sleep(0.01)  # a condition polled: the read behind has landed

        await asyncio.wait_for(read(), 20)

    await fleet.a.control("POST", "/accounts", {"api_key": ENV["KEY_A"], "balance": 0})
    with caplog.at_level(logging.WARNING, logger="smsproxy.router"):
        assert (await fleet.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
        # the witness read before alpha's first purchase, then the baseline behind the answer
        await balance_reads(2)
        await fleet.tick(1)
        assert (await fleet.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
        assert await fleet.a.sent("rent-a-number") == 1  # cooled: not asked again
        await fleet.tick(60)  # a balance read is due, but nobody topped it up
        assert (await fleet.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
        await balance_reads(3)
        await fleet.a.control("POST", "/accounts", {"api_key": ENV["KEY_A"], "balance": 20})
        await fleet.tick(1)
        assert (await fleet.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
        assert await fleet.a.sent("balance") == 3  # the next read is a minute after the last
        await fleet.tick(60)
        assert (await fleet.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
        await balance_reads(4)
        assert (await fleet.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
    assert "provider alpha cools down until its balance rises: NoBalance" in caplog.text
    assert "provider alpha: balance rose to 20.00, it serves again" in caplog.text
    assert (len(await fleet.a.rentals()), len(await fleet.b.rentals())) == (1, 5)
    assert await fleet.a.sent("rent-a-number") == 2


async def test_an_unknown_outcome_is_never_bought_elsewhere(fleet: Fleet) -> None:
    await fleet.a.control("POST", "/faults", {"endpoint": "rent-a-number", "reset_rate": 1})
    assert await fleet.sa(action="getNumber", service="wa") == "ERROR_SQL"
    await fleet.a.control("DELETE", "/faults")
    await fleet.tick(1)
    assert await fleet.sa(action="getNumber", service="wa") == "ERROR_SQL"  # a retry: in doubt
    assert len(await fleet.a.rentals()) == 1  # the vendor did sell it
    assert await fleet.b.rentals() == []  # and nothing was bought anywhere else
    assert await fleet.b.sent("rent-a-number") == 0


async def test_an_activation_stays_with_its_seller_after_a_restart(fleet: Fleet) -> None:
    await out_of_stock(fleet.a)
    _, activation_id, phone = (await fleet.sa(action="getNumber", service="wa")).split(":")
    await fleet.tick(1)
    _, cancelled_id, _ = (await fleet.sa(action="getNumber", service="wa")).split(":")
    await fleet.stop()
    await fleet.start()  # alpha has stock again, but these two were sold by beta
    await fleet.a.control("PUT", "/services", [{"api_name": "whatsapp", "price": 0.5, "stock": 9}])
    await fleet.b.control("POST", "/sms", {"number": phone[1:], "code": "909090"})
    await fleet.tick(61)  # past the vendor's cancel lock; polls are due again
    assert await fleet.sa(action="getStatus", id=activation_id) == "STATUS_OK:909090"
    assert await fleet.sa(action="setStatus", id=activation_id, status="6") == "ACCESS_ACTIVATION"
    assert await fleet.sa(action="setStatus", id=cancelled_id, status="8") == "ACCESS_CANCEL"
    assert sorted(r["status"] for r in await fleet.b.rentals()) == ["cancelled", "completed"]
    assert await fleet.a.sent("rental-status") == 0
    assert await fleet.a.sent("cancel-rental") == 0


async def test_only_configured_client_keys_are_served(fleet: Fleet) -> None:
    assert await fleet.sa(key=ENV["KEY_A"], action="getBalance") == "BAD_KEY"
    assert await fleet.sa(key="anything", action="getNumber", service="wa") == "BAD_KEY"
    assert await fleet.a.sent("rent-a-number") == 0


def test_providers_without_tenants_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"add \[\[tenants\]\]"):
        parse_tenants(None, ())


async def test_the_official_client_through_three_providers(tmp_path: Path) -> None:
    """alpha has no stock, beta is in maintenance: the official module, unchanged but for
    its URL, is served by gamma, an SMS-Activate-style vendor."""
    async with httpx.AsyncClient(timeout=10) as http:
        servers_and_vendors = [
            await vendor(seed, ENV[key], http)
            for seed, key in ((41, "KEY_A"), (42, "KEY_B"), (43, "KEY_C"))
        ]
        (_, a), (_, b), (_, c) = servers_and_vendors
        f = Fleet(a, b, tmp_path / "var", http, c)
        await f.start()
        try:
            await out_of_stock(a)
            await b.control("POST", "/maintenance", {"on": True})
            sa = SMSActivateAPI(CLIENT)
            sa._SMSActivateAPI__api_url = f.url + "/stubs/handler_api.php"  # type: ignore[attr-defined]
            assert await asyncio.to_thread(sa.getBalance) == {"balance": "50.00"}  # alpha's
            number = await asyncio.to_thread(sa.getNumber, service="wa", country=187)
            activation_id, phone = number["activation_id"], number["phone"]
            assert [r["number"] for r in await c.rentals()] == [str(phone)[1:]]
            await c.control("POST", "/sms", {"number": str(phone)[1:], "code": "135791"})
            await f.tick(31)
            assert await asyncio.to_thread(sa.getStatus, id=activation_id) == "STATUS_OK:135791"
            done = await asyncio.to_thread(sa.setStatus, id=activation_id, status=6)
            assert done == "ACCESS_ACTIVATION"
            assert (await c.rentals())[0]["status"] == "completed"
            assert await a.rentals() == [] and await b.rentals() == []
        finally:
            await f.stop()
            for server, _ in servers_and_vendors:
                await server.close()


async def test_a_webhook_reaches_only_its_own_accounts_rentals(fleet: Fleet) -> None:
    await out_of_stock(fleet.a)
    _, activation_id, _ = (await fleet.sa(action="getNumber", service="wa")).split(":")
    [rental] = await fleet.b.rentals()
    body = {"id": rental["id"], "code": "121212"}
    alpha = webhook_token("fleet-hook", "alpha", "alpha")
    beta = webhook_token("fleet-hook", "beta", "beta")
    wrong = await fleet.http.post(f"{fleet.url}/webhooks/beta/{alpha}", json=body)
    assert wrong.json() == {"result": "ignored: unknown rental"}
    assert await fleet.sa(action="getStatus", id=activation_id) == "STATUS_WAIT_CODE"
    right = await fleet.http.post(f"{fleet.url}/webhooks/beta/{beta}", json=body)
    assert right.json() == {"result": "accepted"}
    assert await fleet.sa(action="getStatus", id=activation_id) == "STATUS_OK:121212"


async def price(v: Vendor, whatsapp: str) -> None:
    await v.control(
        "PUT",
        "/services",
        [
            {"api_name": "whatsapp", "price": whatsapp, "stock": 50},
            {"api_name": "telegram", "price": "0.45", "stock": 50},
        ],
    )


async def test_cheapest_follows_the_live_price(tmp_path: Path) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        (server_a, a), (server_b, b) = [
            await vendor(seed, ENV[key], http) for seed, key in ((51, "KEY_A"), (52, "KEY_B"))
        ]
        f = Fleet(a, b, tmp_path / "var", http, tenant_routing="cheapest")  # its own strategy
        await f.start()
        try:
            await price(a, "0.60")
            await price(b, "0.50")  # beta is cheaper, though alpha comes first by priority
            assert (await f.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
            assert (len(await a.rentals()), len(await b.rentals())) == (0, 1)
            await price(b, "0.70")
            await f.tick(1)
            assert (await f.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
            assert (len(await a.rentals()), len(await b.rentals())) == (0, 2)  # cached list
            await f.tick(95)  # past the offers' TTL and stale window: prices are read again
            assert (await f.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
            assert (len(await a.rentals()), len(await b.rentals())) == (1, 2)
            await price(a, "0.71")  # within the one-cent tie band: priority decides
            await f.tick(95)
            assert (await f.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
            assert (len(await a.rentals()), len(await b.rentals())) == (2, 2)
        finally:
            await f.stop()
            await server_a.close()
            await server_b.close()


async def test_weighted_shares_purchases_by_weight(tmp_path: Path) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        (server_a, a), (server_b, b) = [
            await vendor(seed, ENV[key], http) for seed, key in ((71, "KEY_A"), (72, "KEY_B"))
        ]
        f = Fleet(a, b, tmp_path / "var", http, routing="weighted", weights=(3, 1))
        await f.start()
        try:
            for _ in range(16):
                assert (await f.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
                await f.tick(1)
            sold_a, sold_b = len(await a.rentals()), len(await b.rentals())
            assert sold_a + sold_b == 16
            assert sold_a > sold_b > 0  # both serve; the heavier one most
        finally:
            await f.stop()
            await server_a.close()
            await server_b.close()


async def test_a_provider_buys_only_the_services_it_is_allowed(tmp_path: Path) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        (server_a, a), (server_b, b) = [
            await vendor(seed, ENV[key], http) for seed, key in ((81, "KEY_A"), (82, "KEY_B"))
        ]
        f = Fleet(a, b, tmp_path / "var", http)
        f.alpha_services = ("telegram",)
        await f.start()
        try:
            assert (await f.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
            await f.tick(1)
            assert (await f.sa(action="getNumber", service="tg")).startswith("ACCESS_NUMBER:")
            assert [r["service"] for r in await a.rentals()] == ["telegram"]
            assert [r["service"] for r in await b.rentals()] == ["whatsapp"]
        finally:
            await f.stop()
            await server_a.close()
            await server_b.close()


async def cooldowns(fleet: Fleet) -> list[dict[str, Any]]:
    r = await fleet.http.get(fleet.url + "/admin/providers", headers={"X-Admin-Token": ADMIN_TOKEN})
    assert r.status_code == 200, r.text
    return [c for p in r.json()["providers"] for c in p["cooldowns"]]


async def test_cooldowns_follow_their_cause_and_their_settings(tmp_path: Path) -> None:
    """Maintenance cools for the configured time; no funds until a balance read shows
    more money, read once per `no_funds_recheck_seconds`; both shown with their reason."""
    async with httpx.AsyncClient(timeout=10) as http:
        server_a, a = await vendor(21, ENV["KEY_A"], http)
        server_b, b = await vendor(22, ENV["KEY_B"], http)
        f = Fleet(a, b, tmp_path / "var", http)
        f.extra = {"maintenance_cooldown_seconds": 15.0, "no_funds_recheck_seconds": 300.0}
        await f.start()
        try:
            await a.control("POST", "/maintenance", {"on": True})
            assert (await f.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
            await f.tick(5)
            assert await cooldowns(f) == [
                {"account": "alpha:alpha", "reason": "maintenance", "seconds_left": 10.0}
            ]
            series = 'smsproxy_provider_cooling{provider="alpha",reason="maintenance"}'
            assert await f.metric(series) == 1.0
            await a.control("POST", "/maintenance", {"on": False})
            await f.tick(11)  # 15 s, not the default 60: alpha is asked again
            assert await cooldowns(f) == []
            assert await f.metric(series) == 0.0
            await a.control("POST", "/accounts", {"api_key": ENV["KEY_A"], "balance": 0})
            assert (await f.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
            assert await cooldowns(f) == [
                {"account": "alpha:alpha", "reason": "no_funds", "seconds_left": None}
            ]
            await f.tick(4000)  # far past any fixed cooldown: still no funds, still skipped
            bought_at_a = await a.sent("rent-a-number")
            assert (await f.sa(action="getNumber", service="wa")).startswith("ACCESS_NUMBER:")
            assert await a.sent("rent-a-number") == bought_at_a
            assert [c["reason"] for c in await cooldowns(f)] == ["no_funds"]
        finally:
            await f.stop()
            await server_a.close()
            await server_b.close()
