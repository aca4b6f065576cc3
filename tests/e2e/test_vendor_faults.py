"""Vendor faults become protocol tokens; a purchase with an unknown outcome is not retried."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import World, start_world


async def set_fault(world: World, endpoint: str, **rule: Any) -> None:
    await world.control("POST", "/faults", {"endpoint": endpoint, **rule})


@pytest.mark.parametrize(
    ("rule", "token"),
    [
        ({"error_rate": 1, "error_status": 502}, "ERROR_SQL"),
        ({"error_rate": 1, "error_status": 503}, "ERROR_SQL"),
        ({"malformed_rate": 1}, "ERROR_SQL"),
        ({"reset_rate": 1}, "ERROR_SQL"),
    ],
)
async def test_balance_faults(world: World, rule: dict[str, Any], token: str) -> None:
    await set_fault(world, "balance", **rule)
    assert await world.text(action="getBalance") == token


@pytest.mark.parametrize("rule", [{"reset_rate": 1}, {"malformed_rate": 1}])
async def test_unknown_purchase_outcome_is_not_retried(world: World, rule: dict[str, Any]) -> None:
    await set_fault(world, "rent-a-number", **rule)
    assert await world.text(action="getNumber", service="wa") == "ERROR_SQL"
    stats = await world.stats()
    assert stats["by_endpoint"]["rent-a-number"] == 1  # sent once, never again
    # the vendor did act: the money is gone, which is why a blind retry would double-buy
    await world.control("DELETE", "/faults")
    assert await world.text(action="getBalance") == "ACCESS_BALANCE:99.45"


@pytest.fixture
async def impatient(tmp_path: Path) -> Any:
    """A proxy whose purchase timeout is short, to meet the sandbox's timeout fault."""
    async for w in start_world(tmp_path, purchase_timeout_seconds=0.3):
        yield w


async def test_timeout_on_purchase_is_outcome_unknown(impatient: World) -> None:
    await set_fault(impatient, "rent-a-number", timeout_rate=1, timeout_seconds=5)
    assert await impatient.text(action="getNumber", service="wa") == "ERROR_SQL"
    assert (await impatient.stats())["by_endpoint"]["rent-a-number"] == 1


async def test_status_poll_failure_answers_from_the_store(world: World) -> None:
    activation_id, number = await world.rent()
    await world.sms(number, "424242")
    await world.tick(1)
    assert await world.text(action="getStatus", id=activation_id) == "STATUS_OK:424242"
    await set_fault(world, "rental-status", error_rate=1, error_status=500)
    await world.tick(5)
    assert await world.text(action="getStatus", id=activation_id) == "STATUS_OK:424242"


async def test_maintenance_on_every_action(world: World) -> None:
    await world.control("POST", "/maintenance", {"on": True})
    assert await world.text(action="getBalance") == "ERROR_SQL"
    assert await world.text(action="getNumber", service="wa") == "ERROR_SQL"
    assert await world.gat(action="getNumber", service="whatsapp") == "MAINTENANCE"
    assert await world.gat(action="getBalance") == "MAINTENANCE"


async def test_unreachable_vendor(tmp_path: Path) -> None:
    async for w in start_world(tmp_path, upstream_url="http://127.0.0.1:9"):
        assert await w.text(action="getBalance") == "ERROR_SQL"
        assert await w.text(action="getNumber", service="wa") == "ERROR_SQL"
