"""TextVerified's API v2 over the proxy: the `textverified` client, unmodified but for its
base URL, with the proxy's own bearer tokens; the same activations through SMS-Activate."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textverified import ReservationCapability, TextVerified, TextVerifiedError
from textverified.data import (
    NonrenewableRentalExpanded,
    NumberType,
    RentalDuration,
    ReservationSaleState,
    ReservationState,
)

from .conftest import DEMO, World, start_world


def client(world: World, key: str = DEMO) -> TextVerified:
    return TextVerified(api_key=key, api_username="tool@example.com", base_url=world.proxy)


async def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(fn, *args, **kwargs)


def balance(tv: TextVerified) -> float:
    return float(tv.account.balance)


async def test_the_textverified_client_flow(world: World) -> None:
    tv = client(world)
    assert await call(balance, tv) == 100.0
    made = await call(
        tv.verifications.create, service_name="whatsapp", capability=ReservationCapability.SMS
    )
    assert (made.state, made.total_cost, made.service_name) == (
        ReservationState.VERIFICATION_PENDING,
        0.55,
        "whatsapp",
    )
    assert not made.cancel.can_cancel and len(made.number) == 10  # the vendor's first minute
    assert list(await call(tv.sms.list, made)) == []
    await world.sms(made.number, "881234")
    await world.tick(2)
    done = await call(tv.verifications.details, made.id)
    assert done.state == ReservationState.VERIFICATION_COMPLETED and not done.cancel.can_cancel
    messages = list(await call(tv.sms.list, done))
    assert [(m.parsed_code, m.to_value) for m in messages] == [("881234", made.number)]

    second = await call(
        tv.verifications.create, service_name="telegram", capability=ReservationCapability.SMS
    )
    with pytest.raises(TextVerifiedError) as early:
        await call(tv.verifications.cancel, second.id)
    assert early.value.error_code == "CannotCancel"
    await world.tick(61)
    assert (await call(tv.verifications.details, second.id)).cancel.can_cancel  # now it is
    assert await call(tv.verifications.cancel, second.id) is True
    cancelled = await call(tv.verifications.details, second.id)
    assert cancelled.state == ReservationState.VERIFICATION_CANCELED
    listed = list(await call(tv.verifications.list))
    assert [v.id for v in listed] == [second.id, made.id]


async def test_errors_are_textverified_errors(world: World) -> None:
    with pytest.raises(TextVerifiedError) as bad_key:
        await call(balance, client(world, key="nope"))
    assert bad_key.value.error_code == "Unauthorized"
    tv = client(world)
    with pytest.raises(TextVerifiedError) as missing:
        await call(tv.verifications.details, "4242")
    assert missing.value.error_code == "NotFound"
    no_token = await world.http.get(world.proxy + "/api/pub/v2/account/me")
    assert (no_token.status_code, no_token.json()["errorCode"]) == (401, "Unauthorized")


async def test_a_verification_is_an_activation_of_every_dialect(world: World) -> None:
    made = await call(
        client(world).verifications.create,
        service_name="whatsapp",
        capability=ReservationCapability.SMS,
    )
    assert await world.text(action="getStatus", id=made.id) == "STATUS_WAIT_CODE"
    with pytest.raises(TextVerifiedError) as other:
        await call(client(world, key="sk_other").verifications.details, made.id)
    assert other.value.error_code == "NotFound"


def incoming(tv: TextVerified, made: Any) -> list[Any]:
    """The client's own wait for a code, as a tool calls it (real time, its own polling)."""
    return list(tv.sms.incoming(made, timeout=10, polling_interval=0.1, since=made.created_at))


async def test_a_client_waiting_by_listing_sms_gets_its_code(tmp_path: Path) -> None:
    """`sms.incoming` polls `GET /sms` for the verification's number: each listing first
    refreshes the caller's waiting verifications, so the code delivered at the vendor
    shows (it once stayed `{"data":[]}` until something read the verification itself)."""
    async for world in start_world(tmp_path, poll_interval_seconds=0.0):
        tv = client(world)
        made = await call(
            tv.verifications.create, service_name="whatsapp", capability=ReservationCapability.SMS
        )
        await world.sms(made.number, "551234")

        got = await call(incoming, tv, made)
        assert [(m.parsed_code, m.to_value) for m in got] == [("551234", made.number)]


async def test_a_rental_is_bought_woken_and_read_through_the_client(world: World) -> None:
    """The client's rental flow, unmodified: a 7-day rental for any service (the sale,
    then its details by following the links), a wake request (the number is always on:
    its window has begun), its SMS by `sms.list` and by `sms.incoming` with
    `wake_number=True`, the listing; a second one refunded at once. Checked at the
    sandbox, whose whole-number rental it is."""
    tv = client(world)

    def rent() -> Any:
        return tv.reservations.create(
            allow_back_order_reservations=False,
            always_on=True,
            duration=RentalDuration.SEVEN_DAY,
            is_renewable=False,
            number_type=NumberType.MOBILE,
            service_name="allservices",
            capability=ReservationCapability.SMS,
        )

    sale = await call(rent)
    assert sale.state == ReservationSaleState.SUCCEEDED and len(sale.reservations) == 1
    rental = await call(tv.reservations.details, sale.reservations[0])
    assert isinstance(rental, NonrenewableRentalExpanded) and rental.refund.can_refund
    [held] = (
        await world.http.get(world.sandbox + "/api/v1/long-rentals", headers={"Auth": DEMO})
    ).json()["long_rentals"]
    assert held["number"] == rental.number
    woken = await call(tv.wake_requests.wait_for_number_wake, rental)
    assert woken.is_scheduled and woken.reservation_id == rental.id
    await world.sms(rental.number, "909192")
    await world.tick(11)
    listed = [m.parsed_code for m in await call(lambda: list(tv.sms.list(rental)))]
    assert listed == ["909192"]
    waited = await call(
        lambda: list(
            tv.sms.incoming(
                rental, timeout=10, polling_interval=0.1, since=rental.created_at, wake_number=True
            )
        )
    )
    assert [m.parsed_code for m in waited] == ["909192"]
    mine = await call(lambda: list(tv.reservations.list_nonrenewable()))
    assert [r.id for r in mine] == [rental.id]
    again = await call(tv.reservations.details, rental.id)
    assert not again.refund.can_refund  # a message came: no refund any more

    second = await call(tv.reservations.details, (await call(rent)).reservations[0])
    assert await call(tv.reservations.refund_nonrenewable, second) is True
    states = {
        r["number"]: r["status"]
        for r in (
            await world.http.get(world.sandbox + "/api/v1/long-rentals", headers={"Auth": DEMO})
        ).json()["long_rentals"]
    }
    assert states[second.number] != "Active" and states[rental.number] == "Active"
