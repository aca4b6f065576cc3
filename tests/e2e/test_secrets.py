"""No key and no secret in any log line or any answer, whatever a hostile client sends.

The proxy runs behind the same runner as `smsproxy serve` (proxy/web/server.py), so requests
aiohttp cannot even parse are part of the batch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from proxy import config
from proxy.app import build_app
from proxy.sandbox import SandboxConfig, create_app
from proxy.web.app_keys import SERVED
from proxy.web.server import QuietAppRunner

from .test_durability import free_port

KEY = "sk_live_Hostile42xq"
WEBHOOK_SECRET = "whsec_Quiet93zz"
ADMIN_TOKEN = "adm_Token77kk"
WRONG_SECRET = "whsec_Guess11yy"  # a client's guess is a secret of someone's too
SECRETS = (KEY, "Hostile42xq", WEBHOOK_SECRET, "Quiet93zz", ADMIN_TOKEN, WRONG_SECRET)


@dataclass
class Stack:
    base: str
    port: int
    http: httpx.AsyncClient
    vendor: str
    app: web.Application


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    vendor = TestServer(create_app(SandboxConfig(seed=3)), host="127.0.0.1")
    await vendor.start_server()
    vendor_url = str(vendor.make_url("")).rstrip("/")
    settings = config.load(
        env={},
        upstream_url=vendor_url,
        data_dir=tmp_path / "var",
        webhook_secret=WEBHOOK_SECRET,
        admin_token=ADMIN_TOKEN,
        pacing_enabled=False,
    )
    app = build_app(settings)
    runner = QuietAppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(vendor_url + "/_sandbox/accounts", json={"api_key": KEY, "balance": 5})
        assert r.status_code == 200
        yield Stack(f"http://127.0.0.1:{port}", port, http, vendor_url, app)
    await runner.cleanup()
    await vendor.close()


async def raw(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer


def hostile_lines() -> list[bytes]:
    sa = b"/stubs/handler_api.php?action=getBalance&api_key=" + KEY.encode()
    return [
        b"GET " + sa + b"&pad=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET " + sa + b"\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET " + sa + b"\xff HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /stubs/handler_api.php?action=getBalance HTTP/1.1\r\nHost: x\r\n"
        b"X-ApiKey: " + KEY.encode() + b"\x01\r\n\r\n",
        b"GET /api/v1/balance HTTP/1.1\r\nHost: x\r\nAuth: " + KEY.encode() + b"\x7f\r\n\r\n",
        b"GET /api/v1/balance HTTP/1.1\r\nHost: x\r\nAuth: "
        + b"k" * 9000
        + KEY.encode()
        + b"\r\n\r\n",
        b"POST /webhooks/getatext/" + WRONG_SECRET.encode() + b"\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
    ]


async def test_a_hostile_batch_leaks_nothing(
    stack: Stack, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    answers: list[bytes] = [await raw(stack.port, line) for line in hostile_lines()]
    for answer in answers[:-1]:
        assert answer.startswith(b"HTTP/1.0 400 Bad Request") or answer.startswith(
            b"HTTP/1.1 400 Bad Request"
        ), answer[:80]
    http, base = stack.http, stack.base
    sa = base + "/stubs/handler_api.php"
    crlf = await http.get(sa + "?action=getBalance&api_key=" + KEY + "%0D%0AX:1")
    assert crlf.text == "BAD_KEY"
    unicode_key = await http.get(sa, params={"action": "getBalance", "api_key": KEY + "é"})
    assert unicode_key.text == "BAD_KEY"
    non_ascii = [
        await raw(
            stack.port,
            b"GET "
            + path
            + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            + header
            + KEY.encode()
            + b"\xc3\xa9\r\n\r\n",
        )
        for path, header in (
            (b"/api/v1/balance", b"Auth: "),
            (b"/v1/user/profile", b"Authorization: Bearer "),
            (b"/stubs/handler_api.php?action=getBalance", b"X-ApiKey: "),
        )
    ]
    assert [a.split(b"\r\n", 1)[0] for a in non_ascii] == [
        b"HTTP/1.1 403 Forbidden",
        b"HTTP/1.1 401 Unauthorized",
        b"HTTP/1.1 200 OK",
    ]
    assert non_ascii[0].endswith(b'{"errors":"Wrong Api Key or User is restricted"}')
    assert non_ascii[2].endswith(b"BAD_KEY")
    rented = await http.get(sa, params={"action": "getNumber", "service": "wa", "api_key": KEY})
    assert rented.text.startswith("ACCESS_NUMBER:")
    activation_id = rented.text.split(":")[1]
    status = await http.get(
        sa,
        params={"action": "getStatus", "id": activation_id, "api_key": KEY},
        headers={"X-Request-Id": KEY},
    )
    assert status.text == "STATUS_WAIT_CODE"
    assert status.headers["X-Request-Id"] != KEY
    upstream_id = (await stack.http.get(stack.vendor + "/_sandbox/rentals")).json()["rentals"][0][
        "id"
    ]
    for token in (WRONG_SECRET, WEBHOOK_SECRET, "x"):  # none is this key's account token
        planted = await http.post(
            base + "/webhooks/getatext/" + token, json={"id": upstream_id, "code": "666666"}
        )
        assert planted.json() == {"result": "ignored: unknown rental"}
    still = await http.get(sa, params={"action": "getStatus", "id": activation_id, "api_key": KEY})
    assert still.text == "STATUS_WAIT_CODE"  # no code was planted
    garbage = await http.post(base + "/webhooks/getatext/" + WEBHOOK_SECRET, content=b"[" * 60000)
    assert (garbage.status_code, garbage.json()) == (400, {"result": "body must be JSON"})
    wrong_admin = await http.get(base + "/admin/purchases", headers={"X-Admin-Token": WRONG_SECRET})
    assert wrong_admin.status_code == 404
    bodies = [*answers, *non_ascii] + [
        r.content + str(r.headers).encode()
        for r in (crlf, unicode_key, rented, status, garbage, wrong_admin)
    ]
    # the test's own client (httpx) logs the URLs it sends; the proxy silences httpx
    ours = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    stack.app[SERVED].close()  # the access lines written so far, to stderr
    access = capsys.readouterr().err
    assert access.count(" INFO smsproxy.access request_id=") >= 5, access
    logged = "\n".join(logging.Formatter().format(record) for record in ours) + access
    assert logged, "the batch was logged at all"
    for secret in SECRETS:
        assert secret not in logged, secret
        assert not any(secret.encode() in body for body in bodies), secret
    assert "Traceback" not in logged
