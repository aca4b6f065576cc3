"""The references the overhead bench measures the proxy against, as a process of its own.

    python bench/_reference.py --port P                 # hello world: a fixed text answer
    python bench/_reference.py --port P --forward URL   # a minimal forwarder

The forwarder answers SMS-Activate's getBalance by asking the vendor's `/api/v1/balance`
through one shared aiohttp session, with the client's key, and nothing else: no checks,
no pacing, no store, no metrics, no log. It is the floor a proxy cannot go below.
Both run on uvloop, the loop `smsproxy serve` runs on, so the ratios compare like with like.
"""

from __future__ import annotations

import argparse
import asyncio

import aiohttp
from aiohttp import web


def hello() -> web.Application:
    async def answer(_request: web.Request) -> web.Response:
        return web.Response(text="STATUS_OK:123456")

    app = web.Application()
    app.router.add_get("/stubs/handler_api.php", answer)
    return app


def forwarder(upstream: str) -> web.Application:
    session: dict[str, aiohttp.ClientSession] = {}

    async def open_session(_app: web.Application) -> None:
        session["s"] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200))

    async def close_session(_app: web.Application) -> None:
        await session["s"].close()

    async def balance(request: web.Request) -> web.Response:
        key = request.query.get("api_key", "")
        async with session["s"].get(upstream + "/api/v1/balance", headers={"Auth": key}) as r:
            body = await r.json()
        return web.Response(text=f"ACCESS_BALANCE:{body['balance']}")

    app = web.Application()
    app.router.add_get("/stubs/handler_api.php", balance)
    app.on_startup.append(open_session)
    app.on_cleanup.append(close_session)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--forward")
    args = parser.parse_args()
    app = forwarder(args.forward) if args.forward else hello()

    async def run() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", args.port).start()
        print("reference ready", flush=True)
        await asyncio.Event().wait()

    import uvloop

    uvloop.run(run())  # the proxy's own loop: the reference must not be slower by its loop


if __name__ == "__main__":
    main()
