"""The sandbox's catalogue through its control API: read it, change one service and
leave the rest, add one; a bad field is refused with what is wrong."""

from __future__ import annotations

from .conftest import Sandbox


async def test_the_catalogue_is_read_and_one_service_changed(sandbox: Sandbox) -> None:
    before = {s["api_name"]: s for s in (await sandbox.control("GET", "/services"))["services"]}
    assert before["whatsapp"]["price"] == "0.55" and before["whatsapp"]["stock"] > 0
    changed = await sandbox.control("PATCH", "/services/whatsapp", {"stock": 0})
    assert (changed["stock"], changed["price"]) == (0, "0.55")
    after = {s["api_name"]: s for s in (await sandbox.control("GET", "/services"))["services"]}
    assert after["whatsapp"]["stock"] == 0
    assert {k: v for k, v in after.items() if k != "whatsapp"} == {
        k: v for k, v in before.items() if k != "whatsapp"
    }
    sold_out = await sandbox.post("/rent-a-number", {"service": "whatsapp"})
    assert (sold_out.status_code, sold_out.json()["errors"]) == (400, "Service is out of stock")
    telegram = await sandbox.post("/rent-a-number", {"service": "telegram"})
    assert telegram.status_code == 201  # the others sell as before


async def test_a_new_service_is_added_and_a_bad_field_named(sandbox: Sandbox) -> None:
    added = await sandbox.control("PATCH", "/services/example", {"price": "1.25"})
    assert (added["service_name"], added["price"], added["stock"]) == ("Example", "1.25", 100)
    refused = await sandbox.http.patch(
        sandbox.base + "/_sandbox/services/whatsapp", json={"price": "cheap"}
    )
    assert refused.status_code == 400
    assert "bad service fields" in refused.text
