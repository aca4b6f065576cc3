"""The client use cases over fakes at the ports: a scripted vendor, the memory store,
a manual clock. Each rule is shown by what the vendor was asked and what the store
holds afterwards."""

from __future__ import annotations

from decimal import Decimal

import pytest

from proxy.domain import ActivationStatus, Order, PurchaseState, PushedCode, VendorRules
from proxy.errors import (
    DuplicateOrder,
    EarlyCancel,
    OutcomeUnknown,
    OverBudget,
    ServiceNotAllowed,
    TenantCap,
    UpstreamUnavailable,
)
from proxy.service import ServiceSettings
from proxy.service.tenants.issued_keys import PolicyChange

from .fakes import VENDOR, World, world

CLIENT_KEY = "client-key-passed-through"
WHATSAPP = Order(("whatsapp",))


async def issued(w: World, **policy: object) -> str:
    key, _ = await w.service.operations.tenants.issue_key(
        "fleet",
        [VENDOR],
        None,
        PolicyChange(**policy),  # type: ignore[arg-type]
    )
    return key


async def test_a_purchase_is_journaled_then_stored_and_answered() -> None:
    w = world()
    clients = w.service.clients
    bought = await clients.rent((await clients.tenant(CLIENT_KEY)), WHATSAPP)
    assert w.vendor.count("rent") == 1
    assert await w.store.activations.get(bought.id) == bought
    [entry] = await w.store.journal.newest()
    assert (entry.state, entry.activation_ids) == (PurchaseState.BOUGHT, (bought.id,))
    assert (bought.status, bought.cost, bought.service) == (
        ActivationStatus.WAITING,
        Decimal("0.55"),
        "whatsapp",
    )


async def test_a_refused_purchase_is_answered_and_leaves_nothing_open() -> None:
    w = world()
    w.vendor.fail("rent", UpstreamUnavailable("vendor down before it sold"))
    clients = w.service.clients
    with pytest.raises(UpstreamUnavailable):
        await clients.rent((await clients.tenant(CLIENT_KEY)), WHATSAPP)
    assert await w.store.activations.counts() == {}
    [entry] = await w.store.journal.newest()
    assert entry.state is PurchaseState.REFUSED


async def test_an_unknown_outcome_is_never_bought_again_blind() -> None:
    w = world()
    w.vendor.after_sale.append(OutcomeUnknown("sold, the answer lost"))
    clients = w.service.clients
    tenant = await clients.tenant(CLIENT_KEY)
    with pytest.raises(OutcomeUnknown):
        await clients.rent(tenant, WHATSAPP, order_ref="order-1")
    with pytest.raises(DuplicateOrder):  # the same order again: it may have been sold
        await clients.rent(tenant, WHATSAPP, order_ref="order-1")
    assert w.vendor.count("rent") == 1
    [entry] = await w.store.journal.newest()
    assert entry.state is PurchaseState.UNKNOWN


async def test_a_tenants_cap_refuses_before_the_vendor_is_asked() -> None:
    w = world(managed=True)
    key = await issued(w, max_active=1)
    clients = w.service.clients
    tenant = await clients.tenant(key)
    await clients.rent(tenant, WHATSAPP)
    with pytest.raises(TenantCap):
        await clients.rent(tenant, WHATSAPP)
    assert w.vendor.count("rent") == 1


async def test_a_budget_refuses_before_the_vendor_is_asked() -> None:
    w = world(managed=True)
    key = await issued(w, daily_budget=Decimal("0.30"))
    clients = w.service.clients
    tenant = await clients.tenant(key)
    with pytest.raises(OverBudget):
        await clients.rent(tenant, WHATSAPP)  # 0.55 does not fit 0.30
    assert w.vendor.count("rent") == 0
    assert await clients.balance(tenant) == Decimal("0.30")  # the budget left is the balance


async def test_a_tenants_services_are_the_only_ones_bought() -> None:
    w = world(managed=True)
    key = await issued(w, services=("telegram",))
    clients = w.service.clients
    tenant = await clients.tenant(key)
    with pytest.raises(ServiceNotAllowed):
        await clients.rent(tenant, WHATSAPP)
    assert (await clients.rent(tenant, Order(("telegram",)))).service == "telegram"
    assert w.vendor.count("rent") == 1


async def test_a_status_poll_asks_the_vendor_at_most_once_per_interval() -> None:
    w = world(settings=ServiceSettings(poll_interval_seconds=2.0))  # no webhooks: polled
    clients = w.service.clients
    tenant = await clients.tenant(CLIENT_KEY)
    bought = await clients.rent(tenant, WHATSAPP)
    w.clock.advance(5)
    for _ in range(10):
        await clients.status(tenant, bought.id)
    assert w.vendor.count("status") == 1
    w.vendor.code(bought.upstream_id, "123456")
    assert (await clients.status(tenant, bought.id)).code is None  # inside the interval
    w.clock.advance(60)
    read = await clients.status(tenant, bought.id)
    assert (read.code, read.status) == ("123456", ActivationStatus.CODE_RECEIVED)
    assert w.vendor.count("status") == 2


async def test_a_cancel_inside_the_vendors_lock_is_refused_without_asking() -> None:
    w = world(rules=VendorRules(cancel_lock_seconds=60.0))
    clients = w.service.clients
    tenant = await clients.tenant(CLIENT_KEY)
    bought = await clients.rent(tenant, WHATSAPP)
    with pytest.raises(EarlyCancel):
        await clients.cancel(tenant, bought.id)
    assert w.vendor.count("cancel") == 0
    w.clock.advance(61)
    assert (await clients.cancel(tenant, bought.id)).status is ActivationStatus.CANCELLED
    assert w.vendor.count("cancel") == 1


async def test_a_pushed_code_reaches_the_activation_through_its_accounts_url_only() -> None:
    w = world()
    clients, hook = w.service.clients, w.service.vendor_webhook
    tenant = await clients.tenant(CLIENT_KEY)
    bought = await clients.rent(tenant, WHATSAPP)
    pushed = PushedCode(bought.upstream_id, "654321")
    assert await hook.code_arrived(VENDOR, "another-accounts-token", pushed) is None
    token = hook.token(VENDOR, tenant.accounts[0].id)
    arrived = await hook.code_arrived(VENDOR, token, pushed)
    assert arrived is not None and arrived.code == "654321"
    assert (await clients.status(tenant, bought.id)).code == "654321"
    assert w.vendor.count("status") == 0  # the webhook brought it: no poll


async def test_a_replayed_code_never_becomes_current_again() -> None:
    w = world()
    clients, hook = w.service.clients, w.service.vendor_webhook
    tenant = await clients.tenant(CLIENT_KEY)
    bought = await clients.rent(tenant, WHATSAPP)
    token = hook.token(VENDOR, tenant.accounts[0].id)
    first_at = w.clock.now()
    for code in ("111111", "222222"):
        await hook.code_arrived(VENDOR, token, PushedCode(bought.upstream_id, code))
        w.clock.advance(5)
    replays = [
        PushedCode(bought.upstream_id, "111111"),  # a repeat of an older delivery
        PushedCode(bought.upstream_id, "111111", received_at=first_at),
        PushedCode(bought.upstream_id, "333333", received_at=first_at + 1),  # dated earlier
    ]
    for pushed in replays:
        await hook.code_arrived(VENDOR, token, pushed)
        read = await w.store.activations.get(bought.id)
        assert read is not None and (read.code, read.past_codes) == ("222222", ("111111",))
    await hook.code_arrived(VENDOR, token, PushedCode(bought.upstream_id, "444444"))
    read = await w.store.activations.get(bought.id)
    assert read is not None and (read.code, read.past_codes) == ("444444", ("111111", "222222"))


async def test_an_unknown_outcome_before_the_sale_is_proved_void_by_the_balance() -> None:
    w = world()
    w.vendor.fail("rent", OutcomeUnknown("sent, never answered"))  # nothing was sold
    clients = w.service.clients
    tenant = await clients.tenant(CLIENT_KEY)
    with pytest.raises(OutcomeUnknown):
        await clients.rent(tenant, WHATSAPP, order_ref="order-1")
    assert w.vendor.calls[:2] == ["balance", "rent"]  # the first purchase's witness
    [entry] = await w.store.journal.newest()
    assert (entry.state, entry.note) == (PurchaseState.VOID, "balance unchanged")
    bought = await clients.rent(tenant, WHATSAPP, order_ref="order-1")  # may buy again
    assert bought.service == "whatsapp" and w.vendor.count("rent") == 2
