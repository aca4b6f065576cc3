"""TextVerified's API v2 over the proxy: the `textverified` client, unmodified but for its
base URL, with the proxy's own bearer tokens; the same activations through SMS-Activate."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textverified import ReservationCapability, TextVerified, TextVerifiedError
from textverified.data import ReservationState

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
