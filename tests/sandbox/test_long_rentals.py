"""Number long rentals, service long rentals and auctions: shapes, pricing, lifecycle."""

from __future__ import annotations

from .conftest import Sandbox

SLR = "/service-long-rentals"


async def test_long_rental_prices(sandbox: Sandbox) -> None:
    r = await sandbox.get("/long-rentals/prices")
    data = r.json()
    assert r.status_code == 200
    assert data["status"] == "success" and data["errors"] is None
    assert data["prices"] == {"1w": 10.99, "2w": 12.99, "1m": 14.99, "1y": 99.99}
    assert data["stock"] == 300


async def test_long_rental_create_list_update_messages(sandbox: Sandbox) -> None:
    r = await sandbox.post("/long-rentals", {"auto_renew": True, "rental_time": "1w"})
    assert r.status_code == 200, r.text
    created = r.json()
    lr = created["long_rental"]
    assert created["status"] == "success" and created["errors"] == "null"
    assert list(lr) == [
        "id",
        "number",
        "end_time",
        "rented_at",
        "price",
        "status",
        "period",
        "auto_renew",
    ]
    assert (lr["price"], lr["status"], lr["period"], lr["auto_renew"]) == (
        "10.99",
        "Active",
        "1 Week",
        True,
    )
    assert (lr["rented_at"], lr["end_time"]) == ("2026-01-05", "2026-01-12")
    assert await sandbox.balance() == "89.01"

    listed = (await sandbox.get("/long-rentals")).json()
    assert listed == {"status": "success", "long_rentals": [lr], "errors": "null"}

    await sandbox.control(
        "POST", "/sms", {"number": lr["number"], "text": "Code 4242", "sender": "7777"}
    )
    msgs = (await sandbox.get(f"/long-rentals/{lr['id']}/messages")).json()
    assert msgs == {
        "status": "success",
        "errors": "null",
        "messages": [
            {
                "message": "Code 4242",
                "number": lr["number"],
                "rented_at": "2026-01-05T12:00:00+00:00",
                "sender": "7777",
            }
        ],
    }

    renewed = await sandbox.post(f"/long-rentals/{lr['id']}/update", {"action": "renew"})
    assert renewed.json()["long_rental"]["end_time"] == "2026-01-19"
    assert await sandbox.balance() == "78.02"
    off = await sandbox.post(
        f"/long-rentals/{lr['id']}/update", {"action": "auto_renew", "auto_renew": False}
    )
    assert off.json()["long_rental"]["auto_renew"] is False
    cancelled = await sandbox.post(f"/long-rentals/{lr['id']}/update", {"action": "cancel"})
    assert cancelled.json()["long_rental"]["status"] == "Cancelled"
    bad = await sandbox.post(f"/long-rentals/{lr['id']}/update", {"action": "explode"})
    assert (bad.status_code, bad.json()) == (
        422,
        {"errors": "Invalid action. Allowed values: renew, cancel, auto_renew"},
    )


async def test_long_rental_area_code_surcharge(sandbox: Sandbox) -> None:
    r = await sandbox.post("/long-rentals", {"rental_time": "1m", "area_codes": ["305", "786"]})
    lr = r.json()["long_rental"]
    assert lr["price"] == "17.99"  # 14.99 x 1.2
    assert lr["number"][:3] in ("305", "786")


async def test_long_rental_auto_renews_at_end(sandbox: Sandbox) -> None:
    r = await sandbox.post("/long-rentals", {"rental_time": "1w", "auto_renew": True})
    rid = r.json()["long_rental"]["id"]
    await sandbox.tick(7 * 86400)
    listed = (await sandbox.get("/long-rentals")).json()["long_rentals"]
    assert listed[0]["status"] == "Active" and listed[0]["end_time"] == "2026-01-19"
    assert await sandbox.balance() == "78.02"
    await sandbox.post(f"/long-rentals/{rid}/update", {"action": "auto_renew", "auto_renew": False})
    await sandbox.tick(7 * 86400)
    assert (await sandbox.get("/long-rentals")).json()["long_rentals"][0]["status"] == "Expired"


async def test_service_long_rental_flow(sandbox: Sandbox) -> None:
    prices = (await sandbox.get(f"{SLR}/prices")).json()
    wa = next(p for p in prices["service_long_rental_prices"] if p["api_name"] == "whatsapp")
    assert wa == {
        "service_name": "Whatsapp",
        "api_name": "whatsapp",
        "prices": [
            {"period": "1d", "cost": "1.65"},
            {"period": "3d", "cost": "3.30"},
            {"period": "7d", "cost": "5.50"},
            {"period": "14d", "cost": "9.90"},
            {"period": "30d", "cost": "16.50"},
        ],
    }

    r = await sandbox.post(
        SLR,
        {
            "service": "whatsapp",
            "period": "7d",
            "auto_renew": True,
            "area_codes": "212,646",
            "lock_area_code": True,
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    slr = body["service_long_rental"]
    assert body["message"] == "Service long rental created successfully."
    assert slr["number"][:3] in ("212", "646")
    assert (slr["cost"], slr["period"], slr["status"]) == ("5.50", "7 Days", "Active")
    assert (slr["rented_at"], slr["end_time"]) == ("2026-01-05", "2026-01-12")
    number = slr["number"]

    listed = (await sandbox.get(SLR)).json()
    assert listed == {"status": "success", "service_long_rentals": [slr], "errors": None}

    auto = await sandbox.post(f"{SLR}/{number}/auto-renew", {"auto_renew": False})
    assert auto.json()["message"] == "Service long rental auto-renew updated successfully."
    assert auto.json()["service_long_rental"]["auto_renew"] is False

    renew = await sandbox.post(f"{SLR}/{number}/renew", {"service": "whatsapp"})
    assert renew.json()["service_long_rental"]["end_time"] == "2026-01-19"
    assert await sandbox.balance() == "89.00"

    await sandbox.control(
        "POST", "/sms", {"number": number, "text": "Your Whatsapp code is 123456"}
    )
    msgs = (await sandbox.get(f"{SLR}/{number}/messages", params={"service": "whatsapp"})).json()
    assert msgs == {
        "status": "success",
        "errors": None,
        "messages": [
            {
                "message": "Your Whatsapp code is 123456",
                "sender": "8888",
                "received_at": "2026-01-05T12:00:00+00:00",
                "number": number,
                "service_name": "Whatsapp",
            }
        ],
    }
    cannot = await sandbox.post(f"{SLR}/{number}/cancel", {})
    assert cannot.status_code == 422


async def test_service_long_rental_cancel_refunds(sandbox: Sandbox) -> None:
    r = await sandbox.post(SLR, {"service": "telegram", "period": "1d"})
    number = r.json()["service_long_rental"]["number"]
    assert await sandbox.balance() == "98.65"
    c = await sandbox.post(f"{SLR}/{number}/cancel", {"service": "telegram"})
    assert c.status_code == 200
    assert c.json()["message"] == "Service long rental cancelled successfully."
    assert c.json()["service_long_rental"]["status"] == "Cancelled"
    assert await sandbox.balance() == "100.00"


async def test_auctions(sandbox: Sandbox) -> None:
    listed = (await sandbox.get("/auctions")).json()
    assert listed["status"] == "success"
    assert listed["auctions"][0] == {
        "id": 1,
        "service_name": "Whatsapp",
        "current_bid": "0.55",
        "end_time": "2026-01-06 12:00:00",
        "amount": 100,
    }
    r = await sandbox.post("/auctions/2/bid", {"bid_amount": 0.60})
    assert (r.status_code, r.json()) == (
        200,
        {"status": "success", "message": "Bid placed successfully.", "new_current_bid": "0.60"},
    )
    await sandbox.tick(86400)
    assert (await sandbox.get("/auctions")).json()["auctions"] == []
