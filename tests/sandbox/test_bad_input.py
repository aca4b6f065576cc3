"""Bad input gets a vendor-style 4xx JSON answer, never a 500, and the sandbox keeps serving."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proxy.sandbox import SandboxClock, SandboxConfig, create_app
from proxy.sandbox.routes import ROUTES

from .conftest import Sandbox


@pytest.mark.parametrize(
    ("method", "path", "content", "status", "text"),
    [
        ("POST", "/rent-a-number", b"{not json", 400, "Malformed JSON body"),
        ("POST", "/rent-a-number", b"[1, 2]", 400, "Malformed JSON body"),
        ("POST", "/rent-a-number", b'{"service": ["wa"]}', 400, "service must be a string"),
        (
            "POST",
            "/rent-a-number",
            b'{"service": "whatsapp", "max_price": "lots"}',
            400,
            "max_price must be a number",
        ),
        (
            "POST",
            "/rent-a-number",
            b'{"service": "whatsapp", "keep_carrier": "maybe"}',
            400,
            "keep_carrier must be a boolean",
        ),
        ("POST", "/rental-status", b'{"id": "12a"}', 400, "Id must be an integer"),
        ("POST", "/rental-status", b'{"id": 1.5}', 400, "Id must be an integer"),
        ("POST", "/rental-status", b"{}", 400, "Id is not presented on the request"),
        ("POST", "/re-rent", b"{}", 400, "Rental id is not presented on the request"),
        ("POST", "/rental-status/abc/completed", b"", 404, "Rental not found"),
        ("GET", "/long-rentals/x1/messages", b"", 404, "Long rental not found"),
        ("GET", "/no-such-endpoint", b"", 404, "Not Found"),
        ("GET", "/rent-a-number", b"", 405, "Method Not Allowed"),
        (
            "POST",
            "/rent-a-number",
            b'{"service": "' + b"a" * 70_000 + b'"}',
            413,
            "Request body is too large",
        ),
    ],
)
async def test_bad_input(
    sandbox: Sandbox, method: str, path: str, content: bytes, status: int, text: str
) -> None:
    r = await sandbox.http.request(
        method,
        sandbox.base + "/api/v1" + path,
        content=content,
        headers={"Auth": "sk_sandbox_demo", "Content-Type": "application/json"},
    )
    assert (r.status_code, r.json()) == (status, {"errors": text})
    assert (await sandbox.get("/balance")).status_code == 200


async def test_unknown_fields_are_ignored(sandbox: Sandbox) -> None:
    r = await sandbox.post("/rent-a-number", {"service": "whatsapp", "colour": "blue"})
    assert r.status_code == 201


async def test_form_bodies_are_accepted(sandbox: Sandbox) -> None:
    r = await sandbox.http.post(
        sandbox.base + "/api/v1/rent-a-number",
        data={"service": "whatsapp"},
        headers={"Auth": "sk_sandbox_demo"},
    )
    assert r.status_code == 201


# -- fuzzing: a sandbox in its own thread, hammered with generated bodies ----------------
@pytest.fixture(scope="module")
def threaded_sandbox() -> Iterator[str]:
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(create_app(SandboxConfig(seed=3), SandboxClock(frozen=True)))
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
field_names = st.sampled_from(
    [
        "service",
        "services",
        "id",
        "rental_id",
        "number",
        "max_price",
        "carrier",
        "keep_carrier",
        "area_codes",
        "lock_area_code",
        "rent_area_codes",
        "period",
        "rental_time",
        "auto_renew",
        "action",
        "bid_amount",
        "x",
    ]
)
bodies = st.dictionaries(field_names, json_values, max_size=6)
endpoints = st.sampled_from([(m, p) for m, p, *_ in ROUTES])
path_args = st.sampled_from(["1", "0", "abc", "99999999999999999999", "-1", "%20"])


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(endpoint=endpoints, body=bodies, arg=path_args)
def test_fuzzed_bodies_never_cause_a_server_error(
    threaded_sandbox: str, endpoint: tuple[str, str], body: dict[str, Any], arg: str
) -> None:
    method, path = endpoint
    url = threaded_sandbox + "/api/v1" + path.replace("{id}", arg).replace("{number}", arg)
    r = httpx.request(
        method,
        url,
        content=json.dumps(body).encode(),  # NaN/Infinity too
        headers={"Auth": "sk_sandbox_demo", "Content-Type": "application/json"},
        timeout=5,
    )
    assert r.status_code < 500, (r.status_code, r.text)
    assert "errors" in r.json() or r.status_code in (200, 201)
