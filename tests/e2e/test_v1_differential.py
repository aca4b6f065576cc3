"""The proxy's native v1 surface answers like the vendor: every documented error of the
sandbox's table, and scripted success flows over every endpoint, compared status and body
(ids and balances aside) between a sandbox called directly and one behind the proxy."""

from __future__ import annotations

from typing import Any

import pytest

from ..sandbox.conftest import Sandbox
from ..sandbox.conftest import sandbox as sandbox  # the vendor, called directly
from ..sandbox.test_documented_errors import CASES, Case, _fill, broke
from .conftest import World

ASIDE = {"id", "rental_id", "balance", "new_balance"}


def normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("<aside>" if k in ASIDE else normalise(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


class Proxied(Sandbox):
    """The sandbox test helper, but its vendor calls go through the proxy."""

    def __init__(self, world: World) -> None:
        super().__init__(world.sandbox, world.http, world.sandbox_clock, api=world.proxy)
        self.world = world

    async def tick(self, seconds: float) -> None:
        await self.world.tick(seconds)


async def play(sb: Sandbox, case: Case) -> tuple[int, Any]:
    ctx = await case.setup(sb)
    if case.name in ("specific-funds", "slr-renew-funds"):
        await broke(sb)
    await sb.tick(1)
    r = await sb.call(case.method, _fill(case.path, ctx), _fill(case.body, ctx), case.key)
    assert r.headers["Content-Type"] == "application/json"
    return r.status_code, r.json()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_documented_error_through_the_proxy(
    world: World, sandbox: Sandbox, case: Case
) -> None:
    expected = await play(sandbox, case)
    assert expected == (case.status, {"errors": case.text})
    assert await play(Proxied(world), case) == expected


FLOW: list[tuple[Any, ...]] = [
    # first: the proxy then serves prices from its cache (60 s), stock included
    ("GET", "/prices-info", None, None),
    ("POST", "/rent-a-number", {"service": "whatsapp"}, "first"),
    ("@tick", 1),
    (
        "POST",
        "/rent-a-number",
        {"service": "telegram", "carrier": "at&t", "area_codes": "212", "keep_carrier": True},
        "second",
    ),
    ("@tick", 1),
    ("POST", "/rental-status", {"id": "$first"}, None),
    ("POST", "/rental-status/$first/completed", None, None),
    ("@sms", "first", "246802"),
    ("@tick", 1),
    ("POST", "/rental-status", {"id": "$first"}, None),
    ("POST", "/rental-status/$first/completed", None, None),
    ("POST", "/cancel-rental", {"id": "$second"}, None),
    ("@tick", 60),
    ("POST", "/cancel-rental", {"id": "$second"}, None),
    ("POST", "/re-rent", {"rental_id": "$second"}, "third"),
    ("POST", "/re-rent", {"rental_id": "$third"}, None),
    ("@tick", 1),
    ("POST", "/rent-multiple-services", {"services": "instagram,google"}, None),
    ("@tick", 1),
    ("POST", "/rent-specific-number", {"number": "$third#", "service": "uber"}, None),
    ("GET", "/balance", None, None),
    ("GET", "/long-rentals/prices", None, None),
    ("POST", "/long-rentals", {"rental_time": "1w", "auto_renew": False}, "long"),
    ("GET", "/long-rentals", None, None),
    ("GET", "/long-rentals/$long/messages", None, None),
    ("@sms", "long", "135791"),
    ("@tick", 11),  # past the proxy's long-rental poll interval
    ("GET", "/long-rentals/$long/messages", None, None),
    ("POST", "/long-rentals/$long/update", {"action": "auto_renew", "auto_renew": True}, None),
    ("POST", "/long-rentals/$long/update", {"action": "sell"}, None),
    ("POST", "/long-rentals/$long/update", {"action": "renew"}, None),
    ("POST", "/long-rentals/$long/update", {"action": "cancel"}, None),
    ("POST", "/long-rentals/$long/update", {"action": "renew"}, None),
    ("GET", "/long-rentals", None, None),
    ("GET", "/service-long-rentals/prices", None, None),
    ("POST", "/service-long-rentals", {"service": "discord", "period": "3d"}, "slr"),
    ("GET", "/service-long-rentals", None, None),
    ("GET", "/service-long-rentals/$slr#/messages?service=discord", None, None),
    ("POST", "/service-long-rentals/$slr#/auto-renew", {"auto_renew": True}, None),
    ("POST", "/service-long-rentals/$slr#/renew", {}, None),
    ("POST", "/service-long-rentals", {"service": "telegram", "period": "1d"}, "slr2"),
    ("POST", "/service-long-rentals/$slr2#/cancel", {}, None),
    ("GET", "/service-long-rentals", None, None),
    ("@sms", "slr", "864209"),
    ("@tick", 11),
    ("GET", "/service-long-rentals/$slr#/messages?service=discord", None, None),
    ("POST", "/service-long-rentals/$slr#/cancel", {}, None),
    ("GET", "/balance", None, None),
    ("GET", "/auctions", None, None),
    ("POST", "/auctions/1/bid", {"bid_amount": 0.70}, None),
    ("POST", "/rental-status", {"id": "not-a-number"}, None),
    ("POST", "/rental-status", {"id": 99999999}, None),
    ("GET", "/rent-a-number", None, None),
    ("GET", "/nothing-here", None, None),
]


class Track:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.ids: dict[str, Any] = {}
        self.numbers: dict[str, str] = {}

    def fill(self, value: Any) -> Any:
        if isinstance(value, str):
            for name in sorted(self.ids, key=len, reverse=True):
                value = value.replace(f"${name}#", self.numbers.get(name, ""))
                value = value.replace(f"${name}", str(self.ids[name]))
            return value
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        return value

    async def play(self, step: tuple[Any, ...]) -> tuple[int, Any] | None:
        if step[0] == "@tick":
            await self.sb.tick(step[1])
            return None
        if step[0] == "@sms":
            await self.sb.control(
                "POST", "/sms", {"number": self.numbers[step[1]], "code": step[2]}
            )
            return None
        method, path, body, name = step
        r = await self.sb.call(method, self.fill(path), self.fill(body))
        data = r.json()
        if name and r.status_code < 300:
            record = data.get("long_rental") or data.get("service_long_rental") or data
            self.ids[name], self.numbers[name] = record["id"], record["number"]
        return r.status_code, normalise(data)


async def test_every_endpoint_flows_like_the_vendor(world: World, sandbox: Sandbox) -> None:
    vendor, proxied = Track(sandbox), Track(Proxied(world))
    compared = 0
    for step in FLOW:
        expected = await vendor.play(step)
        actual = await proxied.play(step)
        assert actual == expected, f"{step}: proxy {actual} != vendor {expected}"
        compared += expected is not None
    assert compared == sum(1 for s in FLOW if not str(s[0]).startswith("@"))
    assert vendor.numbers == proxied.numbers
