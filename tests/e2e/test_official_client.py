"""The official SMS-Activate Python module, unmodified but for its URL, against the proxy."""

from __future__ import annotations

import asyncio
from typing import Any

from smsactivate.api import SMSActivateAPI

from .conftest import World


def client(world: World, key: str = "sk_sandbox_demo") -> SMSActivateAPI:
    sa = SMSActivateAPI(key)
    # the module keeps its URL in a private attribute; pointing it elsewhere is the only change
    sa._SMSActivateAPI__api_url = world.proxy + "/stubs/handler_api.php"  # type: ignore[attr-defined]
    return sa


async def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """The module is synchronous (requests): run it beside the servers' event loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)


async def test_official_module_full_flow(world: World) -> None:
    sa = client(world)
    assert await call(sa.getBalance) == {"balance": "100.00"}

    number = await call(sa.getNumber, service="wa", country=187)
    assert set(number) == {"activation_id", "phone"}
    activation_id, phone = number["activation_id"], number["phone"]
    assert isinstance(activation_id, int) and isinstance(phone, int)
    assert str(phone).startswith("1") and len(str(phone)) == 11

    assert await call(sa.getStatus, id=activation_id) == "STATUS_WAIT_CODE"
    await world.sms(str(phone)[1:], "246810")
    await world.tick(1)
    assert await call(sa.getStatus, id=activation_id) == "STATUS_OK:246810"
    assert await call(sa.setStatus, id=activation_id, status=6) == "ACCESS_ACTIVATION"

    second = await call(sa.getNumber, service="tg", country=187)
    await world.tick(61)
    assert await call(sa.setStatus, id=second["activation_id"], status=8) == "ACCESS_CANCEL"

    prices = await call(sa.getPrices, service="wa", country=187)
    assert prices == {"187": {"wa": {"cost": 0.55, "count": 65, "physicalCount": 65}}}
    assert await call(sa.getBalance) == {"balance": "99.45"}


async def test_official_module_reads_errors(world: World) -> None:
    await world.control("PUT", "/services", [{"api_name": "whatsapp", "price": 0.55, "stock": 0}])
    sa = client(world)
    assert await call(sa.getNumber, service="wa", country=187) == {
        "error": "NO_NUMBERS",
        "message": "There are no free numbers for receiving SMS from the current service",
    }
    assert (await call(client(world, "sk_bad").getBalance))["error"] == "BAD_KEY"
