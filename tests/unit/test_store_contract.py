"""One contract for every store backend (memory, SQLite, PostgreSQL): activations, the
purchase journal, keys and policies, the ledger with its budget holds, the webhook
outbox, concurrency included. PostgreSQL runs for real: each test in a schema of its
own (tests/backends.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from proxy.domain import (
    Activation,
    ActivationStatus,
    Delivery,
    LedgerEntry,
    LedgerReason,
    LongMessage,
    LongRental,
    LongRentalState,
    ManagedKey,
    Purchase,
    PurchaseState,
    TenantPolicy,
)
from proxy.ports import Store

from ..backends import BACKENDS, backend

R = LedgerReason
DAY = 86400.0


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with backend(request.param, tmp_path) as made:
        yield made


def hold(purchase_id: int, amount: str, at: float = 1000.0, tenant: str = "t") -> LedgerEntry:
    return LedgerEntry(tenant, R.RESERVE, Decimal(amount), at, purchase_id=purchase_id)


def charge(activation_id: int, amount: str, at: float = 1000.0, tenant: str = "t") -> LedgerEntry:
    return LedgerEntry(tenant, R.CHARGE, Decimal(amount), at, activation_id=activation_id)


async def test_a_hold_fits_every_limit_or_is_not_taken(store: Store) -> None:
    limits = [(0.0, Decimal("1.00"))]
    assert await store.ledger.hold(hold(1, "0.55"), limits, 0.0)
    assert not await store.ledger.hold(hold(2, "0.55"), limits, 0.0)  # 1.10 > 1.00
    assert await store.ledger.hold(hold(3, "0.45"), limits, 0.0)  # exactly 1.00
    assert await store.ledger.held("t", 0.0) == Decimal("1.00")
    assert await store.ledger.held("other", 0.0) == 0
    # every limit counts: a daily one since 500, a monthly one since 0
    both = [(500.0, Decimal("5")), (0.0, Decimal("1.00"))]
    assert not await store.ledger.hold(hold(4, "0.01", tenant="t"), both, 0.0)


async def test_a_release_gives_the_hold_back_once(store: Store) -> None:
    await store.ledger.hold(hold(7, "0.55"), [(0.0, Decimal("1"))], 0.0)
    template = LedgerEntry("t", R.RELEASE, Decimal(0), 1001.0, purchase_id=7, note="bought")
    assert await store.ledger.release(template)
    assert not await store.ledger.release(template)
    assert await store.ledger.held("t", 0.0) == 0
    rows = [(e.reason, e.amount, e.purchase_id) for e in await store.ledger.entries("t")]
    assert rows == [(R.RESERVE, Decimal("0.55"), 7), (R.RELEASE, Decimal("-0.55"), 7)]


async def test_spend_counts_charges_refunds_and_adjustments_since_a_time(
    store: Store,
) -> None:
    assert await store.ledger.add(charge(100, "0.55", at=10.0))
    assert not await store.ledger.add(charge(100, "0.55", at=11.0))  # once per activation
    await store.ledger.add(charge(101, "0.45", at=DAY + 5))
    await store.ledger.add(LedgerEntry("t", R.REFUND, Decimal("-0.45"), DAY + 9, activation_id=101))
    await store.ledger.add(LedgerEntry("t", R.ADJUST, Decimal("0.10"), DAY + 10, note="fee"))
    await store.ledger.hold(hold(1, "5"), [(0.0, Decimal(100))], 0.0)  # holds are not spend
    assert await store.ledger.spent("t", 0.0) == Decimal("0.65")
    assert await store.ledger.spent("t", DAY) == Decimal("0.10")
    found = await store.ledger.charge_of(101)
    assert found is not None and found.amount == Decimal("0.45") and found.tenant == "t"
    assert await store.ledger.charge_of(999) is None
    assert [e.activation_id for e in await store.ledger.entries("t", since=DAY)][:2] == [101, 101]


async def test_holds_lapse_after_their_time(store: Store) -> None:
    await store.ledger.hold(hold(1, "0.90", at=100.0), [(0.0, Decimal(1))], 0.0)
    assert not await store.ledger.hold(hold(2, "0.90", at=200.0), [(0.0, Decimal(1))], 0.0)
    # a hold left by a purchase that never settled stops counting when it lapses
    assert await store.ledger.hold(hold(2, "0.90", at=2000.0), [(0.0, Decimal(1))], 150.0)


async def test_concurrent_holds_never_pass_the_limit_together(store: Store) -> None:
    limits = [(0.0, Decimal("5.50"))]
    taken = await asyncio.gather(
        *(store.ledger.hold(hold(i, "0.55"), limits, 0.0) for i in range(1, 51))
    )
    assert taken.count(True) == 10
    assert await store.ledger.held("t", 0.0) == Decimal("5.50")


def delivery(activation_id: int, code: str, tenant: str = "t") -> Delivery:
    return Delivery(0, tenant, "http://hook", activation_id, code, "{}", created_at=5.0)


async def test_the_outbox_queues_each_code_once_and_stays_bounded(
    store: Store,
) -> None:
    first, dropped = await store.outbox.add(delivery(1, "1111"), bound=2)
    assert first is not None and first.id > 0 and dropped == 0
    assert (await store.outbox.add(delivery(1, "1111"), bound=2)) == (None, 0)
    await store.outbox.add(delivery(1, "2222"), bound=2)
    await store.outbox.add(delivery(9, "9999", tenant="other"), bound=2)
    third, dropped = await store.outbox.add(delivery(2, "3333"), bound=2)
    assert third is not None and dropped == 1  # the tenant's oldest gave way
    assert await store.outbox.counts() == {"pending": 3, "failed": 1}
    due = await store.outbox.due(10.0, 10)
    assert [d.code for d in due] == ["2222", "9999", "3333"]
    await store.outbox.put(due[0].evolve(state="sent", attempts=1))
    await store.outbox.put(due[1].evolve(next_at=60.0, attempts=1))
    assert [d.code for d in await store.outbox.due(10.0, 10)] == ["3333"]
    assert [d.code for d in await store.outbox.newest("t")] == ["3333", "2222", "1111"]


async def test_a_policy_keeps_every_limit(store: Store) -> None:
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
    await store.tenants.put_policy(policy)
    assert (await store.tenants.policies()) == {"fleet": policy}


S = ActivationStatus


def activation(owner: str = "owner-a", upstream_id: int = 1, **changes: object) -> Activation:
    made = Activation(
        id=0,
        provider="getatext",
        upstream_id=upstream_id,
        owner=owner,
        number="2125550100",
        service="whatsapp",
        cost=Decimal("0.55"),
        status=S.WAITING,
        created_at=1000.0,
        end_time=2200.0,
    )
    return made.evolve(**changes)


async def test_activations_are_stored_found_and_counted(store: Store) -> None:
    first = await store.activations.add(activation())
    second = await store.activations.add(
        activation(upstream_id=2, number="2125550101", end_time=2100.0)
    )
    other = await store.activations.add(activation(owner="owner-b", upstream_id=3))
    assert first.id >= 100_000 and second.id > first.id and other.id > second.id
    assert await store.activations.get(first.id) == first
    assert await store.activations.get(999) is None
    done = first.evolve(status=S.COMPLETED, code="1234", code_at=1010.0, upstream_viewed=True)
    await store.activations.put(done)
    assert await store.activations.get(first.id) == done
    assert [a.id for a in await store.activations.open_for("owner-a")] == [second.id]
    assert await store.activations.by_upstream("getatext", 2) == second
    assert await store.activations.by_upstream("getatext", 99) is None
    assert await store.activations.counts() == {"completed": 1, "waiting": 2}
    page, total = await store.activations.history("owner-a", 1, 0, True)
    assert ([a.id for a in page], total) == ([second.id], 2)
    assert await store.activations.last_on_number("owner-a", "2125550100", "whatsapp") == done
    assert await store.journal.max_upstream_id("getatext") == 3
    ended = await store.activations.open_ended(["owner-a", "owner-b"], 2200.0, 10)
    assert [a.id for a in ended] == [second.id, other.id]
    assert await store.activations.open_ended([], 9999.0, 10) == []


async def test_order_refs_and_max_prices(store: Store) -> None:
    assert await store.activations.claim_order_ref("o", "ref-1")
    assert not await store.activations.claim_order_ref("o", "ref-1")
    assert await store.activations.claim_order_ref("p", "ref-1")
    await store.activations.release_order_ref("o", "ref-1")
    assert await store.activations.claim_order_ref("o", "ref-1")
    await store.activations.set_max_price("o", "whatsapp", Decimal("0.60"))
    await store.activations.set_max_price("o", "whatsapp", Decimal("0.70"))
    assert await store.activations.max_prices("o") == {"whatsapp": Decimal("0.70")}
    assert await store.activations.delete_max_price("o", "whatsapp")
    assert not await store.activations.delete_max_price("o", "whatsapp")


async def test_the_journal_keeps_every_entry(store: Store) -> None:
    entry = Purchase(
        0, "o", "getatext", "rent", ("whatsapp",), "k1", 1000.0, balance_before=Decimal("10")
    )
    added = await store.journal.add(entry)
    other = await store.journal.add(entry.evolve(owner="p", order_key="k2"))
    settled = added.evolve(
        state=PurchaseState.BOUGHT, activation_ids=(100000, 100001), settled_at=1001.0
    )
    await store.journal.put(settled)
    assert await store.journal.get(added.id) == settled
    assert [p.id for p in await store.journal.newest()] == [other.id, added.id]
    assert [p.id for p in await store.journal.newest(owner="o")] == [added.id]
    assert [p.id for p in await store.journal.newest(state=PurchaseState.PENDING)] == [other.id]
    assert await store.journal.counts() == {"bought": 1, "pending": 1}


async def test_keys_are_kept_as_fingerprints(store: Store) -> None:
    key = ManagedKey("key_1", "t", "f" * 32, ("alpha",), 1000.0, expires_at=2000.0)
    await store.tenants.add_key(key)
    with pytest.raises(Exception):  # noqa: B017 - each backend has its own integrity error
        await store.tenants.add_key(key.evolve(id="key_2"))  # the same fingerprint
    await store.tenants.put_key(key.evolve(revoked_at=1500.0))
    assert await store.tenants.keys() == [key.evolve(revoked_at=1500.0)]


async def test_concurrent_adds_get_distinct_ids(store: Store) -> None:
    adds = (store.activations.add(activation(upstream_id=i)) for i in range(40))
    made = await asyncio.gather(*adds)
    assert len({a.id for a in made}) == 40


async def test_long_rentals_keep_their_messages(store: Store) -> None:
    whole = LongRental(
        0,
        "getatext",
        7,
        "o",
        "2125550100",
        None,
        "1w",
        Decimal("10.99"),
        LongRentalState.ACTIVE,
        1000.0,
        1000.0 + 7 * 86400,
        auto_renew=True,
    )
    first = await store.long_rentals.add(whole)
    second = await store.long_rentals.add(
        whole.evolve(upstream_id=8, service="whatsapp", period="7d")
    )
    assert first.id >= 5_000_000 and second.id == first.id + 1
    assert await store.long_rentals.get(first.id) == first
    heard = first.evolve(
        messages=(LongMessage("Your code: 1234", "8888", 1500.0),), checked_at=1500.0
    )
    await store.long_rentals.put(heard)
    assert await store.long_rentals.get(first.id) == heard
    assert [r.id for r in await store.long_rentals.for_owner("o")] == [second.id, first.id]
    assert await store.long_rentals.for_owner("p") == []
    assert await store.long_rentals.by_upstream("getatext", 8) == second
    assert await store.long_rentals.by_upstream("getatext", 9) is None
    assert await store.long_rentals.counts() == {"active": 2}
    await store.long_rentals.put(second.evolve(state=LongRentalState.FINISHED))
    assert await store.long_rentals.counts() == {"active": 1, "finished": 1}


async def test_a_peek_is_the_stored_row_or_nothing(store: Store) -> None:
    """`peek` answers without I/O; whatever it answers is what `get` would."""
    stored = await store.activations.add(activation())
    done = stored.evolve(status=S.COMPLETED, code="1234", code_at=1010.0)
    await store.activations.put(done)
    assert store.activations.peek(stored.id) in (done, None)
    assert store.activations.peek(999) is None
    assert await store.activations.get(stored.id) == done
    # a read may remember it, never alter it
    assert store.activations.peek(stored.id) in (done, None)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_a_store_of_this_process_alone_answers_its_own_rows_from_memory(
    kind: str, tmp_path: Path
) -> None:
    async with backend(kind, tmp_path) as store:
        stored = await store.activations.add(activation())
        assert store.activations.peek(stored.id) == stored


async def test_an_activations_past_codes_are_kept(store: Store) -> None:
    stored = await store.activations.add(activation())
    coded = stored.evolve(status=S.CODE_RECEIVED, code="222222", past_codes=("111111",))
    await store.activations.put(coded)
    again = await store.activations.history("owner-a", 10, 0, True)  # read from the rows
    assert [(a.code, a.past_codes) for a in again[0]] == [("222222", ("111111",))]
