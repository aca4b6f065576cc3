"""--seed fixes numbers, ids and random TTLs; the clock is injected, never slept on."""

from __future__ import annotations

from typing import Any

import httpx
from aiohttp.test_utils import TestServer

from proxy.cli.main import build_parser
from proxy.sandbox import SandboxClock, SandboxConfig, create_app


async def _script(seed: int) -> list[Any]:
    server = TestServer(
        create_app(SandboxConfig(seed=seed), SandboxClock(frozen=True)), host="127.0.0.1"
    )
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    seen: list[Any] = []
    async with httpx.AsyncClient() as http:
        for service in ("whatsapp", "telegram"):
            r = await http.post(
                base + "/api/v1/rent-a-number",
                json={"service": service},
                headers={"Auth": "sk_sandbox_demo"},
            )
            seen.append((r.json()["id"], r.json()["number"]))
    await server.close()
    return seen


async def test_same_seed_same_world() -> None:
    assert await _script(11) == await _script(11)
    assert await _script(11) != await _script(12)


def test_cli_exposes_the_sandbox_options() -> None:
    args = build_parser().parse_args(
        ["sandbox", "--host", "127.0.0.1", "--port", "9300", "--seed", "5", "--frozen-clock"]
    )
    assert (args.host, args.port, args.seed, args.frozen_clock) == ("127.0.0.1", 9300, 5, True)


def test_clock_only_moves_forward() -> None:
    clock = SandboxClock(frozen=True)
    start = clock.now()
    clock.advance(90)
    assert clock.now() == start + 90
    try:
        clock.advance(-1)
    except ValueError:
        pass
    else:
        raise AssertionError("a clock moved backwards")
