"""Short rentals over real sockets: shapes, pricing, lifecycle, limits."""

from __future__ import annotations

import pytest

from .conftest import DEMO, Sandbox


async def test_rent_a_number_success_shape(sandbox: Sandbox) -> None:
    r = await sandbox.post("/rent-a-number", {"service": "whatsapp"})
    assert r.status_code == 201
    data = r.json()
    assert list(data) == [
        "id",
        "status",
        "message",
        "errors",
        "end_time",
        "number",
        "service_name",
        "price",
        "new_balance",
    ]
    assert data["status"] == "success" and data["message"] == "Number rented successfully."
    assert data["errors"] is None
    assert data["service_name"] == "Whatsapp"
    assert data["price"] == "0.55" and data["new_balance"] == "99.45"
    assert len(data["number"]) == 10 and data["number"].isdigit()
    assert data["end_time"] == "2026-01-05 12:20:00"  # frozen start + ttl 20 min


@pytest.mark.parametrize(
    ("extra", "price"),
    [
        ({}, "0.55"),
        ({"carrier": "at&t"}, "0.66"),
        ({"area_codes": "212,646"}, "0.66"),
        ({"carrier": "tmobile", "area_codes": "305"}, "0.77"),
        (
            {
                "carrier": "verizon",
                "keep_carrier": True,
                "area_codes": "718",
                "lock_area_code": True,
            },
            "0.77",
        ),
    ],
)
async def test_random_number_pricing(
    sandbox: Sandbox, extra: dict[str, object], price: str
) -> None:
    data = await sandbox.rent(**extra)
    assert data["price"] == price
    assert data["new_balance"] == f"{100 - float(price):.2f}"


async def test_strict_filters_are_honoured(sandbox: Sandbox) -> None:
    data = await sandbox.rent(
        carrier="verizon", keep_carrier=True, area_codes="718", lock_area_code=True
    )
    assert data["number"].startswith("718")


async def test_rent_specific_number_new_and_returning(sandbox: Sandbox) -> None:
    first = await sandbox.rent()
    number = first["number"]
    await sandbox.sms(first["id"], "111111")
    await sandbox.post("/rental-status", {"id": first["id"]})  # viewed
    done = await sandbox.post(f"/rental-status/{first['id']}/completed")
    assert done.status_code == 200

    r = await sandbox.post("/rent-specific-number", {"number": number, "service": "whatsapp"})
    assert r.status_code == 201, r.text
    data = r.json()
    # returning customer: (0.55 / 2) x 1.2 = 0.33
    assert data["price"] == 0.33 and data["returning_customer"] is True
    assert data["country"] == "usa"
    assert isinstance(data["new_balance"], float)
    assert data["new_balance"] == pytest.approx(100 - 0.55 - 0.33)

    other = next(n for n in ("2125550000",) if n)  # a number outside the pool
    r = await sandbox.post("/rent-specific-number", {"number": other, "service": "whatsapp"})
    assert r.status_code == 404


async def test_rent_specific_new_number_costs_base_times_1_2(sandbox: Sandbox) -> None:
    probe = await sandbox.rent(service="telegram")  # learn a pool number
    await sandbox.tick(61)
    await sandbox.post("/cancel-rental", {"id": probe["id"]})
    await sandbox.tick(1)
    r = await sandbox.post(
        "/rent-specific-number", {"number": probe["number"], "service": "whatsapp"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["price"] == 0.66 and r.json()["returning_customer"] is False


async def test_specific_number_max_price_is_compared_with_final_price(sandbox: Sandbox) -> None:
    probe = await sandbox.rent(service="telegram")
    r = await sandbox.post(
        "/rent-specific-number",
        {"number": probe["number"], "service": "whatsapp", "max_price": 0.60},
    )
    assert r.status_code == 400
    assert r.json() == {
        "errors": "The price of the service exceeds the maximum price you are "
        "willing to pay, actual price is: 0.66"
    }


async def test_max_price_uses_final_price_with_surcharge(sandbox: Sandbox) -> None:
    r = await sandbox.post(
        "/rent-a-number", {"service": "whatsapp", "carrier": "at&t", "max_price": 0.60}
    )
    assert r.status_code == 400
    assert r.json()["errors"].endswith("actual price is: 0.66")
    assert await sandbox.balance() == "100.00"


async def test_rent_multiple_services(sandbox: Sandbox) -> None:
    r = await sandbox.post("/rent-multiple-services", {"services": "whatsapp,telegram,instagram"})
    assert r.status_code == 201, r.text
    data = r.json()
    assert data["status"] == "success"
    assert [x["service_name"] for x in data["rentals"]] == ["Whatsapp", "Telegram", "Instagram"]
    assert len({x["number"] for x in data["rentals"]}) == 1
    assert data["total_cost"] == "1.50" and data["new_balance"] == "98.50"
    assert "new_balance" not in data["rentals"][0]


async def test_failed_combination_is_remembered_5_to_15_minutes(sandbox: Sandbox) -> None:
    await sandbox.control(
        "PUT",
        "/services",
        [
            {
                "api_name": "whatsapp",
                "service_name": "Whatsapp",
                "price": 0.55,
                "stock": 5,
                "ttl": 20,
                "multiple_sms": True,
            },
            {
                "api_name": "telegram",
                "service_name": "Telegram",
                "price": 0.45,
                "stock": 0,
                "ttl": 20,
                "multiple_sms": False,
            },
        ],
    )
    body = {"services": "whatsapp,telegram"}
    first = await sandbox.post("/rent-multiple-services", body)
    assert (first.status_code, first.json()["errors"]) == (
        400,
        "No number is available for all the requested services",
    )
    # Stock comes back, but the combination keeps failing at once while remembered.
    await sandbox.control(
        "PUT",
        "/services",
        [
            {"api_name": "whatsapp", "price": 0.55, "stock": 5},
            {"api_name": "telegram", "price": 0.45, "stock": 5},
        ],
    )
    await sandbox.tick(299)
    again = await sandbox.post("/rent-multiple-services", body)
    assert again.json()["errors"] == (
        "This combination of services failed recently. Please try again later"
    )
    # A different combination is not affected.
    await sandbox.tick(1)
    other = await sandbox.post("/rent-multiple-services", {"services": "whatsapp"})
    assert other.status_code == 201
    await sandbox.tick(15 * 60)
    later = await sandbox.post("/rent-multiple-services", body)
    assert later.status_code == 201, later.text


async def test_rate_limits_answer_429_at_documented_rates(sandbox: Sandbox) -> None:
    codes = [
        (await sandbox.post("/rent-a-number", {"service": "tiktok"})).status_code for _ in range(2)
    ]
    specific = await sandbox.post(
        "/rent-specific-number", {"number": "0000000000", "service": "tiktok"}
    )
    assert codes == [201, 201]
    assert specific.status_code == 429  # shares the rent group
    assert specific.json() == {"errors": "Rental error, number is already taken. Please try again"}
    assert specific.headers["Retry-After"] == "1"

    multi = [
        (await sandbox.post("/rent-multiple-services", {"services": "uber"})).status_code
        for _ in range(2)
    ]
    assert multi == [201, 429]

    cancels = [(await sandbox.post("/cancel-rental", {"id": 1})).status_code for _ in range(2)]
    assert cancels == [404, 429]
    assert (await sandbox.post("/cancel-rental", {"id": 1})).json() == {
        "errors": "Too Many Attempts."
    }

    await sandbox.tick(1)
    assert (await sandbox.post("/rent-a-number", {"service": "tiktok"})).status_code == 201
    stats = await sandbox.control("GET", "/stats")
    assert stats["throttled"] == 4


async def test_rate_limits_are_per_account(sandbox: Sandbox) -> None:
    await sandbox.account(api_key="sk_other", balance=10)
    for _ in range(2):
        assert (await sandbox.post("/rent-a-number", {"service": "uber"})).status_code == 201
    r = await sandbox.post("/rent-a-number", {"service": "uber"}, key="sk_other")
    assert r.status_code == 201


async def test_cancel_lock_and_refund(sandbox: Sandbox) -> None:
    rental = await sandbox.rent()
    early = await sandbox.post("/cancel-rental", {"id": rental["id"]})
    assert (early.status_code, early.json()) == (
        400,
        {"errors": "You must wait 1 minute before cancelling the rental"},
    )
    await sandbox.tick(59)
    r = await sandbox.post("/cancel-rental", {"id": rental["id"]})
    assert r.status_code == 200, r.text
    data = r.json()
    assert list(data) == [
        "id",
        "status",
        "code",
        "errors",
        "end_time",
        "number",
        "service_name",
        "cost",
        "balance",
    ]
    assert data["status"] == "cancelled" and data["code"] is None
    assert data["cost"] == "0.55" and data["balance"] == "100.00"


async def test_cancel_after_code_is_refused(sandbox: Sandbox) -> None:
    rental = await sandbox.rent()
    await sandbox.sms(rental["id"])
    await sandbox.tick(120)
    r = await sandbox.post("/cancel-rental", {"id": rental["id"]})
    assert (r.status_code, r.json()) == (400, {"errors": "Rental cannot be cancelled"})


async def test_lifecycle_waiting_received_viewed_completed(sandbox: Sandbox) -> None:
    rental = await sandbox.rent()
    rid = rental["id"]
    waiting = (await sandbox.post("/rental-status", {"id": rid})).json()
    assert (waiting["status"], waiting["code"]) == ("active", None)
    early = await sandbox.post(f"/rental-status/{rid}/completed")
    assert (early.status_code, early.json()) == (
        400,
        {"errors": "Rental cannot be completed before its code is viewed"},
    )

    await sandbox.sms(rid, "654321")
    viewed = (await sandbox.post("/rental-status", {"id": rid})).json()
    assert (viewed["status"], viewed["code"]) == ("viewed", "654321")
    assert viewed["balance"] == "99.45"

    done = await sandbox.post(f"/rental-status/{rid}/completed")
    assert done.status_code == 200
    assert done.json() == {
        "status": "success",
        "message": "Rental marked as completed successfully.",
        "errors": "null",
        "rental": {
            "id": rid,
            "end_time": rental["end_time"],
            "number": rental["number"],
            "service_name": "Whatsapp",
            "price": "0.55",
            "new_balance": "99.45",
        },
    }
    final = (await sandbox.post("/rental-status", {"id": rid})).json()
    assert final["status"] == "completed"


async def test_multiple_sms_on_one_rental(sandbox: Sandbox) -> None:
    multi = await sandbox.rent(service="whatsapp")  # multiple_sms
    single = await sandbox.rent(service="telegram")  # not multiple_sms
    await sandbox.sms(multi["id"], "111111")
    await sandbox.sms(multi["id"], "222222")
    assert (await sandbox.post("/rental-status", {"id": multi["id"]})).json()["code"] == "222222"
    await sandbox.sms(single["id"], "333333")
    r = await sandbox.http.post(
        sandbox.base + "/_sandbox/sms", json={"rental_id": single["id"], "code": "444444"}
    )
    assert r.status_code == 409
    assert (await sandbox.post("/rental-status", {"id": single["id"]})).json()["code"] == "333333"


async def test_expiry_refunds_without_code_and_keeps_money_with_code(sandbox: Sandbox) -> None:
    silent = await sandbox.rent()
    answered = await sandbox.rent(service="telegram")
    await sandbox.sms(answered["id"], "777777")
    assert await sandbox.balance() == "99.00"
    await sandbox.tick(20 * 60)
    assert (await sandbox.post("/rental-status", {"id": silent["id"]})).json()[
        "status"
    ] == "expired"
    assert (await sandbox.post("/rental-status", {"id": answered["id"]})).json()[
        "status"
    ] == "completed"
    assert await sandbox.balance() == "99.55"


async def test_re_rent(sandbox: Sandbox) -> None:
    original = await sandbox.rent()
    active = await sandbox.post("/re-rent", {"rental_id": original["id"]})
    assert (active.status_code, active.json()) == (400, {"errors": "Rental is still active"})
    await sandbox.tick(61)
    await sandbox.post("/cancel-rental", {"id": original["id"]})
    r = await sandbox.post("/re-rent", {"rental_id": original["id"]})
    assert r.status_code == 201, r.text
    data = r.json()
    assert data["number"] == original["number"] and data["price"] == "0.55"
    assert data["id"] != original["id"]

    # after a completed rental of the pair, the re-rent costs half
    await sandbox.sms(data["id"])
    await sandbox.post("/rental-status", {"id": data["id"]})
    await sandbox.post(f"/rental-status/{data['id']}/completed")
    half = await sandbox.post("/re-rent", {"rental_id": data["id"]})
    assert half.status_code == 201 and half.json()["price"] == "0.28"


async def test_generic_service_cannot_be_re_rented(sandbox: Sandbox) -> None:
    rental = await sandbox.rent(service="generic")
    await sandbox.tick(61)
    await sandbox.post("/cancel-rental", {"id": rental["id"]})
    r = await sandbox.post("/re-rent", {"rental_id": rental["id"]})
    assert (r.status_code, r.json()) == (400, {"errors": "This service cannot be re-rented"})


async def test_rentals_are_private_to_their_owner(sandbox: Sandbox) -> None:
    await sandbox.account(api_key="sk_other", balance=10)
    rental = await sandbox.rent()
    r = await sandbox.post("/rental-status", {"id": rental["id"]}, key="sk_other")
    assert (r.status_code, r.json()) == (404, {"errors": "Rental not found"})


async def test_prices_info_is_a_list_of_services(sandbox: Sandbox) -> None:
    r = await sandbox.get("/prices-info")
    assert r.status_code == 200
    rows = r.json()
    assert isinstance(rows, list) and len(rows) >= 10
    wa = next(x for x in rows if x["api_name"] == "whatsapp")
    assert wa == {
        "service_name": "Whatsapp",
        "api_name": "whatsapp",
        "multiple_sms": "true",
        "price": "0.55",
        "ttl": 20,
        "stock": 66,
    }
    names = {x["api_name"] for x in rows}
    assert {
        "whatsapp",
        "telegram",
        "instagram",
        "google",
        "facebook",
        "twitter",
        "discord",
        "tiktok",
        "uber",
        "amazon",
    } <= names


async def test_stock_moves_with_rentals(sandbox: Sandbox) -> None:
    rental = await sandbox.rent()

    async def stock() -> int:
        rows = (await sandbox.get("/prices-info")).json()
        return int(next(x for x in rows if x["api_name"] == "whatsapp")["stock"])

    assert await stock() == 65
    await sandbox.tick(61)
    await sandbox.post("/cancel-rental", {"id": rental["id"]})
    assert await stock() == 66


async def test_balance_shape(sandbox: Sandbox) -> None:
    r = await sandbox.get("/balance")
    assert (r.status_code, r.json()) == (
        200,
        {"status": "success", "balance": "100.00", "errors": "null"},
    )


async def test_demo_account_key_is_fingerprinted_in_stats(sandbox: Sandbox) -> None:
    await sandbox.get("/balance")
    stats = await sandbox.control("GET", "/stats")
    assert DEMO not in str(stats)
    assert stats["by_endpoint"]["balance"] == 1
    assert stats["log"][-1]["endpoint"] == "balance" and stats["log"][-1]["status"] == 200


@pytest.mark.parametrize("shown", ["{n}", "1{n}", "+1{n}", "+1 {n}"])
async def test_an_sms_reaches_the_number_as_a_client_shows_it(sandbox: Sandbox, shown: str) -> None:
    """getNumber shows `17133754226` (the calling code first), 5sim `+17133754226`: the
    sandbox takes the number in any of those spellings, as well as the national one."""
    rental = await sandbox.rent(service="whatsapp")
    number = shown.format(n=rental["number"])
    r = await sandbox.http.post(
        sandbox.base + "/_sandbox/sms", json={"number": number, "code": "135790"}
    )
    assert r.status_code == 200, r.text
    assert (await sandbox.post("/rental-status", {"id": rental["id"]})).json()["code"] == "135790"


async def test_a_refused_sms_names_the_numbers_that_are_open(sandbox: Sandbox) -> None:
    rental = await sandbox.rent(service="whatsapp")
    r = await sandbox.http.post(
        sandbox.base + "/_sandbox/sms", json={"number": "2125550000", "code": "1"}
    )
    assert (r.status_code, r.json()) == (
        409,
        {"errors": f"no open rental accepts this SMS; open numbers: {rental['number']}"},
    )
