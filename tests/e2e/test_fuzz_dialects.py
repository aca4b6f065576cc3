"""Anything in, a protocol answer out: every dialect fuzzed with arbitrary values in every
parameter, header and body field. Never a 5xx, never the catch-all answer, never a
traceback in the log.

Proxy and sandbox run as real servers in a thread of their own; hypothesis drives them
with a blocking client, 1,000 examples per dialect.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.dialects import CLONES
from adapters.dialects.fivesim import ROUTES as FIVESIM_ROUTES
from adapters.dialects.getatext_legacy import ACTIONS as GAT_ACTIONS
from adapters.dialects.onlinesim.methods import METHODS as ONLINESIM_METHODS
from adapters.dialects.sms_activate import ACTIONS as SA_ACTIONS
from adapters.dialects.smspool.endpoints import ENDPOINTS as SMSPOOL_ENDPOINTS
from adapters.dialects.textverified.routes import ROUTES as TEXTVERIFIED_ROUTES
from adapters.dialects.v1 import ROUTES as V1_ROUTES
from proxy import config
from proxy.app import build_app
from proxy.sandbox import SandboxClock, SandboxConfig, create_app
from proxy.web.server import QuietAppRunner

from .conftest import hook_path

DEMO = "sk_sandbox_demo"
EXAMPLES = 1000
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,  # the same examples in every CI run
)
# the catch-all answers of each protocol: a fuzzed request must never earn one
GENERIC = {"ERROR_SQL", "RENTAL_ERROR", '{"errors":"Server Error"}', '"internal error"'}


class Traces(logging.Handler):
    """Every record the servers log with an exception attached."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or "Traceback" in record.getMessage():
            error = record.exc_info[1] if record.exc_info else None
            self.found.append(f"{record.name}: {record.getMessage()}: {error!r}"[:500])


@dataclass
class Stack:
    base: str
    http: httpx.Client
    traces: Traces
    answers: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        r = self.http.request(method, self.base + path, **kw)
        self.answers += 1
        self.statuses[r.status_code] = self.statuses.get(r.status_code, 0) + 1
        assert r.status_code < 500, (method, path, kw, r.status_code, r.text[:200])
        assert r.text.strip() not in GENERIC, (method, path, kw, r.text[:200])
        assert '"errors":"Server Error"' not in r.text, (method, path, kw, r.text[:200])
        assert not self.traces.found, (method, path, kw, self.traces.found[0])
        return r


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    loop = asyncio.new_event_loop()
    data = Path(tmp_path_factory.mktemp("fuzz"))

    async def start() -> tuple[list[web.BaseRunner], str]:
        vendor = web.AppRunner(create_app(SandboxConfig(seed=11), SandboxClock(frozen=True)))
        await vendor.setup()
        await web.TCPSite(vendor, "127.0.0.1", 0).start()
        vendor_url = f"http://127.0.0.1:{vendor.addresses[0][1]}"
        settings = config.load(
            env={},
            upstream_url=vendor_url,
            data_dir=data,
            secret="fuzz",
            webhook_secret="hook",
            guest_key=DEMO,
            pacing_enabled=False,
            poll_interval_seconds=0.0,
        )
        proxy = QuietAppRunner(build_app(settings), access_log=None)
        await proxy.setup()
        await web.TCPSite(proxy, "127.0.0.1", 0).start()
        return [proxy, vendor], f"http://127.0.0.1:{proxy.addresses[0][1]}"

    runners, base = loop.run_until_complete(start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    traces = Traces()
    logging.getLogger().addHandler(traces)
    with httpx.Client(timeout=10) as http:
        yield Stack(base, http, traces)
    logging.getLogger().removeHandler(traces)
    for runner in runners:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


# -- values: what hostile and careless clients send ------------------------------------------
weird_text = st.text(max_size=40)  # any unicode, control characters included
numbers_as_text = st.sampled_from(
    [
        "²",
        "١٠٠٠٠٠",
        "9" * 5000,
        "1e999999999",
        "-1e999999999",
        "nan",
        "Infinity",
        "-0",
        "0",
        "0x10",
        "1_000",
        " 7 ",
        "2147483648",
        "2147483647",
        "100000",
        "-5",
        "3.5",
    ]
)
# what an HTTP client (h11) puts on the wire: visible ASCII and any byte >= 0x80, blanks
# inside; control characters are sent over raw sockets in test_secrets.py
FIELD_BYTES = [*range(0x21, 0x7F), *range(0x80, 0x100), 0x20, 0x09]
header_values = st.lists(st.sampled_from(FIELD_BYTES), max_size=300).map(
    lambda b: bytes(b).strip(b" \t")
)
values = st.one_of(
    numbers_as_text,
    numbers_as_text,  # twice: the values that broke parsers before come up often
    weird_text,
    st.sampled_from(["wa", "tg", "whatsapp", "187", "usa", "8", "6", "3", "1"]),
)
# mostly the working key: most paths start after authentication
keys = st.one_of(
    st.just(DEMO),
    st.just(DEMO),
    st.just(DEMO),
    st.sampled_from(["", " ", "sk_unknown"]),
    weird_text,
)


# -- the handler_api dialects ------------------------------------------------------------------
SA_NAMES = [
    "id",
    "activationId",
    "service",
    "status",
    "country",
    "maxPrice",
    "operator",
    "multiService",
    "multiForward",
    "orderId",
    "number",
    "phoneException",
    "areas",
    "forward",
    "activationType",
    "freePrice",
    "verification",
    "lang",
]


def handler_api_requests(actions: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    params = st.fixed_dictionaries(
        {}, optional={**{name: values for name in SA_NAMES}, "x": weird_text}
    )
    return st.fixed_dictionaries(
        {
            "action": st.one_of(*[st.sampled_from(actions)] * 4, weird_text),
            "api_key": keys,
            "params": params,
            "post": st.booleans(),
            "header_key": st.none() | header_values,
        }
    )


def send_handler_api(stack: Stack, path: str, request: dict[str, Any]) -> None:
    params = {**request["params"], "action": request["action"], "api_key": request["api_key"]}
    headers = {} if request["header_key"] is None else {"X-ApiKey": request["header_key"]}
    if request["post"]:
        r = stack.send("POST", path, data=params, headers=headers)
    else:
        r = stack.send("GET", path, params=params, headers=headers)
    assert r.headers["Content-Type"].startswith(("text/", "application/json"))


@FUZZ
@given(request=handler_api_requests(sorted(SA_ACTIONS)))
def test_sms_activate_fuzz(stack: Stack, request: dict[str, Any]) -> None:
    send_handler_api(stack, "/stubs/handler_api.php", request)


@FUZZ
@given(request=handler_api_requests(sorted(GAT_ACTIONS)))
def test_getatext_legacy_fuzz(stack: Stack, request: dict[str, Any]) -> None:
    send_handler_api(stack, "/getatext/stubs/handler_api.php", request)


# -- 5sim ------------------------------------------------------------------------------------------
segments = weird_text.filter(lambda s: "/" not in s and s not in ("", ".", "..")) | values.filter(
    lambda s: "/" not in s and s not in ("", ".", "..")
)
bodies = (
    st.binary(max_size=200)
    | st.just(b"[" * 60000)
    | st.builds(
        lambda name, price: json.dumps({"product_name": name, "price": price}).encode(),
        values,
        values | st.floats(allow_nan=False) | st.integers(),
    )
)


def fill(pattern: str, draw: st.DrawFn) -> str:
    """A route pattern with each `{name}` replaced by a generated segment."""
    # percent-encoded on the wire; the server decodes it back to the raw characters
    return re.sub(r"\{[^}]+\}", lambda _m: quote(draw(segments), safe=""), pattern)


@st.composite
def fivesim_requests(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    method, path, *_ = draw(st.sampled_from(FIVESIM_ROUTES))
    path = fill(path, draw)
    token = draw(keys)
    headers: dict[str, Any] = {}
    if draw(st.booleans()):
        headers["Authorization"] = (
            draw(
                st.sampled_from([f"Bearer {DEMO}", DEMO])
                | header_values.map(lambda b: (b"Bearer " + b).strip())
            )
            if token == DEMO
            else draw(header_values)
        )
    query = draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "maxPrice",
                    "reuse",
                    "voice",
                    "limit",
                    "offset",
                    "category",
                    "reverse",
                    "forwarding",
                    "number",
                    "country",
                    "product",
                    "operator",
                ]
            ),
            values,
            max_size=4,
        )
    )
    return method, path, {"headers": headers, "params": query, "content": draw(bodies)}


@FUZZ
@given(request=fivesim_requests())
def test_fivesim_fuzz(stack: Stack, request: tuple[str, str, dict[str, Any]]) -> None:
    method, path, kw = request
    r = stack.send(method, path, **kw)
    assert r.text.strip() != "internal error"


# -- native v1 -------------------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | weird_text | numbers_as_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(weird_text, inner, max_size=3),
    max_leaves=8,
)
V1_FIELDS = [
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
    "rental_time",
    "period",
    "auto_renew",
    "bid_amount",
    "action",
]
v1_bodies = (
    st.dictionaries(st.sampled_from(V1_FIELDS), json_values, max_size=5).map(
        lambda d: json.dumps(d).encode()  # NaN and Infinity too
    )
    | st.binary(max_size=200)
    | st.just(b"[" * 60000)
    | st.just(b'--x\r\nContent-Disposition: form-data; name="service"\r\n\r\nwh')
)


@st.composite
def v1_requests(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    method, path, *_ = draw(st.sampled_from(V1_ROUTES))
    path = fill(path, draw)
    auth = draw(st.sampled_from([DEMO.encode()]) | header_values)
    content_type = draw(
        st.sampled_from(
            [
                "application/json",
                "multipart/form-data; boundary=x",
                "application/x-www-form-urlencoded",
                "text/plain",
            ]
        )
    )
    query = draw(st.dictionaries(weird_text, weird_text, max_size=3))
    return (
        draw(st.sampled_from([method, method, "PUT"])),
        "/api/v1" + path,
        {
            "headers": {"Auth": auth, "Content-Type": content_type},
            "params": query,
            "content": draw(v1_bodies),
        },
    )


@FUZZ
@given(request=v1_requests())
def test_v1_fuzz(stack: Stack, request: tuple[str, str, dict[str, Any]]) -> None:
    method, path, kw = request
    r = stack.send(method, path, **kw)
    assert r.headers["Content-Type"].startswith("application/json")
    assert "errors" in r.json() or r.status_code in (200, 201)


# -- the vendor's webhook --------------------------------------------------------------------------
hooks = st.dictionaries(
    st.sampled_from(["id", "code", "status", "number", "service_name", "cost", "end_time"]),
    json_values,
    max_size=7,
).map(lambda d: json.dumps(d).encode()) | st.binary(max_size=100)


@settings(FUZZ, max_examples=300)
@given(body=hooks)
def test_webhook_fuzz(stack: Stack, body: bytes) -> None:
    r = stack.send("POST", hook_path("hook", fingerprint_secret="fuzz"), content=body)
    assert r.status_code in (200, 400)


def test_the_fuzzers_ran(stack: Stack) -> None:
    """Runs last in this module: the examples really reached the proxy."""
    assert stack.answers >= 4 * EXAMPLES
    assert len(stack.statuses) > 2  # a spread of answers, not one refusal repeated


# -- the SMS-Activate clone families and the REST dialects added with them --------------------
FEWER = settings(FUZZ, max_examples=300)


@FEWER
@given(
    family=st.sampled_from(sorted(CLONES)),
    request=st.data(),
)
def test_clone_families_fuzz(stack: Stack, family: str, request: st.DataObject) -> None:
    actions = sorted(CLONES[family].actions) + sorted(CLONES[family].aliases)
    drawn = request.draw(handler_api_requests(actions))
    send_handler_api(stack, f"/{family}/stubs/handler_api.php", drawn)


ONLINESIM_NAMES = ["service", "country", "tzid", "number", "ban", "msg_list", "message_to_code"]


@FEWER
@given(
    method=st.sampled_from([*sorted(ONLINESIM_METHODS)] * 3) | segments,
    key=keys,
    params=st.dictionaries(st.sampled_from(ONLINESIM_NAMES), values, max_size=4),
    as_json=st.booleans(),
)
def test_onlinesim_fuzz(
    stack: Stack, method: str, key: str, params: dict[str, str], as_json: bool
) -> None:
    path = f"/api/{quote(method, safe='')}.php"
    fields = {"apikey": key, **params}
    r = stack.send("POST", path, json=fields) if as_json else stack.send("GET", path, params=fields)
    if r.status_code == 200 and r.headers["Content-Type"].startswith("application/json"):
        answer = r.json()
        assert isinstance(answer, list) or answer.get("response") != "TRY_AGAIN_LATER", answer


SMSPOOL_NAMES = ["country", "service", "orderid", "order_id", "max_price", "pool"]


@FEWER
@given(
    path=st.sampled_from(sorted(SMSPOOL_ENDPOINTS)),
    prefix=st.sampled_from(["/smspool/", "/api/", "/"]),
    key=keys,
    params=st.dictionaries(st.sampled_from(SMSPOOL_NAMES), values, max_size=4),
    post=st.booleans(),
)
def test_smspool_fuzz(
    stack: Stack, path: str, prefix: str, key: str, params: dict[str, str], post: bool
) -> None:
    fields = {"key": key, **params}
    if post:
        r = stack.send("POST", prefix + path, data=fields)
    else:
        r = stack.send("GET", prefix + path, params=fields)
    if r.headers.get("Content-Type", "").startswith("application/json"):
        answer = r.json()
        assert not (isinstance(answer, dict) and answer.get("type") == "TRY_AGAIN"), answer


@FEWER
@given(
    route=st.sampled_from(TEXTVERIFIED_ROUTES),
    draw=st.data(),
    authenticated=st.booleans(),
    body=v1_bodies,
)
def test_textverified_fuzz(
    stack: Stack,
    route: tuple[str, str, str, Any],
    draw: st.DataObject,
    authenticated: bool,
    body: bytes,
) -> None:
    method, pattern, *_ = route
    path = "/api/pub/v2" + re.sub(
        r"\{[^}]+\}", lambda _m: quote(draw.draw(segments), safe=""), pattern
    )
    headers = {"Content-Type": "application/json"}
    if authenticated:
        token = stack.send(
            "POST", "/api/pub/v2/auth", headers={"X-API-KEY": DEMO, "X-API-USERNAME": "fuzz"}
        ).json()["token"]
        headers["Authorization"] = f"Bearer {token}"
    else:
        token = draw.draw(weird_text.filter(lambda t: t.isascii() and t.isprintable()))
        headers["Authorization"] = f"Bearer {token.strip() or 'none'}"
    r = stack.send(method, path, content=body, headers=headers)
    if r.headers.get("Content-Type", "").startswith("application/json") and r.status_code >= 400:
        assert r.json()["errorCode"] != "InternalServerError", r.text
