"""The vendor fault matrix, one test per dialect: each fault on every vendor endpoint, a
client's balance, prices, purchase, status and cancel sent together under it, then the
fault cleared and the order retried as a client retries it (every 2 s).

Asserted: every answer is the dialect's own (a success shape, or a refusal its
error table holds); the vendor's rentals are exactly the numbers handed out plus the
purchases still listed as unknown; the retry is sold within 30 s of the fault clearing;
and no traceback nor "Task exception was never retrieved" reaches the log. The proxy's
timeouts are short here (0.3 s), so "late" is late past every one of them while the
test stays fast.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.dialects.answers import ErrorTable
from adapters.dialects.codes import SERVICE_CODES
from adapters.dialects.fivesim.errors import ERRORS as FIVESIM
from adapters.dialects.getatext_legacy import TOKENS as LEGACY
from adapters.dialects.onlinesim.errors import WORDS as ONLINESIM
from adapters.dialects.sms_activate.tokens import TOKENS as SMS_ACTIVATE
from adapters.dialects.smspool.frame import ERRORS as SMSPOOL
from adapters.dialects.textverified.frame import ERRORS as TEXTVERIFIED

from .conftest import DEMO, World, start_world

ADMIN = "matrix-admin"
# fault -> the sandbox's rule for every endpoint (None: maintenance mode)
FAULTS: dict[str, dict[str, Any] | None] = {
    "500": {"error_rate": 1, "error_status": 500},
    "502": {"error_rate": 1, "error_status": 502},
    "503 maintenance": None,
    "429": {"error_rate": 1, "error_status": 429},
    "408": {"error_rate": 1, "error_status": 408},
    "reset after acting": {"reset_rate": 1},
    "malformed after acting": {"malformed_rate": 1},
    "late after acting": {"answer_delay_ms": 1500},
}
# one service per fault: each fault's order is its own, and so is its retry
SERVICES = ("whatsapp", "telegram", "instagram", "google", "facebook", "twitter", "discord")
SERVICES += ("tiktok",)
SA_CODES = {api_name: code for code, api_name in SERVICE_CODES.items()}  # the dialect's own
SA_SUCCESS = ("ACCESS_", "STATUS_")


def table_words(table: ErrorTable[Any]) -> set[Any]:
    rows = [*table.rows.values(), *(v for r in table.by_action.values() for v in r.values())]
    return {table.generic, *(w for w in rows if isinstance(w, str | tuple))}


@dataclass(frozen=True)
class Dialect:
    """How a client of one protocol makes each call, and reads its answers."""

    name: str
    balance: Callable[[World], Awaitable[httpx.Response]]
    prices: Callable[[World], Awaitable[httpx.Response]]
    buy: Callable[[World, str], Awaitable[httpx.Response]]
    status: Callable[[World, str], Awaitable[httpx.Response]]
    cancel: Callable[[World, str], Awaitable[httpx.Response]]
    bought: Callable[[httpx.Response], str | None]  # the order's id when it was sold
    own: Callable[[httpx.Response], bool]


# -- handler_api: SMS-Activate and Getatext's legacy variant --------------------------------
def handler_api(name: str, path: str, table: ErrorTable[str], codes: bool) -> Dialect:
    tokens = {w.split(":")[0] for w in table_words(table)}

    async def get(w: World, **params: str) -> httpx.Response:
        return await w.http.get(w.proxy + path, params={"api_key": DEMO, **params})

    def own(r: httpx.Response) -> bool:
        if r.status_code != 200:
            return False
        text = r.text
        if text.startswith(("{", "[")):
            json.loads(text)
            return True
        return text.startswith(SA_SUCCESS) or text.split(":")[0] in tokens

    def bought(r: httpx.Response) -> str | None:
        return r.text.split(":")[1] if r.text.startswith("ACCESS_NUMBER:") else None

    def service(s: str) -> str:
        return SA_CODES[s] if codes else s

    return Dialect(
        name,
        lambda w: get(w, action="getBalance"),
        lambda w: get(w, action="getPrices", country="187"),
        lambda w, s: get(w, action="getNumber", service=service(s), country="187"),
        lambda w, i: get(w, action="getStatus", id=i),
        lambda w, i: get(w, action="setStatus", id=i, status="8"),
        bought,
        own,
    )


# -- 5sim ---------------------------------------------------------------------------------
def fivesim() -> Dialect:
    refusals = table_words(FIVESIM)
    auth = {"Authorization": f"Bearer {DEMO}"}

    async def get(w: World, path: str) -> httpx.Response:
        return await w.http.get(w.proxy + path, headers=auth)

    def own(r: httpx.Response) -> bool:
        if r.status_code == 200:
            json.loads(r.text)
            return True
        return (r.status_code, r.text) in refusals

    def bought(r: httpx.Response) -> str | None:
        return str(r.json()["id"]) if r.status_code == 200 else None

    return Dialect(
        "5sim",
        lambda w: get(w, "/v1/user/profile"),
        lambda w: get(w, "/v1/guest/prices?country=usa"),
        lambda w, s: get(w, f"/v1/user/buy/activation/usa/any/{s}"),
        lambda w, i: get(w, f"/v1/user/check/{i}"),
        lambda w, i: get(w, f"/v1/user/cancel/{i}"),
        bought,
        own,
    )


# -- Getatext's JSON v1 -------------------------------------------------------------------
def v1() -> Dialect:
    auth = {"Auth": DEMO}

    def own(r: httpx.Response) -> bool:
        body = r.json()
        if r.status_code < 300:
            return isinstance(body, dict | list)
        # the proxy's refusals are its table's; a vendor's are repeated word for word
        return isinstance(body, dict) and set(body) == {"errors"} and r.status_code < 600

    def bought(r: httpx.Response) -> str | None:
        return str(r.json()["id"]) if r.status_code in (200, 201) else None

    return Dialect(
        "v1",
        lambda w: w.http.get(w.proxy + "/api/v1/balance", headers=auth),
        lambda w: w.http.get(w.proxy + "/api/v1/prices-info", headers=auth),
        lambda w, s: w.http.post(
            w.proxy + "/api/v1/rent-a-number", json={"service": s}, headers=auth
        ),
        lambda w, i: w.http.post(w.proxy + "/api/v1/rental-status", json={"id": i}, headers=auth),
        lambda w, i: w.http.post(w.proxy + "/api/v1/cancel-rental", json={"id": i}, headers=auth),
        bought,
        own,
    )


# -- OnlineSIM ----------------------------------------------------------------------------
def onlinesim() -> Dialect:
    refusals = table_words(ONLINESIM)

    async def get(w: World, method: str, **params: str) -> httpx.Response:
        return await w.http.get(
            w.proxy + f"/api/{method}.php", params={"apikey": DEMO, **params}
        )

    def own(r: httpx.Response) -> bool:
        body = r.json()
        if isinstance(body, list) or (isinstance(body, dict) and "response" not in body):
            return r.status_code == 200  # a listing (getNumbersStats)
        word = body.get("response") if isinstance(body, dict) else None
        return r.status_code == 200 and (word == 1 or word == "1" or word in refusals)

    def bought(r: httpx.Response) -> str | None:
        body = r.json()
        return str(body["tzid"]) if isinstance(body, dict) and body.get("response") == 1 else None

    return Dialect(
        "onlinesim",
        lambda w: get(w, "getBalance"),
        lambda w: get(w, "getNumbersStats", country="1"),
        lambda w, s: get(w, "getNum", service=s),
        lambda w, i: get(w, "getState", tzid=i),
        lambda w, i: get(w, "setOperationOk", tzid=i),
        bought,
        own,
    )


# -- SMSPool ------------------------------------------------------------------------------
def smspool() -> Dialect:
    refusals = table_words(SMSPOOL)

    async def post(w: World, path: str, **params: str) -> httpx.Response:
        return await w.http.post(w.proxy + f"/{path}", data={"key": DEMO, **params})

    def own(r: httpx.Response) -> bool:
        body = r.json()
        if r.status_code != 200:
            return False
        if isinstance(body, list) or body.get("success", 1) == 1:
            return True
        return (body.get("type"), body.get("message")) in refusals

    def bought(r: httpx.Response) -> str | None:
        body = r.json()
        ok = isinstance(body, dict) and body.get("success") == 1
        return str(body["order_id"]) if ok else None

    return Dialect(
        "smspool",
        lambda w: post(w, "request/balance"),
        lambda w: post(w, "request/price", service="whatsapp", country="1"),
        lambda w, s: post(w, "purchase/sms", service=s, country="1"),
        lambda w, i: post(w, "sms/check", orderid=i),
        lambda w, i: post(w, "sms/cancel", orderid=i),
        bought,
        own,
    )


# -- TextVerified -------------------------------------------------------------------------
def textverified() -> Dialect:
    refusals = table_words(TEXTVERIFIED)
    token: dict[str, str] = {}  # by proxy: each proxy issues its own

    async def auth(w: World) -> dict[str, str]:
        if w.proxy not in token:
            r = await w.http.post(
                w.proxy + "/api/pub/v2/auth",
                headers={"X-API-KEY": DEMO, "X-API-USERNAME": "matrix"},
            )
            token[w.proxy] = r.json()["token"]
        return {"Authorization": f"Bearer {token[w.proxy]}"}

    async def call(w: World, method: str, path: str, body: Any = None) -> httpx.Response:
        return await w.http.request(
            method, w.proxy + "/api/pub/v2" + path, json=body, headers=await auth(w)
        )

    def own(r: httpx.Response) -> bool:
        if r.status_code < 300:
            return r.text == "" or isinstance(json.loads(r.text), dict | list)
        body = r.json()
        return (r.status_code, body.get("errorCode"), body.get("errorDescription")) in refusals

    def bought(r: httpx.Response) -> str | None:
        return r.json()["href"].rsplit("/", 1)[-1] if r.status_code == 201 else None

    return Dialect(
        "textverified",
        lambda w: call(w, "GET", "/account/me"),
        lambda w: call(w, "GET", "/services?numberType=mobile&reservationType=verification"),
        lambda w, s: call(w, "POST", "/verifications", {"serviceName": s, "capability": "sms"}),
        lambda w, i: call(w, "GET", f"/verifications/{i}"),
        lambda w, i: call(w, "POST", f"/verifications/{i}/cancel"),
        bought,
        own,
    )


DIALECTS = {
    d.name: d
    for d in (
        handler_api("sms-activate", "/stubs/handler_api.php", SMS_ACTIVATE, codes=True),
        handler_api("getatext", "/getatext/stubs/handler_api.php", LEGACY, codes=False),
        fivesim(),
        v1(),
        onlinesim(),
        smspool(),
        textverified(),
    )
}


@pytest.fixture
async def matrix(tmp_path: Path) -> AsyncIterator[World]:
    async for w in start_world(
        tmp_path,
        purchase_timeout_seconds=0.3,
        read_timeout_seconds=0.3,
        admin_token=ADMIN,
    ):
        yield w


async def fault(w: World, name: str, on: bool) -> None:
    rule = FAULTS[name]
    if rule is None:
        await w.control("POST", "/maintenance", {"on": on})
    elif on:
        await w.control("POST", "/faults", {"endpoint": "*", **rule})
    else:
        await w.control("DELETE", "/faults")


async def unknown_entries(w: World) -> int:
    r = await w.http.get(
        w.proxy + "/admin/purchases", params={"state": "unknown"}, headers={"X-Admin-Token": ADMIN}
    )
    return len(r.json()["purchases"])


@pytest.mark.parametrize("name", list(DIALECTS))
async def test_the_fault_matrix(
    matrix: World, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    d, w = DIALECTS[name], matrix
    caplog.set_level(logging.WARNING)
    handed_out: set[str] = set()

    async def buy(service: str) -> httpx.Response:
        r = await d.buy(w, service)
        assert d.own(r), (d.name, "buy", r.status_code, r.text)
        ident = d.bought(r)
        if ident is not None:
            handed_out.add(ident)
        return r

    async def sold(service: str) -> str:
        r = await buy(service)
        ident = d.bought(r)
        assert ident is not None, (d.name, service, r.status_code, r.text)
        await w.tick(1)  # the vendor's rent group: 2 a second
        return ident

    polled = await sold("uber")
    for (kind, service) in zip(FAULTS, SERVICES, strict=True):
        cancelled = await sold("amazon")
        await w.tick(61)  # past the vendor's first minute, when a cancel is refused
        await d.balance(w)  # a client reads its balance now and then
        await fault(w, kind, on=True)
        answers = await asyncio.gather(
            d.balance(w),
            d.prices(w),
            buy(service),
            d.status(w, polled),
            d.cancel(w, cancelled),
        )
        for call, r in zip(("balance", "prices", "buy", "status", "cancel"), answers, strict=True):
            assert d.own(r), (d.name, kind, call, r.status_code, r.text)
        await fault(w, kind, on=False)
        if d.bought(answers[2]) is None:
            waited = 0
            while d.bought(await buy(service)) is None:
                assert waited < 30, (d.name, kind, "the retry was not sold within 30 s")
                await w.tick(2)
                waited += 2
        await w.tick(1)
    await asyncio.sleep(0)
    gc.collect()
    rentals = (await w.control("GET", "/rentals"))["rentals"]
    assert len(rentals) == len(handed_out) + await unknown_entries(w), (d.name, len(rentals))
    noisy = [r for r in caplog.records if r.exc_info or "never retrieved" in r.getMessage()]
    assert noisy == [], [r.getMessage() for r in noisy]
