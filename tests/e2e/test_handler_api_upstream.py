"""SMS-Activate-compatible vendors as upstreams: the Getatext sandbox's own legacy
handler, and a real SMS-Activate-protocol server (a second smsproxy serving its
SMS-Activate dialect in front of a third sandbox). Every dialect's client goes through."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from proxy.app import build_app
from proxy.config.routing import ProviderConfig
from proxy.local.clock import ManualClock
from proxy.sandbox import SandboxClock, SandboxConfig, create_app
from proxy.web.server import QuietAppRunner

from .chain import CLIENT, DEMO, ENV, Chain, serve, settings, vendor_stand_in


@asynccontextmanager
async def make_chain(flavour: str, tmp_path: Path, **extra: Any) -> AsyncIterator[Chain]:
    clock = SandboxClock(frozen=True)
    sandbox = await serve(create_app(SandboxConfig(seed=31), clock))
    vendor_url = str(sandbox.make_url("")).rstrip("/")
    servers = [sandbox]
    cleanups: list[Callable[[], Awaitable[None]]] = []
    inner_url = ""
    others: list[ManualClock | SandboxClock] = [clock]
    if flavour == "getatext-legacy":
        handler = vendor_url + "/stubs/handler_api.php"
    else:  # an SMS-Activate server: smsproxy's own dialect in front of the sandbox
        inner = vendor_stand_in(vendor_url, tmp_path)
        # served as `smsproxy serve` does: a client that gives up does not cancel its
        # request's handler (test servers do), as at a real vendor
        inner_clock = ManualClock(clock.now())
        others.append(inner_clock)
        runner = QuietAppRunner(build_app(inner, inner_clock))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        cleanups.append(runner.cleanup)
        host, port = runner.addresses[0][:2]
        family = f"/{flavour}" if flavour in CLONE_FAMILIES else ""  # the clone's own path
        handler = inner_url = f"http://{host}:{port}{family}/stubs/handler_api.php"
    provider = ProviderConfig(
        "vendor", "handler-api", handler, key_env="VENDOR_KEY", flavour=flavour
    )
    outer_clock = ManualClock(clock.now())
    app = build_app(
        settings(tmp_path / "outer", provider, guest_key=CLIENT, **extra), outer_clock, ENV
    )
    outer = await serve(app)
    servers.append(outer)
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            yield Chain(
                str(outer.make_url("")).rstrip("/"),
                vendor_url,
                http,
                flavour,
                inner_url,
                outer_clock,
                tuple(others),
            )
    finally:
        for server in reversed(servers):
            await server.close()
        for cleanup in cleanups:
            await cleanup()


# vendors whose dialect smsproxy speaks at /<family>/stubs/handler_api.php: a proxy in
# front of its sandbox stands in for each
CLONE_FAMILIES = ("daisysms", "grizzly", "smsbower")


@pytest.fixture(params=["getatext-legacy", "sms-activate", *CLONE_FAMILIES])
async def chain(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Chain]:
    async with make_chain(request.param, tmp_path) as made:
        yield made


async def sa_flow(chain: Chain, path: str) -> None:
    url = chain.proxy + path

    async def ask(**params: str) -> str:
        return (await chain.http.get(url, params={"api_key": CLIENT, **params})).text

    service = "wa" if path.startswith("/stubs") else "whatsapp"
    token, activation_id, phone = (await ask(action="getNumber", service=service)).split(":")
    assert token == "ACCESS_NUMBER"
    assert await ask(action="getStatus", id=activation_id) == "STATUS_WAIT_CODE"
    await chain.sms(phone[1:], "246810")
    assert await ask(action="getStatus", id=activation_id) == "STATUS_OK:246810"
    assert await ask(action="setStatus", id=activation_id, status="6") == "ACCESS_ACTIVATION"


async def fivesim_flow(chain: Chain) -> None:
    headers = {"Authorization": f"Bearer {CLIENT}"}
    bought = await chain.http.get(
        chain.proxy + "/v1/user/buy/activation/usa/any/whatsapp", headers=headers
    )
    assert bought.status_code == 200, bought.text
    order = bought.json()
    await chain.sms(order["phone"][2:], "246810")
    checked = (
        await chain.http.get(f"{chain.proxy}/v1/user/check/{order['id']}", headers=headers)
    ).json()
    assert [s["code"] for s in checked["sms"]] == ["246810"]
    finished = await chain.http.get(f"{chain.proxy}/v1/user/finish/{order['id']}", headers=headers)
    assert finished.json()["status"] == "FINISHED"


async def v1_flow(chain: Chain) -> None:
    headers = {"Auth": CLIENT}
    rented = await chain.http.post(
        chain.proxy + "/api/v1/rent-a-number", json={"service": "whatsapp"}, headers=headers
    )
    assert rented.status_code == 201, rented.text
    body = rented.json()
    await chain.sms(body["number"], "246810")
    status = await chain.http.post(
        chain.proxy + "/api/v1/rental-status", json={"id": body["id"]}, headers=headers
    )
    assert status.json()["code"] == "246810"
    done = await chain.http.post(
        f"{chain.proxy}/api/v1/rental-status/{body['id']}/completed", headers=headers
    )
    assert done.status_code == 200, done.text


@pytest.mark.parametrize("dialect", ["sms-activate", "getatext-legacy", "5sim", "v1"])
async def test_each_dialect_completes_through_a_handler_api_vendor(
    chain: Chain, dialect: str
) -> None:
    if dialect == "sms-activate":
        await sa_flow(chain, "/stubs/handler_api.php")
    elif dialect == "getatext-legacy":
        await sa_flow(chain, "/getatext/stubs/handler_api.php")
    elif dialect == "5sim":
        await fivesim_flow(chain)
    else:
        await v1_flow(chain)
    [rental] = await chain.rentals()
    assert (rental["service"], rental["status"]) == ("whatsapp", "completed")


async def test_the_vendors_tokens_become_the_clients_own(chain: Chain) -> None:
    await chain.http.put(
        chain.vendor + "/_sandbox/services",
        json=[{"api_name": "whatsapp", "price": 0.55, "stock": 0}],
    )
    r = await chain.http.get(
        chain.proxy + "/stubs/handler_api.php",
        params={"api_key": CLIENT, "action": "getNumber", "service": "wa"},
    )
    assert r.text == "NO_NUMBERS"
    v1 = await chain.http.post(
        chain.proxy + "/api/v1/rent-a-number",
        json={"service": "whatsapp"},
        headers={"Auth": CLIENT},
    )
    assert (v1.status_code, v1.json()) == (400, {"errors": "Service is out of stock"})


async def test_a_country_only_one_provider_serves_is_routed_there(tmp_path: Path) -> None:
    """alpha (Getatext) sells US numbers only; gamma is an SMS-Activate server selling GB
    numbers (a second smsproxy whose own provider is configured for GB)."""
    clock = SandboxClock(frozen=True)
    us_vendor = await serve(create_app(SandboxConfig(seed=61), clock))
    gb_vendor = await serve(create_app(SandboxConfig(seed=62), clock))
    us_url = str(us_vendor.make_url("")).rstrip("/")
    gb_url = str(gb_vendor.make_url("")).rstrip("/")
    inner = settings(
        tmp_path / "inner",
        ProviderConfig("uk", "getatext", gb_url, key_env="VENDOR_KEY", countries=("gb",)),
        client_env="INNER_CLIENT",
    )
    inner_env = {"VENDOR_KEY": DEMO, "INNER_CLIENT": "sk_outer_account"}
    gb_server = await serve(build_app(inner, ManualClock(clock.now()), inner_env))
    outer = settings(
        tmp_path / "outer",
        ProviderConfig("alpha", "getatext", us_url, key_env="VENDOR_KEY", priority=1),
        ProviderConfig(
            "gamma",
            "handler-api",
            str(gb_server.make_url("/stubs/handler_api.php")),
            key_env="GAMMA_KEY",
            priority=2,
            flavour="sms-activate",
            countries=("gb",),
        ),
    )
    env = {**ENV, "GAMMA_KEY": "sk_outer_account"}
    proxy = await serve(build_app(outer, ManualClock(clock.now()), env))
    base = str(proxy.make_url("/stubs/handler_api.php"))
    try:
        async with httpx.AsyncClient(timeout=10) as http:

            async def buy(country: str) -> str:
                params = {"api_key": CLIENT, "action": "getNumber", "service": "wa"}
                return (await http.get(base, params={**params, "country": country})).text

            async def rentals(url: str) -> int:
                return len((await http.get(url + "/_sandbox/rentals")).json()["rentals"])

            gb = await buy("16")
            assert gb.startswith("ACCESS_NUMBER:")  # GB: only gamma sells it
            assert gb.split(":")[2].startswith("44")  # shown with the country's calling code
            assert (await rentals(us_url), await rentals(gb_url)) == (0, 1)
            assert (await buy("187")).startswith("ACCESS_NUMBER:")  # the USA: alpha first
            assert (await rentals(us_url), await rentals(gb_url)) == (1, 1)
            assert await buy("43") == "NO_NUMBERS"  # Germany: nobody, and no vendor is asked
            assert (await rentals(us_url), await rentals(gb_url)) == (1, 1)
            five = str(proxy.make_url("/v1/user/buy/activation"))
            bearer = {"Authorization": f"Bearer {CLIENT}"}
            england = await http.get(five + "/england/any/whatsapp", headers=bearer)
            assert england.status_code == 200, england.text  # 5sim's slug, the same route
            assert (england.json()["country"], england.json()["phone"][:3]) == ("england", "+44")
            germany = await http.get(five + "/germany/any/whatsapp", headers=bearer)
            assert (germany.status_code, germany.text) == (400, "no free phones")
            assert (await rentals(us_url), await rentals(gb_url)) == (1, 2)
            onlinesim = str(proxy.make_url("/api/getNum.php"))
            clock.advance(1)  # the GB vendor's rent window: two were bought this second
            sim = await http.get(
                onlinesim,
                params={"apikey": CLIENT, "service": "whatsapp", "country": "44", "number": "1"},
            )
            assert sim.json().get("number", "").startswith("+44"), sim.text  # GB's calling code
            state = await http.get(
                str(proxy.make_url("/api/getState.php")),
                params={"apikey": CLIENT, "tzid": str(sim.json()["tzid"])},
            )
            assert state.json()[0]["country"] == 44
            assert (await rentals(us_url), await rentals(gb_url)) == (1, 3)
            listed = await http.get(base, params={"api_key": CLIENT, "action": "getCountries"})
            assert sorted(listed.json()) == ["16", "187"]  # what the providers sell
            assert listed.json()["16"]["eng"] == "United Kingdom"
            five_countries = await http.get(str(proxy.make_url("/v1/guest/countries")))
            assert list(five_countries.json()) == ["usa", "england"]
            assert five_countries.json()["england"]["prefix"] == {"+44": 1}
    finally:
        for server in (proxy, gb_server, gb_vendor, us_vendor):
            await server.close()


@pytest.mark.parametrize("flavour", ["sms-activate", *CLONE_FAMILIES])
async def test_balance_prices_and_a_cancel_reach_the_vendor(tmp_path: Path, flavour: str) -> None:
    """Through A's SMS-Activate and 5sim dialects: the vendor's balance and prices, and a
    5sim client's cancel reaching the sandbox."""
    async with make_chain(flavour, tmp_path) as chain:
        assert await chain.ask(action="getBalance") == "ACCESS_BALANCE:100.00"
        prices = json.loads(await chain.ask(action="getPrices"))
        assert prices["187"]["wa"]["cost"] == 0.55
        bearer = {"Authorization": f"Bearer {CLIENT}"}
        five = await chain.http.get(chain.proxy + "/v1/guest/prices", headers=bearer)
        assert five.json()["usa"]["whatsapp"]["any"]["cost"] == 0.55
        bought = await chain.http.get(
            chain.proxy + "/v1/user/buy/activation/usa/any/whatsapp", headers=bearer
        )
        assert bought.status_code == 200, bought.text
        chain.advance(61)  # past the sandbox's cancel lock
        order_id = bought.json()["id"]
        cancelled = await chain.http.get(f"{chain.proxy}/v1/user/cancel/{order_id}", headers=bearer)
        assert cancelled.json()["status"] == "CANCELED", cancelled.text
        [rental] = await chain.rentals()
        assert rental["status"] == "cancelled"


async def test_another_sms_is_asked_of_an_sms_activate_vendor(chain: Chain) -> None:
    url = chain.proxy + "/stubs/handler_api.php"

    async def ask(**params: str) -> str:
        return (await chain.http.get(url, params={"api_key": CLIENT, **params})).text

    _, activation_id, phone = (await ask(action="getNumber", service="wa")).split(":")
    await chain.sms(phone[1:], "111111")
    assert await ask(action="getStatus", id=activation_id) == "STATUS_OK:111111"
    another = await ask(action="setStatus", id=activation_id, status="3")
    if "legacy" in chain.flavour:  # no setStatus 3 there, and no price list to learn it from
        assert another == "BAD_STATUS"
        return
    assert another == "ACCESS_RETRY_GET"  # the vendor's own answer to setStatus 3
    assert await ask(action="getStatus", id=activation_id) == "STATUS_WAIT_RETRY:111111"
    await chain.sms(phone[1:], "222222")
    assert await ask(action="getStatus", id=activation_id) == "STATUS_OK:222222"


async def test_ready_is_told_to_a_vendor_that_has_it(chain: Chain) -> None:
    _, activation_id, _ = (await chain.ask(action="getNumber", service="wa")).split(":")
    assert await chain.ask(action="setStatus", id=activation_id, status="1") == "ACCESS_READY"
    told = 'smsproxy_upstream_requests_total{endpoint="setStatus",outcome="2xx",provider="vendor"}'
    # the Getatext legacy handler has no setStatus 1: it is not asked
    assert await chain.metric(told) == (0.0 if "legacy" in chain.flavour else 1.0)


@pytest.mark.parametrize("flavour", ["sms-activate", "grizzly", "smsbower"])
async def test_an_unknown_purchase_is_found_in_the_vendors_list(
    tmp_path: Path, flavour: str
) -> None:
    """The vendor sold the number but its answer came after the proxy gave up: the retry
    finds it with getActiveActivations (Grizzly's a bare array) and answers it, and
    nothing is bought twice."""
    async with make_chain(flavour, tmp_path, purchase_timeout_seconds=0.5) as chain:
        fault = {"endpoint": "rent-a-number", "timeout_rate": 1, "timeout_seconds": 2}
        r = await chain.http.post(chain.vendor + "/_sandbox/faults", json=fault)
        assert r.status_code == 200, r.text
        assert await chain.ask(action="getNumber", service="wa") == "ERROR_SQL"  # in doubt
        await chain.http.delete(chain.vendor + "/_sandbox/faults")

        async def sold_at_the_vendor() -> str:
            params = {"api_key": DEMO, "action": "getActiveActivations"}
            while True:
                body = (await chain.http.get(chain.inner, params=params)).json()
                rows = body if isinstance(body, list) else body.get("activeActivations")
                if rows:
                    return str(rows[0]["phoneNumber"])
                await asyncio.sleep(0.02)  # a condition polled: the late answer has landed

        phone = await asyncio.wait_for(sold_at_the_vendor(), 20)
        assert chain.clock is not None
        chain.clock.advance(10)  # the next reconciliation of the entry is due
        token, activation_id, answered = (await chain.ask(action="getNumber", service="wa")).split(
            ":"
        )
        assert (token, answered) == ("ACCESS_NUMBER", phone)  # the lost number, adopted
        assert await chain.ask(action="getStatus", id=activation_id) == "STATUS_WAIT_CODE"
        assert len(await chain.rentals()) == 1
        adopted = 'smsproxy_purchases_total{outcome="adopted"}'
        assert await chain.metric(adopted) == 1.0


async def test_an_unknown_purchase_at_daisysms_is_never_bought_again(tmp_path: Path) -> None:
    """DaisySMS documents no list of active activations: a purchase whose answer was
    lost is held (the client is told to try again) and not bought a second time while
    its outcome is unknown."""
    async with make_chain("daisysms", tmp_path, purchase_timeout_seconds=0.5) as chain:
        fault = {"endpoint": "rent-a-number", "timeout_rate": 1, "timeout_seconds": 2}
        r = await chain.http.post(chain.vendor + "/_sandbox/faults", json=fault)
        assert r.status_code == 200, r.text
        assert await chain.ask(action="getNumber", service="wa") == "ERROR_SQL"  # in doubt
        await chain.http.delete(chain.vendor + "/_sandbox/faults")
        assert await chain.ask(action="getNumber", service="wa") == "ERROR_SQL"  # still held
        assert len(await chain.rentals()) == 1  # the one the vendor sold, not a second


@pytest.mark.parametrize("flavour", CLONE_FAMILIES)
@pytest.mark.parametrize("trouble", ["out of stock", "out of funds"])
async def test_a_clone_that_cannot_sell_fails_over_to_getatext(
    tmp_path: Path, flavour: str, trouble: str
) -> None:
    """`first` is the clone (a second smsproxy speaking its family in front of its own
    sandbox), `backup` a Getatext account on another sandbox: when the clone is out of
    stock or its account out of funds, the purchase is sold by the backup, nothing is
    bought at the clone's sandbox, and SMS-Activate's and 5sim's clients both get it."""
    clock = SandboxClock(frozen=True)
    clone_vendor = await serve(create_app(SandboxConfig(seed=71), clock))
    backup_vendor = await serve(create_app(SandboxConfig(seed=72), clock))
    clone_url = str(clone_vendor.make_url("")).rstrip("/")
    backup_url = str(backup_vendor.make_url("")).rstrip("/")
    clone = await serve(build_app(vendor_stand_in(clone_url, tmp_path), ManualClock(clock.now())))
    outer = settings(
        tmp_path / "outer",
        ProviderConfig(
            "first",
            "handler-api",
            str(clone.make_url(f"/{flavour}/stubs/handler_api.php")),
            key_env="VENDOR_KEY",
            priority=1,
            flavour=flavour,
        ),
        ProviderConfig("backup", "getatext", backup_url, key_env="VENDOR_KEY", priority=2),
    )
    proxy = await serve(build_app(outer, ManualClock(clock.now()), ENV))
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            if trouble == "out of stock":
                await http.put(
                    clone_url + "/_sandbox/services",
                    json=[{"api_name": "whatsapp", "price": 0.55, "stock": 0}],
                )
            else:
                r = await http.post(
                    clone_url + "/_sandbox/accounts", json={"api_key": DEMO, "balance": 0}
                )
                assert r.status_code == 200, r.text

            async def rentals(url: str) -> int:
                return len((await http.get(url + "/_sandbox/rentals")).json()["rentals"])

            sold = await http.get(
                str(proxy.make_url("/stubs/handler_api.php")),
                params={"api_key": CLIENT, "action": "getNumber", "service": "wa"},
            )
            assert sold.text.startswith("ACCESS_NUMBER:"), sold.text
            clock.advance(1)  # the backup's rent window
            five = await http.get(
                str(proxy.make_url("/v1/user/buy/activation/usa/any/whatsapp")),
                headers={"Authorization": f"Bearer {CLIENT}"},
            )
            assert five.status_code == 200, five.text
            assert (await rentals(clone_url), await rentals(backup_url)) == (0, 2)
    finally:
        for server in (proxy, clone, backup_vendor, clone_vendor):
            await server.close()
