"""The proxy's Getatext variant answers byte for byte like the vendor's own handler_api.php.

Two sandboxes with the same seed play the same script: one is called directly on its
legacy endpoint, the other through the proxy's `/getatext` mount. Activation ids are the
only allowed difference (the proxy issues its own), so the script names them.
"""

from __future__ import annotations

from typing import Any

import httpx

from ..sandbox.conftest import Sandbox
from ..sandbox.conftest import sandbox as sandbox  # the vendor, called directly
from .conftest import World

# (name to remember an ACCESS_NUMBER id under | None, params with "$name" for ids) or a
# control step: ("@sms", name, code), ("@tick", seconds), ("@control", method, path, body)
SCRIPT: list[tuple[Any, ...]] = [
    (None, {"action": "getBalance"}),
    (None, {"action": "getPrices", "service": "whatsapp,telegram", "country": "187"}),
    (None, {"action": "getPrices", "service": "whatsapp", "country": "1"}),
    (None, {"action": "getPrices", "service": "nosuch", "country": "187"}),
    ("first", {"action": "getNumber", "service": "whatsapp"}),
    ("@tick", 1),
    (None, {"action": "getStatus", "id": "$first"}),
    (None, {"action": "setStatus", "id": "$first", "status": "8"}),
    (None, {"action": "setStatus", "id": "$first", "status": "6"}),
    (None, {"action": "getExtraActivation", "id": "$first"}),
    ("@sms", "first", "918273"),
    ("@tick", 1),
    (None, {"action": "getStatus", "id": "$first"}),
    (None, {"action": "setStatus", "id": "$first", "status": "6"}),
    (None, {"action": "getStatus", "id": "$first"}),
    ("second", {"action": "getNumber", "service": "telegram", "carrier": "tmobile"}),
    ("@tick", 61),
    (None, {"action": "setStatus", "id": "$second", "status": "8"}),
    (None, {"action": "getStatus", "id": "$second"}),
    ("third", {"action": "getExtraActivation", "id": "$first"}),
    ("@tick", 1),
    (None, {"action": "getBalance"}),
    (None, {"action": "getNumber", "service": "nosuch"}),
    ("@tick", 1),
    (None, {"action": "getNumber", "service": "whatsapp", "max_price": "0.10"}),
    (None, {"action": "getNumber"}),
    (None, {"action": "getStatus", "id": "abc"}),
    (None, {"action": "getStatus", "id": "424242"}),
    (None, {"action": "setStatus", "id": "$third", "status": "3"}),
    (None, {"action": "getExtraActivation", "id": "$third"}),
    (None, {"action": "nope"}),
    (None, {"action": "getBalance", "api_key": "sk_wrong"}),
    ("@control", "PUT", "/services", [{"api_name": "whatsapp", "price": 0.55, "stock": 0}]),
    ("@tick", 1),
    (None, {"action": "getNumber", "service": "whatsapp"}),
    ("@control", "POST", "/accounts", {"api_key": "sk_sandbox_demo", "balance": "0.20"}),
    ("@control", "PUT", "/services", [{"api_name": "whatsapp", "price": 0.55, "stock": 5}]),
    ("@tick", 1),
    (None, {"action": "getNumber", "service": "whatsapp"}),
    ("@control", "POST", "/maintenance", {"on": True}),
    (None, {"action": "getNumber", "service": "whatsapp"}),
    (None, {"action": "getBalance"}),
]


class Track:
    """One way of playing the script: its own URL, sandbox and id space."""

    def __init__(self, http: httpx.AsyncClient, url: str, sandbox: str, tick: Any) -> None:
        self.http, self.url, self.sandbox, self.tick = http, url, sandbox, tick
        self.ids: dict[str, str] = {}
        self.numbers: dict[str, str] = {}

    async def control(self, method: str, path: str, body: Any) -> None:
        r = await self.http.request(method, self.sandbox + "/_sandbox" + path, json=body)
        assert r.status_code == 200, r.text

    async def play(self, step: tuple[Any, ...]) -> tuple[str, bytes] | None:
        head = step[0]
        if head == "@tick":
            await self.tick(step[1])
            return None
        if head == "@sms":
            await self.control("POST", "/sms", {"number": self.numbers[step[1]], "code": step[2]})
            return None
        if head == "@control":
            await self.control(step[1], step[2], step[3])
            return None
        params = {
            "api_key": "sk_sandbox_demo",
            **{k: self.ids.get(v[1:], v) if v.startswith("$") else v for k, v in step[1].items()},
        }
        r = await self.http.get(self.url, params=params)
        assert r.status_code == 200
        body = r.content
        if body.startswith(b"ACCESS_NUMBER:"):
            _, activation_id, phone = body.decode().split(":")
            if head:
                self.ids[head] = activation_id
                self.numbers[head] = phone[1:]
            body = f"ACCESS_NUMBER:<id>:{phone}".encode()
        return r.headers["Content-Type"], body


async def test_getatext_variant_equals_the_vendor_byte_for_byte(
    world: World, sandbox: Sandbox
) -> None:
    vendor_url, vendor_clock = sandbox.base, sandbox.clock

    async def vendor_tick(seconds: float) -> None:
        vendor_clock.advance(seconds)

    vendor = Track(world.http, vendor_url + "/stubs/handler_api.php", vendor_url, vendor_tick)
    proxied = Track(
        world.http, world.proxy + "/getatext/stubs/handler_api.php", world.sandbox, world.tick
    )
    compared = 0
    for step in SCRIPT:
        expected = await vendor.play(step)
        actual = await proxied.play(step)
        assert actual == expected, f"step {step}: proxy {actual!r} != vendor {expected!r}"
        compared += expected is not None
    assert compared == sum(1 for s in SCRIPT if not str(s[0]).startswith("@"))
    assert vendor.numbers == proxied.numbers  # same seed, same numbers handed out
