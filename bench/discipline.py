"""Upstream discipline, measured side by side in one run (issue 4).

    .venv/bin/python bench/discipline.py [--quick]

Scenarios: a polling crowd (straight at the sandbox vs through the proxy, with and
without webhooks), a purchase burst through the pacer, and a price storm. The sandbox and
the proxy run as separate processes on loopback; this script only plays the clients.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import aiohttp

from _harness import control, proxy, sandbox, table

from proxy.service.identity import key_webhook_path

HANDLER = "/stubs/handler_api.php"
FINGERPRINT = b"bench-fingerprint"  # the proxy's key secret, so webhook URLs can be made


async def rent_fleet(http: aiohttp.ClientSession, base: str, sandbox_url: str,
                     n: int) -> list[tuple[str, str, str]]:
    """One account per activation (a fleet of tools), so renting is not the bottleneck."""
    fleet = []
    for i in range(n):
        key = f"sk_bench_{i:03d}"
        await control(http, sandbox_url, "POST", "/accounts", {"api_key": key, "balance": 10})
        async with http.get(base + HANDLER, params={"api_key": key, "action": "getNumber",
                                                    "service": "whatsapp"}) as r:
            _, activation_id, phone = (await r.text()).split(":")
        fleet.append((key, activation_id, phone[1:]))
    return fleet


async def polling_crowd(mode: str, activations: int, clients: int, sms_after: float,
                        interval: float) -> dict[str, Any]:
    async with sandbox() as sb, aiohttp.ClientSession() as http:
        settings: dict[str, Any] = {"poll_interval_seconds": 2.0}
        if mode == "proxy + webhooks":
            settings["webhook_secret"] = "bench-secret"
            settings["secret"] = FINGERPRINT.decode()
        if mode == "direct":
            return await _crowd(http, sb, sb, None, activations, clients, sms_after, interval)
        async with proxy(sb, **settings) as px:
            return await _crowd(http, sb, px, settings.get("webhook_secret"), activations,
                                clients, sms_after, interval)


async def _crowd(http: aiohttp.ClientSession, sb: str, base: str, secret: str | None,
                 activations: int, clients: int, sms_after: float,
                 interval: float) -> dict[str, Any]:
    fleet = await rent_fleet(http, base, sb, activations)
    if secret:
        for key, _, _ in fleet:
            await control(http, sb, "POST", "/accounts",
                          {"api_key": key,
                           "webhook_url": base + key_webhook_path(secret, FINGERPRINT, key)})
    before = (await control(http, sb, "GET", "/stats"))["by_endpoint"]
    seen: dict[tuple[int, int], str] = {}
    polls = 0

    async def client(a: int, c: int) -> None:
        nonlocal polls
        key, activation_id, _ = fleet[a]
        while (a, c) not in seen:
            async with http.get(base + HANDLER, params={"api_key": key, "action": "getStatus",
                                                        "id": activation_id}) as r:
                answer = await r.text()
            polls += 1
            if answer.startswith("STATUS_OK:"):
                seen[(a, c)] = answer
                return
            await asyncio.sleep(interval)

    async def deliver() -> None:
        await asyncio.sleep(sms_after)
        for i, (_, _, number) in enumerate(fleet):
            await control(http, sb, "POST", "/sms", {"number": number, "code": f"{100000 + i}"})

    started = time.monotonic()
    await asyncio.gather(deliver(), *(client(a, c) for a in range(activations)
                                      for c in range(clients)))
    after = await control(http, sb, "GET", "/stats")
    upstream_polls = polls if base == sb else (
        after["by_endpoint"].get("rental-status", 0) - before.get("rental-status", 0))
    correct = sum(1 for (a, _), answer in seen.items()
                  if answer == f"STATUS_OK:{100000 + a}")
    return {"client_polls": polls, "upstream_status_calls": upstream_polls,
            "per_activation": upstream_polls / activations, "codes_seen": correct,
            "expected": activations * clients, "429s": after["throttled"],
            "seconds": time.monotonic() - started}


async def purchase_burst(n: int, fault: dict[str, Any] | None = None) -> dict[str, Any]:
    """`fault`: the sandbox's latency on rent-a-number (answer delay, inbound jitter)."""
    async with sandbox() as sb, aiohttp.ClientSession() as http, \
            proxy(sb, pacing_max_wait_seconds=120) as px:
        await control(http, sb, "POST", "/accounts", {"api_key": "sk_sandbox_demo",
                                                      "balance": 1000, "max_active_rentals": n})
        if fault:
            await control(http, sb, "POST", "/faults", {"endpoint": "rent-a-number", **fault})
        await control(http, sb, "PUT", "/services", [{"api_name": "whatsapp", "price": 0.55,
                                                      "stock": n * 2, "ttl": 20}])
        started = time.monotonic()

        async def buy() -> str:
            async with http.get(px + HANDLER, params={"api_key": "sk_sandbox_demo",
                                                      "action": "getNumber",
                                                      "service": "wa"}) as r:
                return await r.text()

        answers = await asyncio.gather(*(buy() for _ in range(n)))
        elapsed = time.monotonic() - started
        stats = await control(http, sb, "GET", "/stats")
    # when the vendor counted each one (after any inbound delay): what its limit judges
    times = sorted(e["time"] for e in stats["counted"] if e["group"] == "rent")
    window = max(sum(1 for u in times if t <= u < t + 1.0) for t in times)
    rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    return {"requests": n, "upstream_rents": len(times), "max_in_1s": window,
            "rate_per_s": rate, "429s": stats["throttled"],
            "client_errors": sum(1 for a in answers if not a.startswith("ACCESS_NUMBER")),
            "seconds": elapsed}


async def price_storm(n: int, seconds: float) -> dict[str, Any]:
    async with sandbox() as sb, aiohttp.ClientSession() as http, proxy(sb) as px:
        params = {"api_key": "sk_sandbox_demo", "action": "getPrices", "service": "wa"}

        async def ask(delay: float) -> int:
            await asyncio.sleep(delay)
            async with http.get(px + HANDLER, params=params) as r:
                await r.read()
                return r.status

        started = time.monotonic()
        statuses = await asyncio.gather(*(ask(i * seconds / n) for i in range(n)))
        elapsed = time.monotonic() - started
        stats = await control(http, sb, "GET", "/stats")
    return {"requests": n, "ok": statuses.count(200), "seconds": elapsed,
            "upstream_prices_info": stats["by_endpoint"].get("prices-info", 0)}


async def main(quick: bool) -> None:
    activations, clients, sms_after = (10, 4, 5.0) if quick else (50, 4, 20.0)
    burst, storm = (20, 200) if quick else (100, 1000)
    crowd = {mode: await polling_crowd(mode, activations, clients, sms_after, 0.5)
             for mode in ("direct", "proxy", "proxy + webhooks")}
    direct = crowd["direct"]["upstream_status_calls"]
    rows = [[mode, r["client_polls"], r["upstream_status_calls"], f"{r['per_activation']:.1f}",
             f"{100 * (1 - r['upstream_status_calls'] / direct):.1f}%",
             f"{r['codes_seen']}/{r['expected']}", r["429s"]] for mode, r in crowd.items()]
    print(table(f"Polling crowd: {activations} activations x {clients} clients every 0.5 s, "
                f"SMS after {sms_after:.0f} s",
                ["mode", "client polls", "upstream status calls", "per activation",
                 "saved vs direct", "codes seen", "429s"], rows))
    latency_burst = 20 if quick else 60
    cases = [
        (f"{burst} at loopback latency", burst, None),
        (f"{latency_burst}, answers 300 ms late", latency_burst, {"answer_delay_ms": 300}),
        (f"{latency_burst}, 300 ms + 0-200 ms inbound jitter", latency_burst,
         {"answer_delay_ms": 300, "jitter_ms": 200}),
    ]
    bursts = [(name, await purchase_burst(n, fault)) for name, n, fault in cases]
    print()
    print(table("Purchase bursts: concurrent getNumber (vendor limit 2/s, counted at arrival)",
                ["burst", "upstream rents", "max in any 1 s", "achieved rate/s", "429s",
                 "client errors", "seconds"],
                [[name, b["upstream_rents"], b["max_in_1s"], f"{b['rate_per_s']:.2f}",
                  b["429s"], b["client_errors"], f"{b['seconds']:.1f}"] for name, b in bursts]))
    s = await price_storm(storm, 10.0)
    print()
    print(table(f"Price storm: {storm} getPrices in 10 s (offers TTL 60 s)",
                ["requests", "ok", "upstream prices-info calls", "seconds"],
                [[s["requests"], s["ok"], s["upstream_prices_info"], f"{s['seconds']:.1f}"]]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smaller run (smoke test)")
    asyncio.run(main(parser.parse_args().quick))
