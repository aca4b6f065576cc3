"""The ledger, the budget holds, the webhook outbox and tenant policies: the same
behaviour from every store backend (memory and SQLite here; the shared store later)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from proxy.domain import Delivery, LedgerEntry, LedgerReason, TenantPolicy
from proxy.ports import ActivationStore
from proxy.store.memory import MemoryStore
from proxy.store.sqlite import SqliteStore

R = LedgerReason
DAY = 86400.0


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ActivationStore]:
    made: ActivationStore = (
        MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "s.db")
    )
    yield made
    await made.close()


def hold(purchase_id: int, amount: str, at: float = 1000.0, tenant: str = "t") -> LedgerEntry:
    return LedgerEntry(tenant, R.RESERVE, Decimal(amount), at, purchase_id=purchase_id)


def charge(activation_id: int, amount: str, at: float = 1000.0, tenant: str = "t") -> LedgerEntry:
    return LedgerEntry(tenant, R.CHARGE, Decimal(amount), at, activation_id=activation_id)


async def test_a_hold_fits_every_limit_or_is_not_taken(store: ActivationStore) -> None:
    limits = [(0.0, Decimal("1.00"))]
    assert await store.ledger_hold(hold(1, "0.55"), limits, 0.0)
    assert not await store.ledger_hold(hold(2, "0.55"), limits, 0.0)  # 1.10 > 1.00
    assert await store.ledger_hold(hold(3, "0.45"), limits, 0.0)  # exactly 1.00
    assert await store.ledger_held("t", 0.0) == Decimal("1.00")
    assert await store.ledger_held("other", 0.0) == 0
    # every limit counts: a daily one since 500, a monthly one since 0
    both = [(500.0, Decimal("5")), (0.0, Decimal("1.00"))]
    assert not await store.ledger_hold(hold(4, "0.01", tenant="t"), both, 0.0)


async def test_a_release_gives_the_hold_back_once(store: ActivationStore) -> None:
    await store.ledger_hold(hold(7, "0.55"), [(0.0, Decimal("1"))], 0.0)
    template = LedgerEntry("t", R.RELEASE, Decimal(0), 1001.0, purchase_id=7, note="bought")
    assert await store.ledger_release(template)
    assert not await store.ledger_release(template)
    assert await store.ledger_held("t", 0.0) == 0
    rows = [(e.reason, e.amount, e.purchase_id) for e in await store.ledger_entries("t")]
    assert rows == [(R.RESERVE, Decimal("0.55"), 7), (R.RELEASE, Decimal("-0.55"), 7)]


async def test_spend_counts_charges_refunds_and_adjustments_since_a_time(
    store: ActivationStore,
) -> None:
    assert await store.ledger_add(charge(100, "0.55", at=10.0))
    assert not await store.ledger_add(charge(100, "0.55", at=11.0))  # once per activation
    await store.ledger_add(charge(101, "0.45", at=DAY + 5))
    await store.ledger_add(LedgerEntry("t", R.REFUND, Decimal("-0.45"), DAY + 9, activation_id=101))
    await store.ledger_add(LedgerEntry("t", R.ADJUST, Decimal("0.10"), DAY + 10, note="fee"))
    await store.ledger_hold(hold(1, "5"), [(0.0, Decimal(100))], 0.0)  # holds are not spend
    assert await store.ledger_spent("t", 0.0) == Decimal("0.65")
    assert await store.ledger_spent("t", DAY) == Decimal("0.10")
    found = await store.ledger_charge_of(101)
    assert found is not None and found.amount == Decimal("0.45") and found.tenant == "t"
    assert await store.ledger_charge_of(999) is None
    assert [e.activation_id for e in await store.ledger_entries("t", since=DAY)][:2] == [101, 101]


async def test_holds_lapse_after_their_time(store: ActivationStore) -> None:
    await store.ledger_hold(hold(1, "0.90", at=100.0), [(0.0, Decimal(1))], 0.0)
    assert not await store.ledger_hold(hold(2, "0.90", at=200.0), [(0.0, Decimal(1))], 0.0)
    # a hold left by a purchase that never settled stops counting when it lapses
    assert await store.ledger_hold(hold(2, "0.90", at=2000.0), [(0.0, Decimal(1))], 150.0)


async def test_concurrent_holds_never_pass_the_limit_together(store: ActivationStore) -> None:
    limits = [(0.0, Decimal("5.50"))]
    taken = await asyncio.gather(
        *(store.ledger_hold(hold(i, "0.55"), limits, 0.0) for i in range(1, 51))
    )
    assert taken.count(True) == 10
    assert await store.ledger_held("t", 0.0) == Decimal("5.50")


def delivery(activation_id: int, code: str, tenant: str = "t") -> Delivery:
    return Delivery(0, tenant, "http://hook", activation_id, code, "{}", created_at=5.0)


async def test_the_outbox_queues_each_code_once_and_stays_bounded(
    store: ActivationStore,
) -> None:
    first, dropped = await store.outbox_add(delivery(1, "1111"), bound=2)
    assert first is not None and first.id > 0 and dropped == 0
    assert (await store.outbox_add(delivery(1, "1111"), bound=2)) == (None, 0)
    await store.outbox_add(delivery(1, "2222"), bound=2)
    await store.outbox_add(delivery(9, "9999", tenant="other"), bound=2)
    third, dropped = await store.outbox_add(delivery(2, "3333"), bound=2)
    assert third is not None and dropped == 1  # the tenant's oldest gave way
    assert await store.outbox_counts() == {"pending": 3, "failed": 1}
    due = await store.outbox_due(10.0, 10)
    assert [d.code for d in due] == ["2222", "9999", "3333"]
    await store.outbox_put(due[0].evolve(state="sent", attempts=1))
    await store.outbox_put(due[1].evolve(next_at=60.0, attempts=1))
    assert [d.code for d in await store.outbox_due(10.0, 10)] == ["3333"]
    assert [d.code for d in await store.outbox_list("t")] == ["3333", "2222", "1111"]


async def test_a_policy_keeps_every_limit(store: ActivationStore) -> None:
    policy = TenantPolicy(
        "fleet",
        max_active=3,
        services=("whatsapp",),
        daily_budget=Decimal("5.5"),
        monthly_budget=Decimal("100"),
        rate_per_second=2.5,
        countries=("us",),
        max_prices=(("whatsapp", Decimal("0.60")),),
        webhook_url="https://example.test/hook",
        upstream_balance=True,
    )
    await store.policy_put(policy)
    assert (await store.policies()) == {"fleet": policy}
