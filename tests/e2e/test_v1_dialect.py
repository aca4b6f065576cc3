"""The native v1 surface: bad input, local answers, forwarding under pacing."""

from __future__ import annotations

import pytest

from .conftest import DEMO, World


@pytest.mark.parametrize(
    ("method", "path", "content", "status", "text"),
    [
        ("POST", "/rent-a-number", b"{broken", 400, "Malformed JSON body"),
        ("POST", "/rent-a-number", b"[]", 400, "Malformed JSON body"),
        ("POST", "/rent-a-number", b'{"service": ["x"]}', 400, "service must be a string"),
        (
            "POST",
            "/rent-a-number",
            b'{"service": "whatsapp", "max_price": "x"}',
            400,
            "max_price must be a number",
        ),
        ("POST", "/rental-status", b'{"id": "x1"}', 400, "Id must be an integer"),
        ("POST", "/rental-status/abc/completed", b"", 404, "Rental not found"),
        ("DELETE", "/balance", b"", 405, "Method Not Allowed"),
        ("GET", "/no/such/thing", b"", 404, "Not Found"),
    ],
)
async def test_bad_input(
    world: World, method: str, path: str, content: bytes, status: int, text: str
) -> None:
    r = await world.http.request(
        method,
        world.proxy + "/api/v1" + path,
        content=content,
        headers={"Auth": DEMO, "Content-Type": "application/json"},
    )
    assert (r.status_code, r.json()) == (status, {"errors": text})


async def test_status_polls_are_bounded_and_codes_come_from_the_store(world: World) -> None:
    r = await world.http.post(
        world.proxy + "/api/v1/rent-a-number", json={"service": "whatsapp"}, headers={"Auth": DEMO}
    )
    rid = r.json()["id"]
    assert r.status_code == 201 and rid >= 100_000  # the proxy's id
    for _ in range(10):
        s = await world.http.post(
            world.proxy + "/api/v1/rental-status", json={"id": rid}, headers={"Auth": DEMO}
        )
        assert s.json()["status"] == "active"
    assert (await world.stats())["by_endpoint"].get("rental-status", 0) == 0
    # the same activation through SMS-Activate
    assert await world.text(action="getStatus", id=str(rid)) == "STATUS_WAIT_CODE"


async def test_early_cancel_is_answered_without_the_vendor(world: World) -> None:
    r = await world.http.post(
        world.proxy + "/api/v1/rent-a-number", json={"service": "whatsapp"}, headers={"Auth": DEMO}
    )
    c = await world.http.post(
        world.proxy + "/api/v1/cancel-rental", json={"id": r.json()["id"]}, headers={"Auth": DEMO}
    )
    assert (c.status_code, c.json()) == (
        400,
        {"errors": "You must wait 1 minute before cancelling the rental"},
    )
    assert "cancel-rental" not in (await world.stats())["by_endpoint"]


async def test_a_path_id_that_is_no_id_reaches_no_vendor(world: World) -> None:
    r = await world.http.get(
        world.proxy + "/api/v1/long-rentals/..%2F..%2Fbalance/messages", headers={"Auth": DEMO}
    )
    assert (r.status_code, r.json()) == (404, {"errors": "Long rental not found"})
    bid = await world.http.post(
        world.proxy + "/api/v1/auctions/..%2F..%2Fbalance/bid", headers={"Auth": DEMO}, json={}
    )
    assert (bid.status_code, bid.json()) == (404, {"errors": "Not Found"})  # not forwarded
    by_endpoint = (await world.stats())["by_endpoint"]
    assert "long-rentals-messages" not in by_endpoint and "balance" not in by_endpoint
